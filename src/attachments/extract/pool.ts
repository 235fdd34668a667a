import { Worker } from "node:worker_threads";
import { workerScript } from "../../worker-script.js";
import type { Config } from "../../config.js";
import { notExtracted, type ExtractJob, type ExtractLimits, type ExtractResult } from "./result.js";

export interface ExtractorOptions {
  /** How long one file may take; then the worker is terminated and a new one started for the next file. */
  timeoutMs: number;
  /** The worker's heap (V8 old generation): a file that needs more ends it, not the server. */
  maxHeapMb: number;
  limits: ExtractLimits;
  /** An idle worker stops after this long (its parsers hold memory); the next file starts one again. */
  idleMs?: number;
  /** Another worker script (tests: one that never answers, one that eats memory). */
  workerUrl?: URL;
}

interface Running {
  worker: Worker;
  ready: Promise<void>;
}

const DEFAULT_IDLE_MS = 60_000;

/**
 * Extracts text in a worker thread, one file at a time: parsers of PDF, Word
 * and HTML run on input anyone can upload, and some inputs make them loop,
 * recurse or allocate without end. The worker runs with a heap limit
 * (resourceLimits) and each file with a time limit; a worker over either is
 * terminated, the file gets its reason (OUT_OF_MEMORY, TIMED_OUT) and the next
 * file gets a fresh worker. The server's own heap and event loop never see
 * the parsing.
 */
export class TextExtractor {
  private running?: Running;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private idleTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: ExtractorOptions) {}

  /** The file's text, or why there is none. Throws only when no worker could be started at all. */
  extract(bytes: Uint8Array, declaredType: string): Promise<ExtractResult> {
    const run = this.queue.then(() => this.run(bytes, declaredType));
    this.queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const running = this.running;
    this.running = undefined;
    await running?.worker.terminate();
  }

  private async run(bytes: Uint8Array, declaredType: string): Promise<ExtractResult> {
    if (this.closed) throw new Error("The text extractor is closed");
    clearTimeout(this.idleTimer);
    const running = this.running ?? (this.running = this.spawn());
    await running.ready;
    // A buffer of its own, transferred: a Buffer may share its memory with others (Node's pool).
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    const id = this.nextId++;
    const { worker } = running;
    return new Promise<ExtractResult>((resolve, reject) => {
      const finish = (result: ExtractResult, stop: boolean) => {
        clearTimeout(timer);
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        // Ended by close(), not by the file: the file has no outcome, the caller tries again later.
        if (this.closed) return reject(new Error("The text extractor was closed while reading a file"));
        if (stop) this.discard(running);
        else this.idleTimer = setTimeout(() => this.discard(running), this.options.idleMs ?? DEFAULT_IDLE_MS).unref();
        resolve(result);
      };
      const onMessage = (m: { id?: number; result?: ExtractResult }) => {
        if (m.id === id && m.result) finish(m.result, false);
      };
      const onError = (err: Error & { code?: string }) =>
        finish(
          err.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? notExtracted("OUT_OF_MEMORY", `over ${this.options.maxHeapMb} MB`)
            : notExtracted("UNREADABLE", `the reader failed: ${err.message.slice(0, 200)}`),
          true,
        );
      const onExit = (code: number) => finish(notExtracted("UNREADABLE", `the reader stopped (exit code ${code})`), true);
      const timer = setTimeout(() => finish(notExtracted("TIMED_OUT", `over ${this.options.timeoutMs} ms`), true), this.options.timeoutMs);
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
      const job: ExtractJob = { id, bytes: copy, declaredType, limits: this.options.limits };
      worker.postMessage(job, [copy.buffer]);
    });
  }

  /** Terminates a worker (over a limit, failed, or idle); the next file starts a new one. */
  private discard(running: Running): void {
    if (this.running === running) this.running = undefined;
    void running.worker.terminate();
  }

  private spawn(): Running {
    const { script, evaluated } = this.options.workerUrl
      ? { script: this.options.workerUrl, evaluated: false }
      : workerScript(import.meta.url, "worker");
    const worker = new Worker(script, {
      eval: evaluated,
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb },
      // Parsers warn on stdout about every odd file: read and dropped, never the server's log.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    // Between files too: a parser's stray failure after it answered ends this worker, never the server.
    worker
      .on("error", () => {})
      .on("exit", () => {
        if (this.running?.worker === worker) this.running = undefined;
      });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean }) => {
        if (!m.ready) return;
        worker.off("error", onFailure).off("exit", onFailure);
        resolve();
      };
      const onFailure = (err: unknown) => {
        worker.off("message", onMessage);
        if (this.running?.worker === worker) this.running = undefined;
        reject(new Error(`The text extraction worker did not start: ${err instanceof Error ? err.message : `exit code ${err}`}`));
      };
      worker.on("message", onMessage).once("error", onFailure).once("exit", onFailure);
    });
    // A start that fails is the caller's error (nothing is wrong with the file); not an unhandled rejection here.
    ready.catch(() => {});
    return { worker, ready };
  }
}

/** The server's extractor, with the operator's limits. */
export function textExtractor(config: Config): TextExtractor {
  const { maxBytes, maxChars, timeoutMs, maxHeapMb } = config.attachments.extract;
  // A Word file's parts may inflate to four times the largest file read, no more.
  return new TextExtractor({ timeoutMs, maxHeapMb, limits: { maxChars, maxInflatedBytes: 4 * maxBytes } });
}
