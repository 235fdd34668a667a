import type { Logger } from "pino";
import { BackgroundLoop } from "../background/loop.js";
import type { Database } from "../db/database.js";
import type { DueJob, JobKind } from "./kind.js";

/** Jobs fired per transaction. */
const BATCH = 500;
/** The longest sleep: jobs scheduled meanwhile (by any instance) are found at most this late. */
const IDLE_MS = 1000;

export interface SchedulerStats {
  fired: number;
  /** How late the last job fired was, in ms after its due time. */
  lastLagMs: number;
}

/**
 * Durable timers. Jobs are rows (ScheduledJob) written in the transaction of
 * whatever scheduled them; a pass takes the due ones, oldest first, with
 * FOR UPDATE SKIP LOCKED, hands them to their kind's handler and marks them
 * fired, all in one transaction. Several instances share the work without
 * waiting on each other and never fire a job twice; a crash before the commit
 * leaves the jobs due, and the next pass (here or elsewhere) fires them.
 */
export class Scheduler {
  private readonly kinds = new Map<string, JobKind>();
  private readonly loop: BackgroundLoop;
  readonly stats: SchedulerStats = { fired: 0, lastLagMs: 0 };

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
  ) {
    this.loop = new BackgroundLoop({
      name: "scheduler",
      log,
      health: database.health,
      idleMs: IDLE_MS,
      run: (signal) => database.background(() => this.pass(signal)),
    });
  }

  register(kind: JobKind): this {
    if (this.kinds.has(kind.kind)) throw new Error(`Two job kinds are named ${kind.kind}`);
    this.kinds.set(kind.kind, kind);
    return this;
  }

  start(): this {
    this.loop.start(0);
    return this;
  }

  /** Runs a pass now (or one more after the pass under way); resolves when it is done. */
  kick(): Promise<void> {
    return this.loop.kick();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Fires due jobs in batches until none is due; returns how long until the next one. */
  private async pass(signal: AbortSignal): Promise<number> {
    while (!signal.aborted && (await this.fireBatch()) === BATCH);
    const next = await this.database.prisma.$queryRaw<{ wait: number | null }[]>`
      SELECT (extract(epoch FROM min("dueAt") - (now() AT TIME ZONE 'UTC')) * 1000)::float8 AS "wait"
      FROM "ScheduledJob" WHERE "firedAt" IS NULL AND "kind" = ANY(${[...this.kinds.keys()]}::text[])`;
    const wait = next[0]?.wait;
    return wait === null || wait === undefined ? IDLE_MS : Math.max(10, Math.min(IDLE_MS, Math.ceil(wait)));
  }

  private async fireBatch(): Promise<number> {
    const kinds = [...this.kinds.keys()];
    if (!kinds.length) return 0;
    const tenants = new Set<string>();
    const jobs = await this.database.prisma.$transaction(async (tx) => {
      // Rows another instance holds are skipped, not waited for: it is firing them.
      const due = await tx.$queryRaw<DueJob[]>`
        SELECT "id", "tenantId", "kind", "key", "dueAt", "payload" FROM "ScheduledJob"
        WHERE "firedAt" IS NULL AND "dueAt" <= (now() AT TIME ZONE 'UTC') AND "kind" = ANY(${kinds}::text[])
        ORDER BY "dueAt" LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED`;
      if (!due.length) return due;
      for (const kind of new Set(due.map((j) => j.kind))) {
        const ofKind = due.filter((j) => j.kind === kind);
        for (const tenantId of await this.kinds.get(kind)!.fire(tx, ofKind)) tenants.add(tenantId);
      }
      await tx.$executeRaw`UPDATE "ScheduledJob" SET "firedAt" = (now() AT TIME ZONE 'UTC') WHERE "id" = ANY(${due.map((j) => j.id)}::uuid[])`;
      return due;
    });
    // The events recorded are numbered by the tenant's sequencer, and flow on from there.
    for (const tenantId of tenants) this.database.appended(tenantId);
    if (jobs.length) {
      this.stats.fired += jobs.length;
      this.stats.lastLagMs = Math.max(0, Date.now() - new Date(jobs.at(-1)!.dueAt).getTime());
      this.log.debug({ jobs: jobs.length }, "scheduler fired jobs");
    }
    return jobs.length;
  }
}
