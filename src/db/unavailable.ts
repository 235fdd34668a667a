/**
 * "The database cannot be reached right now", as opposed to a bug or bad
 * input. Requests answer it with SERVICE_UNAVAILABLE (HTTP 503, Retry-After),
 * background loops wait for the database instead of logging a failure per
 * pass, and the health probe takes it as a reason to look.
 */
export class DatabaseUnavailableError extends Error {
  constructor(message = "The database is unavailable", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

/**
 * SQLSTATEs that mean the session or the server went away: 57P01 admin
 * shutdown (a restart), 57P02 crash shutdown, 57P03 cannot connect now
 * (starting up, shutting down, in recovery); class 08 is "connection exception".
 */
const SQLSTATES = new Set(["57P01", "57P02", "57P03"]);

/** Socket errors node-postgres passes on as they are. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);

/**
 * Prisma's codes for a lost server (P1001 can't reach, P1002 timed out
 * reaching, P1008 socket timeout, P1017 server closed the connection).
 */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017"]);

/** What @prisma/adapter-pg calls a lost connection (DriverAdapterError's cause.kind). */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout"]);

/**
 * node-postgres raises these without a code: the socket ended, a client that
 * lost its connection was used again, the pool could not connect in time.
 */
const MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
];

function matches(err: Record<string, unknown>): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const code = typeof err.code === "string" ? err.code : undefined;
  if (code && (SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || SOCKET_CODES.has(code) || PRISMA_CODES.has(code))) return true;
  // The adapter's error shape: { kind, originalCode? , code? } (a plain object, not an Error).
  if (typeof err.kind === "string") {
    if (ADAPTER_KINDS.has(err.kind)) return true;
    const original = typeof err.originalCode === "string" ? err.originalCode : code;
    if (original && (SQLSTATES.has(original) || /^08/.test(original))) return true;
  }
  const message = typeof err.message === "string" ? err.message : "";
  return MESSAGES.some((m) => m.test(message));
}

/**
 * Whether an error, or anything it wraps, says the database is away. It walks
 * `cause` (Error causes, the adapter's DriverAdapterError), `originalError`
 * (GraphQL) and Prisma's `meta.driverAdapterError`, so the same test holds for
 * a raw pg error, what Prisma makes of it, and a resolver error wrapping either.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const r = e as Record<string, unknown>;
    if (matches(r)) return true;
    queue.push(r.cause, r.originalError, (r.meta as Record<string, unknown> | undefined)?.driverAdapterError);
    if (Array.isArray(r.errors)) queue.push(...r.errors);
  }
  return false;
}

/**
 * Prisma's "Transaction already closed: A rollback cannot be executed on a
 * committed transaction" (P2028). It is raised when a transaction's COMMIT
 * failed and Prisma then tries to roll it back: the COMMIT's own error — most
 * often a lost connection — is replaced by this one, so it cannot be
 * recognised by itself. DatabaseHealth.isOutage() counts it as an outage when
 * connection errors were seen just before.
 */
export function isLostCommit(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return e?.code === "P2028" && typeof e.message === "string" && /Transaction already closed/.test(e.message);
}

/** A short description for logs: the code and message of the innermost recognisable error, never the query. */
export function describeOutage(err: unknown): string {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let i = 0; i < 5 && e && typeof e === "object" && e.cause && typeof e.cause === "object"; i++) {
    const cause = e.cause as { message?: unknown };
    if (typeof cause.message !== "string") break;
    e = cause as typeof e;
  }
  const code = typeof e?.code === "string" ? `${e.code}: ` : "";
  const message = typeof e?.message === "string" ? e.message.split("\n").filter(Boolean).pop() : String(err);
  return `${code}${message}`;
}
