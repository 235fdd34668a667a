import { trace, TraceFlags, type Attributes, type Context, type Link, type SpanKind } from "@opentelemetry/api";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from "@opentelemetry/sdk-trace-node";
import type { TracingSettings } from "../tracing-settings.js";

/** The sampler OTEL_TRACES_SAMPLER names, as the specification defines it. */
function configured(settings: TracingSettings): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(settings.ratio);
  switch (settings.sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio() });
  }
}

/**
 * Prisma makes a span for every statement. Those of a request, a webhook
 * delivery or a plugin call are children of its span and kept; those of the
 * background loops (the sequencer, pollers, sweeps, every second or so) have
 * no sampled parent and would each start a trace of their own, burying the
 * ones that matter: they are dropped here.
 */
class StatementsUnderSampledSpans implements Sampler {
  constructor(private readonly inner: Sampler) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (name.startsWith("prisma:")) {
      const parent = trace.getSpanContext(context);
      if (!parent || !(parent.traceFlags & TraceFlags.SAMPLED)) return { decision: SamplingDecision.NOT_RECORD };
    }
    return this.inner.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `StatementsUnderSampledSpans{${this.inner.toString()}}`;
  }
}

export function samplerFor(settings: TracingSettings): Sampler {
  return new StatementsUnderSampledSpans(configured(settings));
}
