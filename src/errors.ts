import { GraphQLError } from "graphql";

/** Stable codes clients can switch on; documented in docs/api.md (Errors). */
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "VALIDATION"
  | "CONFLICT"
  | "INVALID_TRANSITION"
  | "TICKET_CLOSED"
  | "RATE_LIMITED"
  | "QUERY_TOO_COMPLEX"
  | "CONSENT_REQUIRED"
  | "PROCESSING_RESTRICTED"
  | "LEGAL_HOLD"
  | "EXPIRED"
  | "VERIFICATION_REQUIRED"
  | "PLUGIN_DISABLED"
  | "PLUGIN_UNDECLARED_PROCESSING"
  | "TRANSFER_ACCEPTANCE_REQUIRED"
  | "TRANSFER_NOT_ACCEPTED"
  | "CURSOR_EXPIRED"
  | "SEAT_LIMIT"
  | "PLAN_LIMIT"
  | "TENANT_READ_ONLY"
  | "TENANT_CLOSED"
  | "BILLING_DISABLED"
  | "BILLING_PROVIDER_ERROR"
  | "SERVICE_UNAVAILABLE"
  | "ADDRESS_NOT_ALLOWED"
  // The email plugin could not sign in to a mailbox's IMAP or SMTP server (extensions.server, extensions.reason).
  | "MAILBOX_CONNECTION_FAILED"
  // Connecting a Google or Microsoft 365 mailbox with OAuth2 failed before its servers were tried (extensions.reason).
  | "MAILBOX_AUTHORIZATION_FAILED"
  // AI assistance (docs/ai.md): the tenant turned it off; a text mentions a special category; the provider could not answer.
  | "AI_DISABLED"
  | "SENSITIVE_DATA"
  | "PROVIDER_UNAVAILABLE"
  // PERSISTED_OPERATIONS (src/graphql/persisted-operations.ts): an id not in the manifest; a document where only ids run.
  | "PERSISTED_QUERY_NOT_FOUND"
  | "PERSISTED_QUERY_REQUIRED"
  // Refused at the HTTP level, before any GraphQL runs (src/http/). A body over
  // MAX_BODY_BYTES is refused with HTTP 413 and REQUEST_ENTITY_TOO_LARGE (src/http/body-limit.ts).
  | "UNSUPPORTED_MEDIA_TYPE"
  | "METHOD_NOT_ALLOWED";

export interface FieldProblem {
  /** Path of the offending input, e.g. ["input", "requester", "email"]. */
  path: (string | number)[];
  message: string;
}

/** An expected failure: reaches the client unmasked with `extensions.code`. */
export class AppError extends GraphQLError {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);

export const forbidden = (message = "You are not allowed to do this") => new AppError("FORBIDDEN", message);

export function validationError(problems: FieldProblem[]): AppError {
  const summary = problems.map((p) => `${p.path.join(".")}: ${p.message}`).join("; ");
  return new AppError("VALIDATION", `Invalid input: ${summary}`, { fields: problems });
}

/**
 * How long a client is asked to wait when the database is away. The server
 * looks for it again at least every second, so a short wait is not wasted.
 */
export const RETRY_AFTER_SECONDS = 2;

/**
 * The database cannot be reached: HTTP 503 with Retry-After (yoga reads
 * `extensions.http` and leaves it out of the response), and
 * `extensions.retryAfterSeconds` for WebSocket clients, which have no headers.
 */
export function serviceUnavailable(
  message = "The service is temporarily unavailable (its database cannot be reached); try again shortly",
): AppError {
  return new AppError("SERVICE_UNAVAILABLE", message, {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    http: { status: 503, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } },
  });
}
