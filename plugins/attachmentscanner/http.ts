import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import type { OutboundGuard } from "../../src/outbound/guard.js";

/** More than any scan result (a few hundred bytes): a longer answer is not the API's. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * One request over node:http(s) with the outbound guard's agents, so that
 * every connection to the base URL a tenant saved is checked on the address it
 * connects to. (Node's global fetch takes no agent: guarding it would need the
 * undici package's dispatcher, which this project does not depend on.)
 * Redirects are not followed. The body streams in; the answer is read whole.
 */
export function request(
  url: URL,
  init: { method: "GET" | "POST"; headers: Record<string, string | number>; body?: AsyncIterable<Uint8Array> },
  guard: OutboundGuard,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  const secure = url.protocol === "https:";
  const agent = agentsOf(guard)[secure ? "https" : "http"];
  const body = init.body ? Readable.from(init.body) : null;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let answered = false;
    const req = (secure ? https : http).request(url, { method: init.method, headers: init.headers, agent, signal }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      let length = 0;
      res.on("data", (chunk: Buffer) => {
        length += chunk.length;
        if (length > MAX_RESPONSE_BYTES) return res.destroy(new Error("The answer is too long"));
        parts.push(chunk);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", (err) => {
      // The API may answer (413, 401) before the whole file is sent and close: the answer counts.
      if (!answered) reject(err);
    });
    if (!body) return void req.end();
    body.on("error", (err) => req.destroy(err));
    body.pipe(req);
  }).finally(() => {
    // What the request did not read of the file is closed (the API answered early, or the call failed).
    body?.destroy();
  });
}

// One pair of agents (and so one pool of kept-alive connections) per guard.
const agents = new WeakMap<OutboundGuard, { http: http.Agent; https: https.Agent }>();

function agentsOf(guard: OutboundGuard): { http: http.Agent; https: https.Agent } {
  let pair = agents.get(guard);
  if (!pair) agents.set(guard, (pair = { http: guard.httpAgent({ keepAlive: true }), https: guard.httpsAgent({ keepAlive: true }) }));
  return pair;
}
