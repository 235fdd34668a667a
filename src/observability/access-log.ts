import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";

/**
 * One log line per HTTP request once its response is finished (or the client
 * went away): method, path without the query string, status, duration and the
 * request id the client got in `x-request-id`. Nothing else: no query text,
 * no variables, no headers, no client address, which could name a person.
 * Probes and scrapes (/health, /ready, /metrics) come every few seconds and
 * are logged at debug level. WebSocket upgrades are not requests here.
 */
export function logAccess(log: Logger, req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const started = process.hrtime.bigint();
  const path = pathOf(req.url);
  const level = PROBES.has(path) ? "debug" : "info";
  res.once("close", () => {
    log[level](
      {
        method: req.method,
        path,
        // 499, as nginx logs it: the client went away before the response was complete.
        status: res.writableFinished ? res.statusCode : 499,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        requestId,
      },
      "request",
    );
  });
}

/** Probes and scrapes: polled every few seconds, quiet in logs and traces. */
export const PROBES = new Set(["/health", "/ready", "/metrics"]);

/** The path without its query string; a data export's download path carries its signed token, which is left out. */
export function pathOf(url = "/"): string {
  const path = url.split("?")[0]!;
  return path.startsWith("/exports/") ? "/exports/…" : path;
}
