// Runs autocannon (or, for a probe at a steady rate, paced-load.ts) on a thread
// of its own, so the load generator does not share the event loop of the server
// it measures. Started by load.ts.
import { parentPort, workerData } from "node:worker_threads";
import autocannon from "autocannon";
import { requestBody } from "./operations.js";
import type { LoadResult, LoadSpec, WorkerMessage } from "./load.js";
import { percentile, runPaced } from "./paced-load.js";

const spec = workerData as LoadSpec;
const MAX_SAMPLES = 3;

let sent = 0;
let graphqlErrors = 0;
const samples = new Set<string>();

/** HTTP 200 with an `errors` array is still a failed request for a GraphQL client. */
function onResponse(status: number, body: string) {
  if (status < 200 || status >= 300) {
    if (samples.size < MAX_SAMPLES) samples.add(`HTTP ${status}: ${body.slice(0, 300)}`);
    return;
  }
  if (!body.includes('"errors"')) return;
  graphqlErrors++;
  if (samples.size < MAX_SAMPLES) {
    try {
      const { errors } = JSON.parse(body) as { errors: { message: string; extensions?: { code?: string } }[] };
      samples.add(errors.map((e) => `${e.extensions?.code ?? "?"}: ${e.message}`).join("; "));
    } catch {
      samples.add(body.slice(0, 300));
    }
  }
}

/** What autocannon hands back on a worker thread: counters and encoded histograms, not yet aggregated. */
interface RawResult {
  totalCompletedRequests: number;
  duration: number;
}
// Public but missing from @types/autocannon: decodes the histograms of raw results.
const { aggregateResult } = autocannon as unknown as {
  aggregateResult(results: RawResult[], opts: { url: string }): autocannon.Result;
};

const { request } = spec;
const body = requestBody(request, 0);
/** Whether each request sends a body of its own (creates, updates). */
const varies = !("body" in request);
const headers: Record<string, string> = {
  accept: "application/json",
  ...(body === null ? {} : { "content-type": "application/json" }),
  ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}),
};

function run(seconds: number) {
  return new Promise<RawResult>((resolve, reject) => {
    let backstop: NodeJS.Timeout | undefined;
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: body === null ? "GET" : "POST",
            headers,
            ...(body === null ? {} : { body }),
            setupRequest: (req) => (varies ? { ...req, body: requestBody(request, sent++)! } : req),
            onResponse,
          },
        ],
      },
      (err, result) => {
        clearTimeout(backstop);
        if (err) reject(err);
        else resolve(result as unknown as RawResult);
      },
    );
    // autocannon stops itself after `duration`; this is the backstop if a response never comes.
    backstop = setTimeout(() => instance.stop(), (seconds + 15) * 1000);
  });
}

/** A probe at a steady rate: requests spread over each second (see paced-load.ts). */
async function runProbe(rate: number, seconds: number): Promise<LoadResult> {
  const paced = await runPaced(
    spec.url,
    spec.connections,
    rate,
    seconds,
    {
      method: body === null ? "GET" : "POST",
      headers,
      body: (n) => (varies ? requestBody(request, n) : body),
    },
    onResponse,
  );
  const requests = paced.latencies.length;
  return {
    requests,
    seconds: paced.seconds,
    rps: requests / paced.seconds,
    p50: percentile(paced.latencies, 50),
    p99: percentile(paced.latencies, 99),
    errors: paced.errors,
    timeouts: paced.timeouts,
    non2xx: paced.non2xx,
    graphqlErrors,
    samples: [...samples],
    latencies: paced.latencies,
  };
}

/** As many requests as the connections can send, with autocannon. */
async function runFlat(seconds: number): Promise<LoadResult> {
  const raw = await run(seconds);
  const r = aggregateResult([raw], { url: spec.url });
  return {
    requests: raw.totalCompletedRequests,
    seconds: raw.duration,
    rps: raw.totalCompletedRequests / raw.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    graphqlErrors,
    samples: [...samples],
  };
}

const measure = (seconds: number) => (spec.rate ? runProbe(spec.rate, seconds) : runFlat(seconds));
const post = (message: WorkerMessage) => parentPort!.postMessage(message);

if (spec.warmupSeconds > 0) await measure(spec.warmupSeconds);
graphqlErrors = 0;
samples.clear();
// The parent may want to take readings (e.g. the server's CPU time) right before the measured run.
post({ type: "warmed" });
await new Promise((resolve) => parentPort!.once("message", resolve));
post({ type: "result", result: await measure(spec.durationSeconds) });
