import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import type { OutboundGuard } from "./guard.js";

const agents = new WeakMap<OutboundGuard, { http: http.Agent; https: https.Agent }>();

/**
 * A `fetch` whose every connection passes the outbound guard: for vendor SDKs
 * that take a fetch function instead of an agent (the OpenAI SDK). It sends
 * with node:http(s) over the guard's agents and answers a standard Response.
 * Redirects are not followed: an API answering one is an error to see, not a
 * path to a private address.
 */
export function guardedFetch(guard: OutboundGuard): typeof fetch {
  let pool = agents.get(guard);
  if (!pool) agents.set(guard, (pool = { http: guard.httpAgent({ keepAlive: true }), https: guard.httpsAgent({ keepAlive: true }) }));
  const { http: httpAgent, https: httpsAgent } = pool;
  return async (input, init = {}) => {
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : String(input));
    guard.checkUrlNow(url.toString());
    const headers = new Headers(init.headers ?? request?.headers);
    const body = init.body ?? (request ? await request.arrayBuffer() : undefined);
    const payload =
      body === undefined || body === null
        ? undefined
        : typeof body === "string"
          ? Buffer.from(body)
          : body instanceof ArrayBuffer || ArrayBuffer.isView(body)
            ? Buffer.from(body as ArrayBuffer)
            : Buffer.from(await new Response(body as BodyInit).arrayBuffer());
    if (payload && !headers.has("content-length")) headers.set("content-length", String(payload.length));
    const signal = init.signal ?? request?.signal ?? undefined;
    signal?.throwIfAborted();
    const secure = url.protocol === "https:";
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? https : http).request(
        url,
        {
          method: init.method ?? request?.method ?? "GET",
          headers: Object.fromEntries(headers),
          agent: secure ? httpsAgent : httpAgent,
          signal,
        },
        (res) => {
          const status = res.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) for (const value of Array.isArray(v) ? v : [v]) responseHeaders.append(k, value);
          }
          const empty = status === 204 || status === 304 || init.method === "HEAD";
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream), {
              status,
              statusText: res.statusMessage,
              headers: responseHeaders,
            }),
          );
          if (empty) res.resume();
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  };
}
