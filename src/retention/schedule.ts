import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import { BackgroundLoop } from "../background/loop.js";
import { DatabaseUnavailableError } from "../db/unavailable.js";
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
  /** More storage limitation after each sweep: deleting closed tenants whose period is over (src/tenants/closure.ts). */
  afterSweep?: () => Promise<unknown>;
}

/**
 * Sweeps in the background. The next sweep is scheduled only when the
 * previous one has ended, so two never overlap; a failure is logged and the
 * schedule goes on. When the database goes away during a sweep, the schedule
 * waits for it and sweeps again as soon as it is back (a sweep picks up where
 * an unfinished one stopped), not an interval later.
 */
export function scheduleRetentionSweeps(database: Database, log: Logger, options: ScheduleOptions): RetentionSchedule {
  const { intervalMs, firstDelayMs = 10_000 } = options;
  if (intervalMs <= 0) return { stop: async () => {} };
  const loop = new BackgroundLoop({
    name: "retention sweep",
    log,
    health: database.health,
    idleMs: intervalMs,
    async run(signal) {
      const results = await database.background(() => sweep(database, { ...options.sweepOptions, signal, log }));
      if (options.afterSweep && !signal.aborted) await database.background(options.afterSweep);
      // A tenant that failed is logged by the sweep and left for the next one; if the cause was the
      // database going away, the loop waits for it rather than for the interval.
      if (!signal.aborted && results.some((r) => r.error) && !(await database.health.check())) {
        throw new DatabaseUnavailableError("The database went away during the retention sweep");
      }
      const processed = results.reduce((n, r) => n + Object.values(r.counts).reduce((m, c) => m + (c?.processed ?? 0), 0), 0);
      if (results.length) log.info({ tenants: results.length, processed }, "retention sweep done");
    },
  });
  // Soon after start, so that frequent restarts do not postpone it forever.
  loop.start(Math.min(firstDelayMs, intervalMs));
  return { stop: () => loop.stop() };
}
