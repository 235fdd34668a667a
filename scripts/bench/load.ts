import { Worker } from "node:worker_threads";
import type { Operation } from "./operations.js";

export interface LoadSpec {
  url: string;
  token: string;
  operation: Operation;
  /** Global IDs of contacts that createTicket rotates through. */
  requesterIds: string[];
  connections: number;
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
}

const WORKER = new URL("./load-worker.ts", import.meta.url).href;

/**
 * Runs autocannon in a worker thread. The worker is TypeScript too: it loads
 * through tsx's programmatic API, since tsx's loader does not reach workers on Node 20.
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const boot = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${JSON.stringify(WORKER)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(boot, { eval: true, workerData: spec });
  const limitMs = (spec.warmupSeconds + spec.durationSeconds + 60) * 1000;
  return new Promise<LoadResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`load worker for ${spec.operation} did not finish within ${limitMs / 1000}s`));
    }, limitMs);
    worker.once("message", (result: LoadResult) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    });
    worker.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`load worker exited with code ${code} before reporting`));
    });
  });
}
