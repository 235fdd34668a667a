import { GraphQLError } from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { PothosValidationError } from "@pothos/core";
import { serviceUnavailable } from "../errors.js";
import type { DatabaseHealth } from "../db/health.js";
import { describeOutage, isDatabaseUnavailable } from "../db/unavailable.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import type { Context } from "../context.js";

const withCode = (err: GraphQLError, code: string, extra: Record<string, unknown> = {}) =>
  new GraphQLError(err.message, {
    nodes: err.nodes,
    source: err.source,
    positions: err.positions,
    path: err.path,
    extensions: { ...err.extensions, code, ...extra },
  });

/** Database errors that mean the input clashed with existing data, not a bug. */
function fromDatabase(original: unknown): [string, string] | null {
  const code = (original as { code?: unknown })?.code;
  if (isUniqueViolation(original)) return ["CONFLICT", "This conflicts with an existing record"];
  if (code === "P2025") return ["NOT_FOUND", "Record not found"];
  return null;
}

/**
 * Gives every error a stable `extensions.code`, and masks unexpected ones:
 * the client sees a reference, the log has the cause.
 */
export function presentError(err: GraphQLError, requestId: string, log: Logger, health?: DatabaseHealth): GraphQLError {
  const original = err.originalError;
  if (err.extensions?.code && (!original || original instanceof GraphQLError)) return err;
  // Variable coercion: a wrong type or an unknown enum value in the variables.
  const variable = /^Variable "\$(\w+)"/.exec(err.message)?.[1];
  if (variable) return withCode(err, "VALIDATION", { fields: [{ path: [variable], message: err.message }] });
  if (original instanceof PothosValidationError || original instanceof GraphQLError) return withCode(err, "VALIDATION");
  if (!original) return withCode(err, "GRAPHQL_VALIDATION_FAILED");
  const known = fromDatabase(original);
  if (known) return new GraphQLError(known[1], { nodes: err.nodes, path: err.path, extensions: { code: known[0] } });
  // Not a bug: the database went away during the request. The client is told to come back, not given a reference.
  if (health ? health.isOutage(original) : isDatabaseUnavailable(original)) {
    log.warn({ requestId, path: err.path?.join("."), reason: describeOutage(original) }, "database unavailable during a request");
    const unavailable = serviceUnavailable();
    return new GraphQLError(unavailable.message, { nodes: err.nodes, path: err.path, extensions: unavailable.extensions });
  }
  log.error({ err: original, requestId, path: err.path?.join(".") }, "unexpected error");
  return new GraphQLError(`Unexpected error (reference ${requestId})`, {
    nodes: err.nodes,
    path: err.path,
    extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
  });
}

/** graphql-js's hints ("Did you mean \"email\"?") name fields and values the caller may not know of. */
const SUGGESTION = /\s*Did you mean .*\?$/;

function withoutSuggestion(err: GraphQLError): GraphQLError {
  if (!SUGGESTION.test(err.message)) return err;
  return new GraphQLError(err.message.replace(SUGGESTION, ""), {
    nodes: err.nodes,
    source: err.source,
    positions: err.positions,
    path: err.path,
    originalError: err.originalError,
    extensions: err.extensions,
  });
}

export interface ErrorsOptions {
  /** Keep "Did you mean …" hints in error messages (off where introspection is closed). */
  suggestions?: boolean;
}

export function errorsPlugin(log: Logger, options: ErrorsOptions = {}): Plugin<Context> {
  const hints = options.suggestions ?? true;
  const scrub = hints ? (e: GraphQLError) => e : withoutSuggestion;
  const present = (err: GraphQLError, ctx: Context) => scrub(presentError(err, ctx.requestId, log, ctx.database.health));
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        // A parse refused by a limit (query-limits.ts) keeps its own code.
        if (result instanceof GraphQLError && !result.extensions?.code) {
          replaceParseResult(withCode(result, "GRAPHQL_PARSE_FAILED", { http: { status: 400 } }));
        }
      };
    },
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0)
          setResult(result.map((e) => scrub(withCode(e, (e.extensions?.code as string) ?? "GRAPHQL_VALIDATION_FAILED"))));
      };
    },
    onExecute({ args }) {
      const ctx = args.contextValue as Context;
      return {
        onExecuteDone(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
            if (result.errors?.length) {
              setResult({ ...result, errors: result.errors.map((e) => present(e, ctx)) });
            }
          });
        },
      };
    },
    onSubscribe({ args }) {
      const ctx = args.contextValue as Context;
      // Over a WebSocket there is no HTTP response: its status and headers have no place in the error.
      const overSocket = !(ctx as Context & { request?: Request }).request;
      const presentOverSocket = (e: GraphQLError) => {
        const presented = present(e, ctx);
        if (!overSocket || !presented.extensions?.http) return presented;
        const { http: _http, ...extensions } = presented.extensions;
        return new GraphQLError(presented.message, { nodes: presented.nodes, path: presented.path, extensions });
      };
      return {
        onSubscribeResult(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
            if (result.errors?.length) {
              setResult({ ...result, errors: result.errors.map(presentOverSocket) });
            }
          });
        },
      };
    },
  };
}

/**
 * For yoga's maskedErrors.maskError: an error that escapes a plugin hook or the
 * context factory (outside execution, where presentError does not see it)
 * becomes SERVICE_UNAVAILABLE when the database is away; any other error is
 * returned as it is, for presentError to deal with.
 */
export function maskDatabaseOutage(health: DatabaseHealth): (error: unknown) => Error {
  return (error) => {
    if (!health.isOutage(error)) return error as Error;
    const code = (error as GraphQLError | undefined)?.extensions?.code;
    return code === "SERVICE_UNAVAILABLE" ? (error as Error) : serviceUnavailable();
  };
}
