import type { Logger } from "pino";
import { BackgroundLoop } from "../background/loop.js";
import type { Database } from "../db/database.js";
import { refreshTenant, tenantsToRefresh } from "./refresh.js";

/**
 * Keeps the metrics rollup (MetricsDay, MetricsMonth) current: each pass
 * refreshes every tenant with writes since the last one, or whose default
 * calendar's time zone is not the rollup's. Every instance runs one; an
 * advisory lock per tenant makes them take turns (src/metrics/refresh.ts).
 * Reports are right whatever the refresher's lag (days written to since are
 * read from the tickets); the lag only decides how many days a report reads
 * that way.
 */
export class MetricsRefresher {
  private readonly loop?: BackgroundLoop;
  /** Without a timer: the pass under way (kicks take turns), and what stops it. */
  private manual: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  /** `everyMs`: between passes (METRICS_REFRESH_SECONDS); 0: a pass only when kicked. */
  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly everyMs: number,
  ) {
    if (everyMs) {
      this.loop = new BackgroundLoop({
        name: "metrics refresher",
        log,
        health: database.health,
        idleMs: everyMs,
        run: (signal) => database.background(() => this.pass(signal)),
      });
    }
  }

  start(): this {
    this.loop?.start(this.everyMs);
    return this;
  }

  /** Runs a pass now (or one more after the pass under way); resolves when it is done. */
  kick(): Promise<void> {
    if (this.loop) return this.loop.kick();
    const pass = this.manual.then(() => this.database.background(() => this.pass(this.stopping.signal)));
    this.manual = pass.catch(() => {});
    return pass;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.loop?.stop(), this.manual]);
  }

  private async pass(signal: AbortSignal): Promise<void> {
    for (const tenantId of await tenantsToRefresh(this.database.prisma)) {
      if (signal.aborted) return;
      const started = performance.now();
      const result = await refreshTenant(this.database.prisma, tenantId);
      if (result?.rebuilt) {
        this.log.info({ tenantId, days: result.days, ms: Math.round(performance.now() - started) }, "metrics rollup built");
      }
    }
  }
}
