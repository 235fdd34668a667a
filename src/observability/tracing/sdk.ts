import { context, diag, DiagLogLevel, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { PrismaInstrumentation } from "@prisma/instrumentation";
import type { Logger } from "pino";
import type { Tracing } from "../tracing.js";
import { graphqlSpans } from "./graphql.js";
import { serveInSpan } from "./http.js";
import { samplerFor } from "./sampler.js";
import type { TracingSettings } from "../tracing-settings.js";
import { runInSpan } from "./span.js";

/**
 * OpenTelemetry's context manager, propagator and tracer provider, and
 * Prisma's instrumentation, are process-wide: one server per process traces.
 */
let running = false;

/** The endpoint as it may be logged: without credentials in the URL, if any were put there. */
function loggable(url: string): string {
  const u = new URL(url);
  u.username = "";
  u.password = "";
  u.search = "";
  return u.toString();
}

/**
 * Loaded only when tracing is on (see ../tracing.ts). Spans are batched and
 * sent as OTLP/HTTP JSON to the collector; Prisma's own instrumentation adds
 * its statement spans (it works with the driver adapters and the query
 * compiler used here). Only W3C trace context is propagated: baggage from
 * outside is not taken in, since it can carry anything.
 */
export function startSdk(settings: TracingSettings, log: Logger): Tracing {
  if (running) throw new Error("tracing is already running in this process (it is process-wide: one traced server per process)");
  running = true;
  // Failed exports and the like, in our log rather than lost; the SDK's chatter below warn stays out.
  diag.setLogger(
    {
      error: (message) => log.error({ component: "opentelemetry" }, message),
      warn: (message) => log.warn({ component: "opentelemetry" }, message),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    sampler: samplerFor(settings),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers }))],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [new PrismaInstrumentation()] });
  const tracer = provider.getTracer("deskgraph");
  log.info(
    { endpoint: loggable(settings.tracesUrl), serviceName: settings.serviceName, sampler: settings.sampler },
    "tracing on: spans are exported over OTLP/HTTP",
  );

  return {
    serve: (req, res, handle) => serveInSpan(tracer, req, res, handle),
    plugin: () => graphqlSpans(tracer),
    span: (name, options, work) => runInSpan(tracer, name, options, work),
    async shutdown() {
      unregister();
      try {
        // Exports what the batch still holds, then stops the exporter.
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
        running = false;
      }
    },
  };
}
