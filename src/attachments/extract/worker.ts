import { parentPort } from "node:worker_threads";
import { extractText } from "./formats.js";
import type { ExtractJob, ExtractResult } from "./result.js";

/**
 * The extraction worker (started by ./pool.ts): one file at a time, its bytes
 * transferred in, its text posted back. It runs with a heap limit and is
 * terminated when it takes too long, so whatever a hostile file does to a
 * parser, it does it here and not to the server.
 */
const port = parentPort!;
port.on("message", async (job: ExtractJob) => {
  let result: ExtractResult;
  try {
    result = await extractText(job.bytes, job.declaredType, job.limits);
  } catch (err) {
    result = { ok: false, reason: "UNREADABLE", detail: String((err as Error)?.message ?? err).slice(0, 200) };
  }
  port.postMessage({ id: job.id, result });
});
port.postMessage({ ready: true });
