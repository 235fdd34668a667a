import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import type { BillingPluginHooks } from "../billing/provider.js";
import type { Context, ContextInput } from "../context.js";
import type { DataCategory, PurposeName } from "../privacy/taxonomy.js";
import type { PluginManifest } from "./manifest.js";
import type { SearchBackend } from "../search/contract.js";

/** What a plugin's code receives for one tenant: its settings (secrets opened) and a core context. */
export interface PluginRuntime {
  tenantId: string;
  pluginId: string;
  settings: Record<string, string>;
  /** Acts as the system on the plugin's behalf: core services, tenant-scoped database. */
  core: Context;
  log: Logger;
  /** Calls out to the vendor through the gateway (checks, then records the call). */
  call<T>(request: OutboundCall, fn: () => Promise<T>): Promise<T>;
}

/** What a call to the vendor sends, about whom and why: checked and recorded by the gateway. */
export interface OutboundCall {
  operation: string;
  purpose: PurposeName;
  categories: DataCategory[];
  /** Contacts whose data the call carries. */
  subjectIds: string[];
  /**
   * The call only deletes what the vendor keeps and carries no personal data
   * out (ids the vendor already has): the gateway lets it through even when the
   * plugin is disabled or its transfer no longer accepted, so that switching a
   * plugin off never puts data at the vendor beyond the reach of erasure.
   */
  deletesOnly?: boolean;
}

export interface PluginHttpRequest {
  method: string;
  /** Path after /plugins/<id>/<tenant-slug>/ */
  path: string;
  /** The full URL the vendor called, as it signed it. */
  url: string;
  headers: IncomingMessage["headers"];
  rawBody: string;
}

export interface PluginHttpResponse {
  status: number;
  contentType?: string;
  body?: string;
}

export interface ErasureResult {
  store: string;
  deleted: number;
  note?: string;
}

export interface MessageCreatedEvent {
  messageId: string;
  ticketId: string;
}

/** What a plugin's background work receives: the services the core's own workers use. */
export type PluginServices = Pick<ContextInput, "config" | "database" | "log" | "signInLimiter" | "plugins" | "realtime" | "tracing">;

/** Background work a plugin runs for all tenants, started and stopped with the server. */
export interface PluginWorker {
  stop(): Promise<void>;
}

/** A plugin: its manifest and the code the host calls. */
export interface PluginDefinition {
  manifest: PluginManifest;
  /** Webhooks from the vendor, served at /plugins/<id>/<tenant-slug>/<path>. */
  handleHttp?(runtime: PluginRuntime, request: PluginHttpRequest): Promise<PluginHttpResponse>;
  /**
   * Called for every committed message (its MESSAGE_ADDED event) in each tenant
   * that installed the plugin, shortly after the commit, by the plugin's event
   * consumer (src/plugin-host/message-hook.ts). May be called twice for one
   * message after a crash; a throw is logged, not retried.
   */
  onMessageCreated?(runtime: PluginRuntime, event: MessageCreatedEvent): Promise<void>;
  /**
   * Deletes what the plugin (or its vendor) keeps about a data subject. Required when manifest.storesData.
   * Called for every tenant that installed the plugin, enabled or not: its calls must be `deletesOnly`.
   */
  erase?(runtime: PluginRuntime, subject: { contactId: string; email: string | null; phone: string | null }): Promise<ErasureResult>;
  /**
   * An external search index for the tenant, or null while it is not ready to
   * answer (say, during its first bulk index): the built-in PostgreSQL search
   * then keeps serving, so switching backends never interrupts searching.
   */
  searchBackend?(runtime: PluginRuntime): Promise<SearchBackend | null>;
  /**
   * Called right after a tenant disabled the plugin: deletes what the vendor
   * keeps that nothing will use or update any more (a search index would
   * otherwise go stale, out of step with redactions). Its calls must be
   * `deletesOnly`. The outcome is audited; a failure never undoes the disabling.
   */
  onDisable?(runtime: PluginRuntime): Promise<ErasureResult>;
  /**
   * Operator billing (manifest.operatorManaged): builds the provider the core's
   * billing uses, from the operator's configuration. Never installed per tenant.
   */
  billing?: BillingPluginHooks;
  /** Starts the plugin's background work (say, sending queued changes to an index); the server stops it on close. */
  start?(services: PluginServices): PluginWorker;
}
