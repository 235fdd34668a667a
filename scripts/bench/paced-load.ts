// A probe at a steady rate (load-worker.ts, for a LoadSpec with `rate`): each
// connection sends one request every connections/rate seconds, the connections
// staggered evenly, so requests arrive spread over each second. autocannon's
// own rate limit sends each second's quota back to back at the start of the
// second and then pauses: a probe of 40 a second on 2 connections came as two
// bursts of 20, whose latency was mostly the probe queueing behind itself.
import http from "node:http";
import { performance } from "node:perf_hooks";

export interface PacedRequest {
  method: "GET" | "POST";
  headers: Record<string, string>;
  /** The n-th request's body (null: none). */
  body: (n: number) => string | null;
}

export interface PacedResult {
  /** Milliseconds from sending each completed request to the end of its response. */
  latencies: number[];
  seconds: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

const TIMEOUT_MS = 10_000;

interface Response {
  status: number;
  body: string;
}

function send(url: URL, agent: http.Agent, request: PacedRequest, body: string | null): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: request.method,
        agent,
        headers: body === null ? request.headers : { ...request.headers, "content-length": Buffer.byteLength(body) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { timeout: true })));
    req.on("error", reject);
    req.end(body ?? undefined);
  });
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

/**
 * Runs `connections` paced connections for `seconds` at `rate` requests a
 * second in all. A connection whose response comes later than its next turn
 * sends at once and keeps its pace from there (it never catches up in a
 * burst), so a slow server gets fewer requests, as from a real client.
 */
export async function runPaced(
  target: string,
  connections: number,
  rate: number,
  seconds: number,
  request: PacedRequest,
  onResponse: (status: number, body: string) => void,
): Promise<PacedResult> {
  const url = new URL(target);
  const interval = (1000 * connections) / rate;
  const result: PacedResult = { latencies: [], seconds, errors: 0, timeouts: 0, non2xx: 0 };
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  const connection = async (index: number) => {
    // One socket per connection, kept alive, as autocannon's connections are.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let turn = start + (index * interval) / connections;
    try {
      while (turn < end) {
        await sleepUntil(turn);
        const sentAt = performance.now();
        try {
          const res = await send(url, agent, request, request.body(sent++));
          result.latencies.push(performance.now() - sentAt);
          if (res.status < 200 || res.status >= 300) result.non2xx++;
          onResponse(res.status, res.body);
        } catch (err) {
          result.errors++;
          if ((err as { timeout?: boolean }).timeout) result.timeouts++;
        }
        turn = Math.max(turn + interval, performance.now());
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => connection(i)));
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

/** The p-th percentile (0–100) of the values, by nearest rank; 0 for none. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
