import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { EventBus } from "./bus.js";

/**
 * Publishes committed events from the outbox. Runs after every commit that
 * wrote events, and on a timer as a safety net: an event committed while the
 * bus was down stays unpublished until it is back, then goes out. Several
 * instances may relay at once; SKIP LOCKED keeps them off each other's rows,
 * and subscribers ignore a notice they have already seen.
 */
export class EventRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly database: Database,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  /** Publishes soon; calls during a run are folded into one more run. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await this.publishBatch()) > 0);
        } catch (err) {
          this.log.warn({ err }, "event relay failed; will retry");
        }
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async publishBatch(): Promise<number> {
    if (!this.bus.ready) return 0;
    return this.database.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ id: string; tenantId: string; seq: number }[]>(
        `SELECT "id", "tenantId", "seq" FROM "Event" WHERE "publishedAt" IS NULL ORDER BY "createdAt", "seq" LIMIT 500 FOR UPDATE SKIP LOCKED`,
      );
      if (!rows.length) return 0;
      const latest = new Map<string, number>();
      for (const r of rows) latest.set(r.tenantId, Math.max(latest.get(r.tenantId) ?? 0, Number(r.seq)));
      for (const [tenantId, seq] of latest) {
        if (!(await this.bus.publish({ tenantId, seq }))) throw new Error("event bus went away");
      }
      await tx.event.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { publishedAt: new Date() } });
      return rows.length;
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
