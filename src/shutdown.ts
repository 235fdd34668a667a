import type { Logger } from "pino";

/** A step of a shutdown slower than this is reported while it runs (and again when it ends). */
const SLOW_STEP_MS = 5000;

/**
 * Runs the steps of a shutdown one after another, logging each as it ends. A step that takes longer
 * than SLOW_STEP_MS is named in the log and as a process warning (seen on
 * stderr even when logging is off), so that a shutdown that hangs says what it
 * waits for instead of hanging silently.
 */
export async function shutDownInOrder(log: Logger, steps: [name: string, step: () => Promise<unknown> | unknown][]): Promise<void> {
  for (const [name, step] of steps) {
    const started = Date.now();
    const slow = setTimeout(() => {
      const message = `shutdown has waited ${SLOW_STEP_MS} ms for: ${name}`;
      log.warn({ step: name }, message);
      process.emitWarning(message, { code: "DESKGRAPH_SLOW_SHUTDOWN" });
    }, SLOW_STEP_MS);
    slow.unref();
    try {
      await step();
    } finally {
      clearTimeout(slow);
      const took = Date.now() - started;
      if (took >= SLOW_STEP_MS) log.warn({ step: name, ms: took }, `shutdown step done after ${took} ms: ${name}`);
      else log.info({ step: name, ms: took }, `shutdown step done: ${name}`);
    }
  }
}
