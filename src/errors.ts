import { GraphQLError } from "graphql";

/** Stable codes clients can switch on; documented in the README. */
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
  | "PLUGIN_DISABLED"
  | "PLUGIN_UNDECLARED_PROCESSING"
  | "TRANSFER_ACCEPTANCE_REQUIRED"
  | "TRANSFER_NOT_ACCEPTED"
  | "CURSOR_EXPIRED"
  | "SEAT_LIMIT"
  | "PLAN_LIMIT"
  | "TENANT_READ_ONLY"
  | "BILLING_DISABLED"
  | "BILLING_PROVIDER_ERROR";

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
