import type { IncomingMessage, ServerResponse } from "node:http";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { BILLING_WEBHOOK_PATH } from "../../billing/webhook.js";
import { pathOf, PROBES } from "../access-log.js";

/** The route a path belongs to, as a template: span names stay few whatever the paths carry. */
function routeOf(path: string): string | undefined {
  if (path === "/graphql" || path === BILLING_WEBHOOK_PATH) return path;
  if (path.startsWith("/exports/")) return "/exports/:token";
  if (path.startsWith("/plugins/")) return "/plugins/:pluginId/:tenant/*";
  return undefined;
}

/**
 * Runs `handle` in a SERVER span for the request. An incoming W3C
 * `traceparent` (a browser's, a gateway's) makes the span a child in that
 * trace; with a parent-based sampler its sampling decision is followed.
 * Attributes: method, route, path without its query string (which holds the
 * query and variables of a GET), status and the request id of the access
 * log. Not the client's address or user agent, and no header. Probes and
 * scrapes get no span: one every few seconds would bury the traces that matter.
 */
export function serveInSpan(tracer: Tracer, req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const path = pathOf(req.url);
  if (PROBES.has(path)) {
    handle();
    return;
  }
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? "GET";
  const route = routeOf(path);
  const span = tracer.startSpan(
    route ? `${method} ${route}` : method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": method,
        "url.path": path,
        "url.scheme": "http",
        "network.protocol.version": req.httpVersion,
        ...(route ? { "http.route": route } : {}),
      },
    },
    parent,
  );
  res.once("close", () => {
    const requestId = res.getHeader("x-request-id");
    if (typeof requestId === "string") span.setAttribute("deskgraph.request.id", requestId);
    if (res.writableFinished) {
      span.setAttribute("http.response.status_code", res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } else {
      // The client went away before the response was complete (the access log's 499).
      span.setAttribute("error.type", "client_closed");
    }
    span.end();
  });
  context.with(trace.setSpan(parent, span), handle);
}
