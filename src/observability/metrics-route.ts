import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Metrics } from "./metrics.js";

export const METRICS_PATH = "/metrics";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * GET /metrics in the Prometheus text format, for the operator's scraper only.
 * Without METRICS_TOKEN the route does not exist (404): queue depths and
 * operation names say more about the tenants' traffic than an anonymous
 * caller should learn. With it, the scraper sends `Authorization: Bearer
 * <token>` (Prometheus: `authorization: { credentials: … }`); anything else is
 * a 401. Compared as digests, in constant time.
 */
export async function handleMetrics(
  metrics: Metrics | undefined,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!metrics || !token) {
    res.writeHead(404, { "content-type": "text/plain" }).end("Not found\n");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
  if (!timingSafeEqual(digest(given), digest(token))) {
    res.writeHead(401, { "www-authenticate": 'Bearer realm="metrics"', "content-type": "text/plain" }).end("Unauthorized\n");
    return;
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
}
