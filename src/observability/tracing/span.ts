import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from "@opentelemetry/api";
import type { SpanAttributes, SpanHandle, SpanOptions } from "../tracing.js";

/** Attributes without the unset ones (the SDK warns about each undefined value). */
function defined(attributes: SpanAttributes = {}): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Attributes;
}

/** A stable name for what went wrong: the error's code (ours, a vendor SDK's, Node's), else its class. */
function errorTypeOf(err: unknown): string {
  const e = err as { extensions?: { code?: unknown }; code?: unknown; name?: unknown } | null;
  const code = e?.extensions?.code ?? e?.code;
  if (typeof code === "string" || typeof code === "number") return String(code);
  return typeof e?.name === "string" ? e.name : "Error";
}

/** Runs `work` in an active span: statements and calls it makes are the span's children. */
export function runInSpan<T>(tracer: Tracer, name: string, options: SpanOptions, work: (span: SpanHandle) => Promise<T>): Promise<T> {
  const kind = options.kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL;
  return tracer.startActiveSpan(name, { kind, root: options.root, attributes: defined(options.attributes) }, async (span) => {
    let failed = false;
    const handle: SpanHandle = {
      set: (attributes) => void span.setAttributes(defined(attributes)),
      fail(errorType) {
        failed = true;
        span.setAttribute("error.type", errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      },
      traceHeaders() {
        const headers: Record<string, string> = {};
        propagation.inject(trace.setSpan(context.active(), span), headers);
        return headers;
      },
    };
    try {
      return await work(handle);
    } catch (err) {
      // The error's message stays out: a vendor's can quote a phone number or an address.
      if (!failed) handle.fail(errorTypeOf(err));
      throw err;
    } finally {
      span.end();
    }
  });
}
