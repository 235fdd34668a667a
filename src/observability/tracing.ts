import type { IncomingMessage, ServerResponse } from "node:http";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { TracingSettings } from "./tracing-settings.js";

/**
 * OpenTelemetry tracing, when the operator names an OTLP endpoint. This module
 * is all the rest of the server sees of it: with tracing off, `startTracing`
 * returns undefined without importing the SDK, and each place that would make
 * a span checks for that once (`traced` below runs the work as it is).
 *
 * What goes into a span is chosen here and in ./tracing/, never by a caller's
 * data: names of operations, routes, plugins and tables, ids of tenants and
 * requests, status codes and error codes. Never variables, query text, error
 * messages, addresses of people or their contents.
 */
export interface Tracing {
  /** Handles one HTTP request inside a server span that continues the caller's trace (W3C traceparent). */
  serve(req: IncomingMessage, res: ServerResponse, handle: () => void): void;
  /** The yoga plugin that spans each GraphQL operation (over HTTP and SSE) as a child of its request's span. */
  plugin(): Plugin;
  /** Runs `work` in a span, a child of the span active here (a root span in background work). */
  span<T>(name: string, options: SpanOptions, work: (span: SpanHandle) => Promise<T>): Promise<T>;
  /** Sends the spans not yet exported and stops tracing (the last step of a shutdown). */
  shutdown(): Promise<void>;
}

/** Attribute values: names, ids, codes and counts only (see above). */
export type SpanAttributes = Record<string, string | number | boolean | string[] | undefined>;

export interface SpanOptions {
  /** "client" for a call leaving the server (a vendor, a webhook endpoint); "internal" otherwise. */
  kind: "client" | "internal";
  /** Start a trace of its own even where a span is active (background work a request merely woke up). */
  root?: boolean;
  attributes?: SpanAttributes;
}

export interface SpanHandle {
  /** Adds attributes known only as the work goes on (an outcome, a status). */
  set(attributes: SpanAttributes): void;
  /** Marks the span failed, with a stable type (an error code, a status): never a message, which can quote personal data. */
  fail(errorType: string): void;
  /** The W3C trace context of this span (`traceparent`, `tracestate`), for a receiver the operator lets see it. */
  traceHeaders(): Record<string, string>;
}

const NO_SPAN: SpanHandle = { set() {}, fail() {}, traceHeaders: () => ({}) };

/** Runs `work` in a span when tracing is on, else as it is. */
export function traced<T>(
  tracing: Tracing | undefined,
  name: string,
  options: SpanOptions,
  work: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  return tracing ? tracing.span(name, options, work) : work(NO_SPAN);
}

/** Starts tracing as `settings` say, or returns undefined (tracing off: the SDK is not even imported). */
export async function startTracing(settings: TracingSettings | undefined, log: Logger): Promise<Tracing | undefined> {
  if (!settings) return undefined;
  const { startSdk } = await import("./tracing/sdk.js");
  return startSdk(settings, log);
}
