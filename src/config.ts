import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { z } from "zod";
import { loadPlans, type PlanCatalog } from "./billing/plans.js";
import { parseAllowList, type AllowedNetwork } from "./outbound/allow-list.js";
import { parseOtlpHeaders, SAMPLERS, tracingSettings, type TracingSettings } from "./observability/tracing-settings.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A yes/no variable; exported for plugins' options (src/plugin-host/options.ts). */
export const flag = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

/** A string `parse` accepts; what it throws is the variable's problem. */
function parsedBy(parse: (value: string) => unknown) {
  return z.string().superRefine((v, ctx) => {
    try {
      parse(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  });
}

const otlpUrl = z.string().regex(/^https?:\/\/[^/]/, "must be an http:// or https:// URL (OTLP over HTTP)");

/**
 * Every setting the core reads, with its default. docs/configuration.md lists
 * them, with the options of the shipped plugins (each plugin's options.ts).
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATA_DIR: z.string().min(1).default("./data"),
  // Attachment files (src/blobs/): default <DATA_DIR>/blobs; a temporary directory with DATA_DIR=memory://.
  BLOB_DIR: z.string().min(1).optional(),
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .default(100 * 1024 * 1024),
  ATTACHMENT_LINK_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  // Text extraction from attachments (src/attachments/extract/): limits that keep a hostile file harmless.
  ATTACHMENT_EXTRACT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .default(25 * 1024 * 1024),
  ATTACHMENT_TEXT_MAX_CHARS: z.coerce.number().int().min(1000).max(50_000_000).default(1_000_000),
  ATTACHMENT_EXTRACT_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(30),
  ATTACHMENT_EXTRACT_MAX_HEAP_MB: z.coerce.number().int().min(32).max(16_384).default(256),
  // Malware scanning of attachments (src/attachments/scan-worker.ts); unset: required in production mode, off otherwise.
  ATTACHMENT_SCANNING: z.enum(["required", "off"]).optional(),
  ATTACHMENT_SCAN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  ATTACHMENT_SCAN_RETRY_BASE_MS: z.coerce.number().int().min(1).default(10_000),
  ATTACHMENT_SCAN_RETRY_CAP_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30 * 60_000),
  ATTACHMENT_SCAN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  ATTACHMENT_QUARANTINE_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_CONNECT_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(5),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(1000).default(10),
  DATABASE_STARTUP_WAIT_SECONDS: z.coerce.number().min(0).max(86_400).default(60),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded")
    .optional(),
  ENCRYPTION_KEYS_PREVIOUS: z
    .string()
    .refine(
      (v) => v.split(",").every((k) => Buffer.from(k.trim(), "base64").length === 32),
      "must be a comma-separated list of 32-byte base64 keys",
    )
    .optional(),
  PUBLIC_URL: z.string().url().optional(),
  EVENT_POLL_MS: z.coerce.number().int().min(100).default(2000),
  SEQUENCER_POLL_MS: z.coerce.number().int().min(50).default(1000),
  SUBSCRIPTION_READS_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).default(7),
  // Networks the server may call on a tenant's behalf although they are not public (see src/outbound/).
  OUTBOUND_ALLOW_PRIVATE: parsedBy(parseAllowList).optional(),
  // Replaced by OUTBOUND_ALLOW_PRIVATE: refused rather than silently ignored.
  WEBHOOKS_ALLOW_PRIVATE: z
    .never({ message: "replaced by OUTBOUND_ALLOW_PRIVATE, a list of the networks you trust (such as 127.0.0.1/32,::1)" })
    .optional(),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(5000),
  WEBHOOK_RETRY_CAP_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(10 * 60_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WEBHOOK_SECRET_GRACE_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 30)
    .default(24),
  // Off: a partner learns nothing of this server's traces (docs/operations.md: Tracing).
  WEBHOOK_TRACE_CONTEXT: flag.default(false),
  SEED_DEMO: flag.default(true),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .default(24 * 14),
  CREDENTIAL_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  CREDENTIAL_CACHE_ENTRIES: z.coerce.number().int().positive().max(10_000_000).default(10_000),
  QUERY_PLAN_CACHE_ENTRIES: z.coerce.number().int().min(0).max(100_000).default(500),
  MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(12),
  MAX_QUERY_BREADTH: z.coerce.number().int().positive().default(300),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().positive().default(5000),
  SIGNIN_MAX_ATTEMPTS: z.coerce.number().int().positive().default(5),
  SIGNIN_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
  RETENTION_SWEEP_MINUTES: z.coerce.number().int().min(0).default(60),
  METRICS_REFRESH_SECONDS: z.coerce.number().int().min(0).default(15),
  // AI assistance (docs/ai.md): the local provider's training, and calls to any provider.
  AI_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),
  AI_MAX_PROMPT_TOKENS: z.coerce.number().int().min(200).max(200_000).default(6000),
  AI_TRAINING_MAX_TICKETS: z.coerce.number().int().min(0).max(1_000_000).default(20_000),
  AI_TRAINING_MINUTES: z.coerce.number().int().min(0).default(60),
  AI_LOCAL_MODELS: z.coerce.number().int().min(1).max(100_000).default(100),
  EXPORT_LINK_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24 * 7),
  // Unset: the operator API is off. Long enough that guessing it is hopeless.
  OPERATOR_KEY: z.string().min(32, "must be at least 32 characters (openssl rand -base64 32)").optional(),
  TENANT_DELETION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // Billing: the plans a billing provider plugin sells (plugins/stripe-billing reads the operator's Stripe account).
  BILLING_PLANS_FILE: z.string().min(1).optional(),
  BILLING_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(14),
  BILLING_RETURN_URL: z.string().url().optional(),
  // Without billing there is no plan and so no rate tier: this optional limit applies to every tenant.
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().max(1_000_000).optional(),
  TENANT_MAX_CONCURRENT_OPERATIONS: z.coerce.number().int().min(0).max(10_000).default(4),
  // Production mode and the HTTP face of /graphql (docs/configuration.md: Production mode).
  NODE_ENV: z.string().optional(),
  DESKGRAPH_MODE: z.enum(["production", "development"]).optional(),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3)
    .default(1024 ** 2),
  CORS_ORIGINS: z.string().optional(),
  GRAPHIQL: flag.optional(),
  INTROSPECTION: flag.optional(),
  MAX_QUERY_TOKENS: z.coerce.number().int().positive().default(2000),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).default(30),
  MAX_QUERY_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  // Operations (docs/operations.md): metrics, readiness, shutdown, persisted operations.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (openssl rand -hex 32)").optional(),
  READY_SEQUENCER_LAG_SECONDS: z.coerce.number().int().min(1).default(60),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  PERSISTED_OPERATIONS: z.enum(["off", "allow", "require"]).default("off"),
  PERSISTED_OPERATIONS_FILE: z.string().min(1).optional(),
  // Tracing (docs/operations.md: Tracing): OpenTelemetry's standard variables; no endpoint, no tracing.
  OTEL_SDK_DISABLED: flag.default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: parsedBy(parseOtlpHeaders).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(["http/json"], {
      message: "only http/json: spans are sent as OTLP/HTTP with JSON bodies, which an OpenTelemetry Collector accepts on port 4318",
    })
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default("deskgraph"),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).default("parentbased_always_on"),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

/** The names of all of the above: test/docs-tables.test.ts holds the settings table of docs/configuration.md to them and the plugins' options. */
export const SETTING_NAMES = Object.keys(EnvSchema.shape) as (keyof Env)[];

export interface Config {
  /** The variables that were set, as read: each plugin parses its own options from them when the registry loads it. */
  environment: Readonly<Record<string, string>>;
  port: number;
  host: string;
  dataDir: string;
  /** Where attachment files are kept (BLOB_DIR); undefined: <dataDir>/blobs, or a temporary directory for memory://. */
  blobDir?: string;
  attachments: {
    /** The largest file an upload may declare. */
    maxBytes: number;
    /** How long an upload or download link works. */
    linkTtlMs: number;
    /** Reading the text of files, for search and erasure. */
    extract: {
      /** Larger files are not read (their text is NOT_EXTRACTED, TOO_LARGE). */
      maxBytes: number;
      /** Text kept per file; the rest is cut off (TRUNCATED). */
      maxChars: number;
      /** One file's time in the worker; then the worker is terminated. */
      timeoutMs: number;
      /** The worker's heap. */
      maxHeapMb: number;
    };
    scanning: ScanningConfig;
    /** Days an INFECTED file is kept in quarantine in a tenant without an INFECTED_ATTACHMENTS retention rule. */
    quarantineDays: number;
  };
  /** Server PostgreSQL; undefined means the embedded database under dataDir. */
  databaseUrl?: string;
  /** How long opening one server connection may take, or waiting for a free one in the pool. */
  databaseConnectTimeoutMs: number;
  /** The most connections one instance keeps open to the PostgreSQL server (background work's included). */
  databasePoolSize: number;
  /** Read requests whose compiled query plans are kept; 0 turns the cache off. */
  queryPlanCacheEntries: number;
  /** How long start-up keeps trying a database it cannot reach before giving up; 0: one attempt. */
  databaseStartupWaitMs: number;
  redisUrl?: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** AES-256 key for secrets at rest. */
  encryptionKey: Buffer;
  /** Keys used before a rotation: still accepted to open secrets, never to seal new ones. */
  previousEncryptionKeys: Buffer[];
  /** Where the server is reachable from outside (vendor webhooks, signed links); defaults to the listen address. */
  publicUrl?: string;
  seedDemo: boolean;
  /** How often a subscription looks for events even without a notice (a lost notice costs at most this). */
  eventPollMs: number;
  /** How often the sequencer looks for unsealed rows it was not told of (other processes, a crash). */
  sequencerPollMs: number;
  /** One access record covers a subscription's reads of personal data over at most this long (src/audit/subscription-reads.ts). */
  subscriptionReadsWindowMs: number;
  /** Queries and mutations of one tenant that execute at once on an instance; the rest wait their turn (0: no limit). */
  tenantMaxConcurrentOperations: number;
  /** How long events stay replayable (ticketEvents(after:), events). */
  eventRetentionDays: number;
  /** Calls made on a tenant's behalf (webhooks, plugin URLs): see src/outbound/. */
  outbound: {
    /** Networks that are not public but which the operator trusts (tests, on-premises services); empty by default. */
    allowPrivate: AllowedNetwork[];
  };
  /** Partner webhooks: see src/webhooks/. */
  webhooks: {
    retryBaseMs: number;
    retryCapMs: number;
    maxAttempts: number;
    timeoutMs: number;
    /** How long a rotated-out signing secret keeps signing alongside the new one. */
    secretGraceMs: number;
    /** Send the delivery span's W3C trace context (traceparent) to the endpoint; off by default. */
    traceContext: boolean;
  };
  sessionTtlMs: number;
  /**
   * Working credentials kept in memory per instance (see src/auth/credential-cache.ts):
   * for at most ttlMs (0: no cache), at most maxEntries of them.
   */
  credentialCache: { ttlMs: number; maxEntries: number };
  /** Depth, breadth and complexity: the complexity plugin; tokens, aliases, directives and depth again: src/graphql/query-limits.ts. */
  limits: { depth: number; breadth: number; complexity: number; tokens: number; aliases: number; directives: number };
  /** NODE_ENV=production or DESKGRAPH_MODE=production: the defaults below are the safe ones. */
  production: boolean;
  http: HttpConfig;
  signIn: { maxAttempts: number; windowSeconds: number };
  /** Minutes between background retention sweeps; 0 disables them. */
  retentionSweepMinutes: number;
  /** Seconds between passes of the metrics refresher (src/metrics/); 0: none on a timer. */
  metricsRefreshSeconds: number;
  ai: AiConfig;
  /** The operator API's key (Authorization: Operator <key>); undefined: the operator API is off. */
  operatorKey?: string;
  /** Days between closing a tenant and deleting its data. */
  tenantDeletionDays: number;
  /** How long a data export's signed download link works. */
  exportLinkTtlHours: number;
  /**
   * The plans and grace period billing uses with the billing provider a plugin
   * offers (plugins/stripe-billing); undefined: billing is off (self-hosted).
   */
  billing?: BillingConfig;
  /**
   * GraphQL operations per minute each tenant may send when billing is off
   * (with billing, the plan's rate tier decides); undefined: no limit.
   */
  apiRateLimitPerMinute?: number;
  operations: OperationsConfig;
}

interface AiConfig {
  /** How long a provider may take to answer before the call fails (PROVIDER_UNAVAILABLE). */
  timeoutMs: number;
  /** The most of a ticket a prompt carries (estimated at four characters a token); the rest is left out, and the answer says so. */
  maxPromptTokens: number;
  /** The local provider trains on at most this many of a tenant's most recent tickets; 0: it does not train. */
  trainingMaxTickets: number;
  /** A tenant's local model older than this is trained again in the background; 0: only when missing or invalidated. */
  trainingRefreshMs: number;
  /** Tenants whose local models an instance keeps in memory; the least recently used goes first. */
  localModels: number;
}

/** How uploaded files are scanned for malware before anyone can download them (src/attachments/scan-worker.ts). */
export interface ScanningConfig {
  /** required: a file is served once a scanner found it CLEAN; off: files are NOT_SCANNED and served at once. */
  mode: "required" | "off";
  /** Attempts before a file that could not be scanned becomes ERROR (a scanner down, none configured). */
  maxAttempts: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** How long one scan may take before it counts as failed. */
  timeoutMs: number;
}

interface OperationsConfig {
  /** Bearer token that may read /metrics; undefined: /metrics is off (404). */
  metricsToken?: string;
  /** /ready fails while a committed row has waited longer than this for the sequencer. */
  readySequencerLagSeconds: number;
  /** How long a shutdown waits for requests under way before cutting them off. */
  shutdownGraceMs: number;
  /** off: documents only; allow: ids from the manifest too; require: ids only (see src/graphql/persisted-operations.ts). */
  persistedOperations: "off" | "allow" | "require";
  persistedOperationsFile?: string;
  /** Where spans go and how they are sampled; undefined: tracing is off and its SDK never loaded. */
  tracing?: TracingSettings;
}

interface HttpConfig {
  /** Largest POST body /graphql reads (413 beyond). */
  maxBodyBytes: number;
  /** Origins browsers may call the API from: exact origins, "*" for any (never with credentials), [] for none. */
  corsOrigins: string[] | "*";
  graphiql: boolean;
  /** Introspection for everyone; false: only signed-in agents and API keys, and no "Did you mean" hints. */
  introspection: boolean;
}

export interface BillingConfig {
  plans: PlanCatalog;
  /** Days a tenant keeps full use after a failed payment, before it becomes read-only. */
  graceDays: number;
  /** Where Checkout and the billing portal send the admin back when the request names no URL. */
  returnUrl?: string;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Parses and validates the environment once, at start. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  return {
    environment: Object.freeze(present) as Record<string, string>,
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    blobDir: e.BLOB_DIR,
    attachments: {
      maxBytes: e.ATTACHMENT_MAX_BYTES,
      linkTtlMs: e.ATTACHMENT_LINK_TTL_MINUTES * 60_000,
      extract: {
        maxBytes: e.ATTACHMENT_EXTRACT_MAX_BYTES,
        maxChars: e.ATTACHMENT_TEXT_MAX_CHARS,
        timeoutMs: Math.round(e.ATTACHMENT_EXTRACT_TIMEOUT_SECONDS * 1000),
        maxHeapMb: e.ATTACHMENT_EXTRACT_MAX_HEAP_MB,
      },
      scanning: {
        // Production never serves an unscanned file unless the operator says so; a development
        // server (npm start's demo, with no clamd beside it) serves them, marked NOT_SCANNED.
        mode: e.ATTACHMENT_SCANNING ?? (isProduction(e) ? "required" : "off"),
        maxAttempts: e.ATTACHMENT_SCAN_MAX_ATTEMPTS,
        retryBaseMs: e.ATTACHMENT_SCAN_RETRY_BASE_MS,
        retryCapMs: e.ATTACHMENT_SCAN_RETRY_CAP_MS,
        timeoutMs: e.ATTACHMENT_SCAN_TIMEOUT_SECONDS * 1000,
      },
      quarantineDays: e.ATTACHMENT_QUARANTINE_DAYS,
    },
    databaseUrl: e.DATABASE_URL,
    databaseConnectTimeoutMs: Math.round(e.DATABASE_CONNECT_TIMEOUT_SECONDS * 1000),
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseStartupWaitMs: Math.round(e.DATABASE_STARTUP_WAIT_SECONDS * 1000),
    queryPlanCacheEntries: e.QUERY_PLAN_CACHE_ENTRIES,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    encryptionKey: resolveEncryptionKey(e),
    previousEncryptionKeys: (e.ENCRYPTION_KEYS_PREVIOUS ?? "")
      .split(",")
      .filter((k) => k.trim())
      .map((k) => Buffer.from(k.trim(), "base64")),
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ""),
    seedDemo: e.SEED_DEMO,
    eventPollMs: e.EVENT_POLL_MS,
    sequencerPollMs: e.SEQUENCER_POLL_MS,
    subscriptionReadsWindowMs: e.SUBSCRIPTION_READS_WINDOW_MS,
    tenantMaxConcurrentOperations: e.TENANT_MAX_CONCURRENT_OPERATIONS,
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    outbound: { allowPrivate: parseAllowList(e.OUTBOUND_ALLOW_PRIVATE) },
    webhooks: {
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryCapMs: e.WEBHOOK_RETRY_CAP_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      secretGraceMs: e.WEBHOOK_SECRET_GRACE_HOURS * 3600_000,
      traceContext: e.WEBHOOK_TRACE_CONTEXT,
    },
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    credentialCache: { ttlMs: e.CREDENTIAL_CACHE_SECONDS * 1000, maxEntries: e.CREDENTIAL_CACHE_ENTRIES },
    limits: {
      depth: e.MAX_QUERY_DEPTH,
      breadth: e.MAX_QUERY_BREADTH,
      complexity: e.MAX_QUERY_COMPLEXITY,
      tokens: e.MAX_QUERY_TOKENS,
      aliases: e.MAX_QUERY_ALIASES,
      directives: e.MAX_QUERY_DIRECTIVES,
    },
    production: isProduction(e),
    http: resolveHttp(e),
    signIn: { maxAttempts: e.SIGNIN_MAX_ATTEMPTS, windowSeconds: e.SIGNIN_WINDOW_SECONDS },
    retentionSweepMinutes: e.RETENTION_SWEEP_MINUTES,
    metricsRefreshSeconds: e.METRICS_REFRESH_SECONDS,
    ai: {
      timeoutMs: Math.round(e.AI_TIMEOUT_SECONDS * 1000),
      maxPromptTokens: e.AI_MAX_PROMPT_TOKENS,
      trainingMaxTickets: e.AI_TRAINING_MAX_TICKETS,
      trainingRefreshMs: e.AI_TRAINING_MINUTES * 60_000,
      localModels: e.AI_LOCAL_MODELS,
    },
    operatorKey: e.OPERATOR_KEY,
    tenantDeletionDays: e.TENANT_DELETION_DAYS,
    exportLinkTtlHours: e.EXPORT_LINK_TTL_HOURS,
    billing: resolveBilling(e),
    apiRateLimitPerMinute: resolveApiRateLimit(e),
    operations: resolveOperations(e),
  };
}

/** The one place that decides the mode: DESKGRAPH_MODE when set, else NODE_ENV. */
function isProduction(e: Env): boolean {
  return e.DESKGRAPH_MODE ? e.DESKGRAPH_MODE === "production" : e.NODE_ENV === "production";
}

/**
 * In production GraphiQL, open introspection and CORS are off unless asked for.
 * In development any origin may call, as `*`: the API authenticates with a bearer
 * header, never a cookie, so no origin is ever told it may send credentials.
 */
function resolveHttp(e: Env): HttpConfig {
  const production = isProduction(e);
  return {
    maxBodyBytes: e.MAX_BODY_BYTES,
    corsOrigins: e.CORS_ORIGINS === undefined ? (production ? [] : "*") : parseOrigins(e.CORS_ORIGINS),
    graphiql: e.GRAPHIQL ?? !production,
    introspection: e.INTROSPECTION ?? !production,
  };
}

function parseOrigins(value: string): string[] | "*" {
  const list = value
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (list.includes("*")) {
    if (list.length > 1) throw new ConfigError(["CORS_ORIGINS: `*` allows every origin and cannot be combined with others"]);
    return "*";
  }
  const bad = list.filter((o) => {
    try {
      const url = new URL(o);
      return (url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== o;
    } catch {
      return true;
    }
  });
  if (bad.length) {
    throw new ConfigError([
      `CORS_ORIGINS: ${bad.join(", ")}: each must be an exact origin, scheme://host[:port] without a path or a trailing slash`,
    ]);
  }
  return list;
}

/**
 * The plans file turns billing on, together with a billing provider plugin
 * configured by its own options (plugins/stripe-billing/options.ts checks that
 * the two come together).
 */
function resolveBilling(e: Env): BillingConfig | undefined {
  if (!e.BILLING_PLANS_FILE) return undefined;
  let plans: PlanCatalog;
  try {
    plans = loadPlans(e.BILLING_PLANS_FILE);
  } catch (err) {
    throw new ConfigError([`BILLING_PLANS_FILE: ${(err as Error).message}`]);
  }
  return { plans, graceDays: e.BILLING_GRACE_DAYS, returnUrl: e.BILLING_RETURN_URL };
}

function resolveOperations(e: Env): OperationsConfig {
  if (e.PERSISTED_OPERATIONS !== "off" && !e.PERSISTED_OPERATIONS_FILE) {
    throw new ConfigError([
      `PERSISTED_OPERATIONS: ${e.PERSISTED_OPERATIONS} needs PERSISTED_OPERATIONS_FILE (the JSON manifest of your operations)`,
    ]);
  }
  return {
    metricsToken: e.METRICS_TOKEN,
    readySequencerLagSeconds: e.READY_SEQUENCER_LAG_SECONDS,
    shutdownGraceMs: Math.round(e.SHUTDOWN_GRACE_SECONDS * 1000),
    persistedOperations: e.PERSISTED_OPERATIONS,
    persistedOperationsFile: e.PERSISTED_OPERATIONS_FILE,
    tracing: tracingSettings(e),
  };
}

/** With billing on, the plans' rate tiers set the limits: a second, global number would contradict them. */
function resolveApiRateLimit(e: Env): number | undefined {
  if (e.API_RATE_LIMIT_PER_MINUTE !== undefined && e.BILLING_PLANS_FILE) {
    throw new ConfigError([
      "API_RATE_LIMIT_PER_MINUTE: with billing on, each plan's rateTier in BILLING_PLANS_FILE sets the limit; unset this",
    ]);
  }
  return e.API_RATE_LIMIT_PER_MINUTE;
}

/**
 * A server deployment must bring its own key (losing it loses every secret).
 * The embedded database generates one on first start and keeps it beside the data.
 */
function resolveEncryptionKey(e: Env): Buffer {
  if (e.ENCRYPTION_KEY) return Buffer.from(e.ENCRYPTION_KEY, "base64");
  if (e.DATABASE_URL) {
    throw new ConfigError(["ENCRYPTION_KEY: required with DATABASE_URL (32 bytes, base64: `openssl rand -base64 32`)"]);
  }
  if (e.DATA_DIR.startsWith("memory://")) return randomBytes(32);
  const file = path.resolve(e.DATA_DIR, "encryption.key");
  if (existsSync(file)) return Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("base64")}\n`, { mode: 0o600 });
  return key;
}
