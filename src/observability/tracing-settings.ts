/**
 * OpenTelemetry's own environment variables, as far as Deskgraph reads them
 * (src/config.ts validates them with the rest). Tracing is on when an OTLP
 * endpoint is named and OTEL_SDK_DISABLED is not true; off, nothing of the
 * SDK is loaded (see tracing.ts).
 */

/** The values of OTEL_TRACES_SAMPLER this server understands (the specification's built-in samplers). */
export const SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;
type SamplerName = (typeof SAMPLERS)[number];

export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP, JSON). */
  tracesUrl: string;
  /** Sent with every export (a collector's API key): never logged. */
  headers: Record<string, string>;
  serviceName: string;
  sampler: SamplerName;
  /** The ratio of the traceidratio samplers (OTEL_TRACES_SAMPLER_ARG). */
  ratio: number;
}

export interface TracingEnv {
  OTEL_SDK_DISABLED: boolean;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_SERVICE_NAME: string;
  OTEL_TRACES_SAMPLER: SamplerName;
  OTEL_TRACES_SAMPLER_ARG?: number;
}

/**
 * `name=value,name2=value2`, values percent-encoded (the W3C baggage format the
 * specification prescribes). A malformed entry is named by its position only:
 * these values are credentials and must not reach an error message.
 */
export function parseOtlpHeaders(value: string): Record<string, string> {
  const headers: Record<string, string> = {};
  value.split(",").forEach((entry, i) => {
    if (!entry.trim()) return;
    const eq = entry.indexOf("=");
    const name = entry.slice(0, eq).trim();
    if (eq < 1 || !/^[!#$%&'*+.^_`|~\w-]+$/.test(name)) throw new Error(`entry ${i + 1} is not name=value with a valid header name`);
    try {
      headers[name.toLowerCase()] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      throw new Error(`the value of entry ${i + 1} (${name}) is not valid percent-encoding`);
    }
  });
  return headers;
}

/**
 * The signal-specific endpoint is used as it is; the general one is a base to
 * which `v1/traces` is appended, as the specification says.
 */
export function tracingSettings(e: TracingEnv): TracingSettings | undefined {
  if (e.OTEL_SDK_DISABLED) return undefined;
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base && `${base.replace(/\/+$/, "")}/v1/traces`);
  if (!tracesUrl) return undefined;
  return {
    tracesUrl,
    headers: e.OTEL_EXPORTER_OTLP_HEADERS ? parseOtlpHeaders(e.OTEL_EXPORTER_OTLP_HEADERS) : {},
    serviceName: e.OTEL_SERVICE_NAME,
    sampler: e.OTEL_TRACES_SAMPLER,
    ratio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
