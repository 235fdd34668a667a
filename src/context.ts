import type { Logger } from "pino";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import type { TenantClient } from "./db/tenant-scope.js";
import type { Tx } from "./db/tx.js";
import type { Viewer } from "./auth/viewer.js";
import type { Permission } from "./auth/permissions.js";
import type { SignInLimiter } from "./agents/sign-in-limiter.js";
import { AppError } from "./errors.js";
import { PersonalDataReads } from "./privacy/reads.js";
import type { PluginHost } from "./plugin-host/host.js";
import type { Realtime } from "./events/realtime.js";
import type { CredentialCache } from "./auth/credential-cache.js";
import { NIL_UUID } from "./constants.js";
import type { Tracing } from "./observability/tracing.js";

/** What every resolver and service receives. Nothing reads globals. */
export interface Context {
  requestId: string;
  config: Config;
  database: Database;
  log: Logger;
  clientIp: string;
  viewer: Viewer | null;
  authFailure?: string;
  /** The operator, authenticated by OPERATOR_KEY (src/tenants/operator-auth.ts): never a tenant's viewer. */
  operator?: boolean;
  signInLimiter: SignInLimiter;
  plugins: PluginHost;
  realtime: Realtime;
  /** The raw Authorization value, to check again while a subscription is open. Never logged. */
  authorization?: string | null;
  /** This instance's credential cache: a request that revokes a credential awaits its settle(). */
  credentials?: CredentialCache;
  /** The notification worker (src/notifications/worker.ts): kicked after a commit that queued notifications. */
  notifications?: { kick(): Promise<void> };
  /** OpenTelemetry tracing; undefined while it is off (no OTLP endpoint set). */
  tracing?: Tracing;
  /** Personal data this request has read, for the audit log. */
  privacy: PersonalDataReads;
  /** Set by signIn and acceptInvitation: the agent whose session this request started. */
  signedInAgentId?: string;
  /**
   * Set while an automation rule acts (src/automations/): the events its
   * changes record carry the rule and the depth, so that rules do not loop.
   */
  automation?: { ruleId: string; depth: number };
  /** The caller's tenant-scoped database client (an empty tenant for anonymous callers). */
  readonly db: TenantClient;
  can(permission: Permission): boolean;
}

/** What a context is made from: everything but what createContext derives and what the request sets later. */
export type ContextInput = Omit<Context, "privacy" | "signedInAgentId" | "db" | "can">;

/**
 * Anonymous callers reach only sign-in mutations; should anything else read
 * through ctx.db for them, it finds a tenant that has no rows. Everything is a
 * plain property, set on a copy of the input: an object literal spreading the
 * input beside further properties (and a getter for `db`) took V8's slow path,
 * 8 µs a request against 1 µs this way. (Yoga copies a request's context into
 * its own object anyway, reading any getter once.)
 */
export function createContext(input: ContextInput): Context {
  const { viewer, database } = input;
  const ctx = Object.assign({}, input) as Context;
  ctx.privacy = new PersonalDataReads();
  (ctx as { db: TenantClient }).db =
    viewer?.kind === "contact" ? database.forContact(viewer.tenantId, viewer.contactId) : database.forTenant(viewer?.tenantId ?? NIL_UUID);
  ctx.can = (permission) => viewer?.permissions.has(permission) ?? false;
  return ctx;
}

/**
 * The same context, reading and writing through `tx`: services it is passed
 * to join that transaction (they open theirs with inTransaction, src/db/tx.ts).
 */
export const inTx = (ctx: Context, tx: Tx): Context => Object.create(ctx, { db: { value: tx as unknown as TenantClient } }) as Context;

/** The signed-in viewer, or an UNAUTHENTICATED error. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw new AppError("UNAUTHENTICATED", ctx.authFailure ?? "Sign in or send an API key");
  return ctx.viewer;
}
