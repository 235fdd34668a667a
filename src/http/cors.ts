import type { Plugin } from "graphql-yoga";

/** What a browser app needs to read besides the body: the request id and the rate-limit headers. */
const EXPOSED = ["x-request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"];
/** Headers a client sends that are not CORS-safelisted: the credential, the JSON content type, its own request id. */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "x-request-id",
  "graphql-require-preflight",
  "apollo-require-preflight",
  "x-graphql-yoga-csrf",
];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for /graphql from an allow-list, in place of yoga's default (which echoes
 * any origin and allows credentials). `Access-Control-Allow-Credentials` is never
 * sent: callers authenticate with an Authorization header, which a cross-origin
 * fetch sends without credentials mode, so no origin ever needs it.
 * A preflight from an origin that is not allowed is refused (403, no CORS headers).
 */
export function corsPolicy(origins: string[] | "*"): Plugin {
  const anyOrigin = origins === "*";
  const allowed = new Set(anyOrigin ? [] : origins);
  const allowOrigin = (origin: string | null): string | null => {
    if (!origin) return null;
    if (anyOrigin) return "*";
    return allowed.has(origin) ? origin : null;
  };
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== "OPTIONS") return;
      const origin = request.headers.get("origin");
      const headers = new fetchAPI.Headers({ "content-length": "0" });
      // The answer depends on the origin whenever it is checked against a list.
      if (!anyOrigin) headers.set("vary", "Origin");
      if (!origin) {
        // Not a CORS preflight: say which methods /graphql takes.
        headers.set("allow", "GET, POST, OPTIONS");
        endResponse(new fetchAPI.Response(null, { status: 204, headers }));
        return;
      }
      const allow = allowOrigin(origin);
      if (!allow) {
        endResponse(new fetchAPI.Response(null, { status: 403, headers }));
        return;
      }
      headers.set("access-control-allow-origin", allow);
      headers.set("access-control-allow-methods", "GET, POST");
      headers.set("access-control-allow-headers", ALLOWED_HEADERS.join(", "));
      headers.set("access-control-max-age", String(PREFLIGHT_MAX_AGE_SECONDS));
      endResponse(new fetchAPI.Response(null, { status: 204, headers }));
    },
    onResponse({ request, response }) {
      if (request.method === "OPTIONS") return;
      if (!anyOrigin) response.headers.append("vary", "Origin");
      const allow = allowOrigin(request.headers.get("origin"));
      if (!allow) return;
      response.headers.set("access-control-allow-origin", allow);
      response.headers.set("access-control-expose-headers", EXPOSED.join(", "));
    },
  };
}
