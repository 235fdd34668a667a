import { Worker } from "node:worker_threads";
/**
 * What every request sends: the same body each time (null: a GET without one),
 * createTicket bodies that vary subject, text and requester (global IDs of
 * contacts to rotate through), or updateTicket bodies that vary the ticket
 * (global IDs of open tickets to rotate through) and what changes.
 */
export type LoadRequest = { body: string | null } | { createTicket: string[] } | { updateTicket: string[] };

export interface LoadSpec {
  url: string;
  /** What is being loaded, for messages. */
  label: string;
  /** Sent as `Authorization: Bearer <token>`; no header without it. */
  token?: string;
  request: LoadRequest;
  connections: number;
  /** Requests per second over all connections, spread evenly (a probe at a steady rate, paced-load.ts); without it, as many as they can send. */
  rate?: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  /** Socket errors, timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 2xx responses that carried a GraphQL `errors` array. */
  graphqlErrors: number;
  /** A few distinct error messages, to say why. */
  samples: string[];
  /** Each completed request's latency in milliseconds: probes at a steady rate only (pooled over windows by fairness.ts). */
  latencies?: number[];
}

export type WorkerMessage = { type: "warmed" } | { type: "result"; result: LoadResult };

const WORKER = new URL("./load-worker.ts", import.meta.url).href;

/**
 * Runs autocannon in a worker thread. The worker is TypeScript too: it loads
 * through tsx's programmatic API, since tsx's loader does not reach workers on Node 20.
 * `beforeMeasure` runs between the warm-up and the measured run, which waits for it.
 */
export function runLoad(spec: LoadSpec, beforeMeasure?: () => Promise<void>): Promise<LoadResult> {
  const boot = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${JSON.stringify(WORKER)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(boot, { eval: true, workerData: spec });
  const limitMs = (spec.warmupSeconds + spec.durationSeconds + 60) * 1000;
  return new Promise<LoadResult>((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      void worker.terminate();
      settle();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`load worker for ${spec.label} did not finish within ${limitMs / 1000}s`))),
      limitMs,
    );
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "result") return finish(() => resolve(message.result));
      Promise.resolve(beforeMeasure?.()).then(
        () => worker.postMessage("measure"),
        (err) => finish(() => reject(err)),
      );
    });
    worker.once("error", (err) => finish(() => reject(err)));
    worker.once("exit", (code) => finish(() => reject(new Error(`load worker exited with code ${code} before reporting`))));
  });
}
