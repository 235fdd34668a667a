import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** An OTLP attribute value as OTLP/JSON encodes it. */
type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};

export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  status?: { code?: number };
  attributes: Record<string, unknown>;
  /** The resource's attributes (service.name …). */
  resource: Record<string, unknown>;
}

export interface OtlpCollector {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (exports go to /v1/traces below it). */
  url: string;
  /** Every request received: path, headers and body as sent. */
  requests: { path: string; headers: IncomingHttpHeaders; body: string }[];
  spans(): ExportedSpan[];
  close(): Promise<void>;
}

const attributeValue = (v: AnyValue | undefined): unknown => {
  if (!v) return undefined;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(attributeValue);
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.boolValue ?? v.doubleValue;
};
const attributesOf = (list: { key: string; value: AnyValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, attributeValue(a.value)]));

/**
 * A trace collector on 127.0.0.1 that takes OTLP/HTTP with JSON bodies, as
 * an OpenTelemetry Collector's otlp receiver does on port 4318, and keeps
 * what it is sent.
 */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const requests: OtlpCollector["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spans: () =>
      requests.flatMap((r) =>
        ((JSON.parse(r.body) as { resourceSpans?: any[] }).resourceSpans ?? []).flatMap((rs) =>
          (rs.scopeSpans ?? []).flatMap((ss: any) =>
            (ss.spans ?? []).map((s: any) => ({
              ...s,
              attributes: attributesOf(s.attributes),
              resource: attributesOf(rs.resource?.attributes),
            })),
          ),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
