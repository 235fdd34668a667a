import { createHash } from "node:crypto";
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from "@opentelemetry/api";
import { getOperationAST, type DocumentNode } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

interface Operated {
  request?: Request;
  viewer?: { tenantId?: string } | null;
}

/** Runs `run` and ends `span` once what it returns settles (a promise, or a thenable of yoga's, or nothing). */
function endWhenSettled(span: Span, run: () => PromiseLike<void> | void): Promise<void> | void {
  let result: PromiseLike<void> | void;
  try {
    result = run();
  } catch (err) {
    span.end();
    throw err;
  }
  if (result && typeof result.then === "function") return Promise.resolve(result).finally(() => span.end());
  span.end();
}

/** The codes of a response's errors (never their messages, which may quote what a client sent). */
function errorCodes(result: unknown): string[] {
  if (!result || typeof result !== "object" || isAsyncIterable(result)) return [];
  const errors = (result as { errors?: readonly { extensions?: { code?: unknown } }[] }).errors ?? [];
  return [...new Set(errors.map((e) => (typeof e.extensions?.code === "string" ? e.extensions.code : "INTERNAL_SERVER_ERROR")))];
}

/**
 * One span per GraphQL operation over HTTP or SSE, a child of the request's
 * span, and active while the operation runs: the database statements of its
 * resolvers are its children. Named `query TicketQueue` once parsed.
 * Attributes: the operation's type and name, the SHA-256 of its document
 * (the id a persisted operation has in the client preset's manifest), the
 * tenant, and the codes of errors in the response. Never the document's
 * text (its literals can be personal data), the variables or the result.
 * A subscription's span ends when its stream starts. Operations over
 * WebSocket are not spanned: their connection lasts as long as the page.
 */
export function graphqlSpans(tracer: Tracer): Plugin {
  const spans = new WeakMap<Request, Span>();

  const describe = (args: { document: DocumentNode; operationName?: string | null; contextValue: unknown }) => {
    const { request, viewer } = args.contextValue as Operated;
    const span = request && spans.get(request);
    if (!span) return;
    const operation = getOperationAST(args.document, args.operationName);
    const type = operation?.operation ?? "unknown";
    const name = operation?.name?.value;
    span.updateName(name ? `${type} ${name}` : type);
    span.setAttribute("graphql.operation.type", type);
    if (name) span.setAttribute("graphql.operation.name", name);
    if (viewer?.tenantId) span.setAttribute("deskgraph.tenant.id", viewer.tenantId);
  };

  return {
    instrumentation: {
      operation({ request }, wrapped) {
        const span = tracer.startSpan("GraphQL operation", { kind: SpanKind.INTERNAL });
        spans.set(request, span);
        return context.with(trace.setSpan(context.active(), span), () => endWhenSettled(span, wrapped));
      },
    },
    // Placed after the persisted-operations plugin, which puts the manifest's document into the params.
    onParams({ request, params }) {
      const span = spans.get(request);
      if (span && typeof params.query === "string") {
        span.setAttribute("deskgraph.graphql.document_sha256", createHash("sha256").update(params.query).digest("hex"));
      }
    },
    onExecute({ args }) {
      describe(args);
    },
    onSubscribe({ args }) {
      describe(args);
    },
    onExecutionResult({ request, result }) {
      const span = spans.get(request);
      const codes = errorCodes(result);
      if (!span || !codes.length) return;
      span.setAttribute("deskgraph.graphql.error_codes", codes);
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}
