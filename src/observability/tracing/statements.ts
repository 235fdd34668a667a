import { context, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import type { StatementSpan } from "../../db/direct-sql.js";

/**
 * A client span for each statement sent past Prisma's client (src/db/direct-sql.ts), with the
 * attributes Prisma's own instrumentation gives its statements: the text has placeholders,
 * never values. Only inside a traced operation: background work's statements (the sequencer's
 * numbering) would otherwise each start a trace of their own.
 */
export function statementSpans(tracer: Tracer): StatementSpan {
  return (text, send) => {
    if (!trace.getSpan(context.active())) return send();
    const attributes = { "db.system.name": "postgresql", "db.query.text": text };
    return tracer.startActiveSpan("db_query", { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await send();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
  };
}
