import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import type { Context, ContextInput } from "../context.js";
import type { DataCategory, PurposeName } from "../privacy/taxonomy.js";
import type { Provides } from "./capabilities.js";
import type { PluginManifest } from "./manifest.js";
import type { PluginOptions } from "./options.js";

/** Per-tenant settings as a plugin receives them when it does not name their type. */
type Settings = Record<string, string | undefined>;

/**
 * A plugin's per-tenant settings, typed from its manifest's `config` (declared
 * with `as const`): `SettingsOf<typeof manifest>` has one key per setting.
 * Every value may be missing, required or not: an admin can clear a setting of
 * an enabled plugin, and an erasure reaches installs that were never completed.
 */
export type SettingsOf<M extends { config: readonly { key: string }[] }> = { [K in M["config"][number]["key"]]?: string };

/** What a plugin's code receives for one tenant: its settings (secrets opened), its operator options and a core context. */
export interface PluginRuntime<S = Settings, O = unknown> {
  tenantId: string;
  pluginId: string;
  settings: S;
  /** What its options.ts parsed from the environment at start (undefined without options). */
  options: O;
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
  /**
   * A call to an AI model (src/ai/): recorded with the model, the ticket or
   * message it was about and digests of the prompt and the answer. The caller
   * fills in the answer's digest and token counts once it has them; the record
   * is written with whatever it holds when the call ends.
   */
  modelCall?: ModelCallRecord;
  /**
   * A reason the core found not to make the call at all (special categories
   * of data in the text): the call is refused and recorded like the gateway's
   * own refusals.
   */
  refusal?: Error;
}

export interface ModelCallRecord {
  /** The id the call's record gets, known beforehand so that a suggestion can name it. */
  id: string;
  model: string;
  ticketId: string | null;
  messageId: string | null;
  promptSha256: string;
  answerSha256?: string;
  inputTokens?: number;
  outputTokens?: number;
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

/**
 * A plugin: its manifest, its operator options, the capabilities it offers the
 * core and the hooks the host calls. S is its settings' type
 * (SettingsOf<typeof manifest>), O its options' type.
 */
export interface PluginDefinition<S = Settings, O = unknown> {
  /** Data; a function of the options when they decide something in it (where an operator's cluster runs). */
  manifest: PluginManifest | ((options: O) => PluginManifest);
  /** Variables the operator sets for the whole server, parsed by the plugin (its options.ts). */
  options?: PluginOptions<O>;
  /** What it offers the core (a search backend, a billing provider…): see capabilities.ts. */
  provides?: Provides<S, O>;
  /** Webhooks from the vendor, served at /plugins/<id>/<tenant-slug>/<path>. */
  handleHttp?(runtime: PluginRuntime<S, O>, request: PluginHttpRequest): Promise<PluginHttpResponse>;
  /**
   * Called for every committed message (its MESSAGE_ADDED event) in each tenant
   * that installed the plugin, shortly after the commit, by the plugin's event
   * consumer (src/plugin-host/message-hook.ts). May be called twice for one
   * message after a crash; a throw is logged, not retried.
   */
  onMessageCreated?(runtime: PluginRuntime<S, O>, event: MessageCreatedEvent): Promise<void>;
  /**
   * Deletes what the plugin (or its vendor) keeps about a data subject. Required when manifest.storesData.
   * Called for every tenant that installed the plugin, enabled or not: its calls must be `deletesOnly`.
   */
  erase?(runtime: PluginRuntime<S, O>, subject: { contactId: string; email: string | null; phone: string | null }): Promise<ErasureResult>;
  /**
   * Called right after a tenant disabled the plugin: deletes what the vendor
   * keeps that nothing will use or update any more (a search index would
   * otherwise go stale, out of step with redactions). Its calls must be
   * `deletesOnly`. The outcome is audited; a failure never undoes the disabling.
   */
  onDisable?(runtime: PluginRuntime<S, O>): Promise<ErasureResult>;
  /** Starts the plugin's background work (say, sending queued changes to an index); the server stops it on close. */
  start?(services: PluginServices, options: O): PluginWorker;
}

/** Any plugin, whatever its settings and options: what the registry holds. */
export type AnyPlugin = PluginDefinition<any, any>;
