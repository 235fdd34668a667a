import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import { sweep, type SweepOptions } from "./sweep.js";

export interface RetentionSchedule {
  /** Cancels the next sweep and stops a running one between batches; resolves when it has stopped. */
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  /** Between the end of one sweep and the start of the next; 0 disables the schedule. */
  intervalMs: number;
  /** Before the first sweep: soon after start, so that frequent restarts do not postpone it forever. */
  firstDelayMs?: number;
  /** Passed to every sweep (tests). */
  sweepOptions?: Omit<SweepOptions, "signal" | "log">;
}

/**
 * Sweeps in the background. The next sweep is scheduled only when the
 * previous one has ended, so two never overlap; a failure is logged and the
 * schedule goes on.
 */
export function scheduleRetentionSweeps(database: Database, log: Logger, options: ScheduleOptions): RetentionSchedule {
  const { intervalMs, firstDelayMs = 10_000 } = options;
  if (intervalMs <= 0) return { stop: async () => {} };
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const next = (delay: number) => {
    if (abort.signal.aborted) return;
    timer = setTimeout(() => {
      running = run().finally(() => {
        running = undefined;
        next(intervalMs);
      });
    }, delay);
    // Never keeps the process alive on its own.
    timer.unref();
  };

  const run = async () => {
    try {
      const results = await database.background(() => sweep(database, { ...options.sweepOptions, signal: abort.signal, log }));
      const processed = results.reduce((n, r) => n + Object.values(r.counts).reduce((m, c) => m + (c?.processed ?? 0), 0), 0);
      if (results.length) log.info({ tenants: results.length, processed }, "retention sweep done");
    } catch (err) {
      if (!abort.signal.aborted) log.error({ err }, "retention sweep failed; trying again at the next interval");
    }
  };

  next(Math.min(firstDelayMs, intervalMs));
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
