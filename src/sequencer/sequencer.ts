import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { EventBus } from "../events/bus.js";
import { type SealScope, sealTenant } from "./seal.js";

/** Tenants sealed at once by one instance: each holds a connection for its transaction. */
const CONCURRENCY = 2;
/** After a failed run, the tenant is tried again this much later. */
const RETRY_MS = 1000;
/** How long stop() waits for the runs under way. */
const STOP_WAIT_MS = 10_000;
/**
 * How long audit entries that nothing waits for (reads' access records,
 * mutations' records) may stay unsealed before a run of their own: a busy
 * tenant gets one such run per this much time instead of one per request.
 * Events are numbered at once; so is everything when auditLog or verification
 * asks.
 */
const AUDIT_ONLY_DELAY_MS = 200;

/**
 * Numbers and chains what requests appended unsealed (audit entries, events),
 * per tenant, shortly after commit and in commit order (src/sequencer/lock.ts
 * makes one transaction at a time the tenant's sequencer, across instances,
 * so a command such as audit:verify may run one too).
 *
 * Runs when this instance appended something (`database.appended`), and on a
 * timer as a safety net that also picks up rows appended by other processes or
 * left unsealed by a crash. Kicks that arrive while a tenant is being sealed
 * are folded into one more run. After events were numbered, a notice on the
 * bus wakes subscribers on every instance, and the listeners of onNumbered
 * (the consumers of committed events, src/events/consumers/) are told.
 */
export class Sequencer {
  /** Per tenant, the run asked for: "all" when anyone asked for everything. */
  private readonly queued = new Map<string, SealScope>();
  /** Per tenant, the run under way. */
  private readonly active = new Map<string, Promise<void>>();
  /** Per tenant, callers waiting for the next run to finish. */
  private readonly waiting = new Map<string, (() => void)[]>();
  /** Notices the bus could not take yet, per tenant: the highest seq. */
  private readonly unpublished = new Map<string, number>();
  /** Per tenant, the event head as this instance's last run left it. */
  private readonly heads = new Map<string, number>();
  private readonly numbered = new Set<(tenantId: string) => void>();
  /** Per tenant, the run due for audit entries that nothing waits for. */
  private readonly later = new Map<string, NodeJS.Timeout>();
  private readonly unlisten: () => void;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {
    // A mutation's events are numbered at once; its audit entries, like a read's, within
    // AUDIT_ONLY_DELAY_MS (the run that numbers the events is one round trip shorter for it).
    const unlistenAppends = database.onAppended((tenantId, rows) => {
      if (rows === "events") void this.kick(tenantId, "events");
      this.kickLater(tenantId);
    });
    // Back from an outage: what committed before it (or on other instances meanwhile) is numbered now.
    const unlistenHealth = database.health.onChange((available) => available && void this.sweep());
    this.unlisten = () => {
      unlistenAppends();
      unlistenHealth();
    };
  }

  /** Seals what crashed or stopped instances left, then keeps looking every pollMs. */
  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.pollMs);
    this.timer.unref();
  }

  /**
   * Seals the tenant's committed rows soon (with "events", only its events).
   * Resolves when a run that started after this call has finished: everything
   * committed before the call is then sealed (unless the run failed; it is
   * retried).
   */
  kick(tenantId: string, what: SealScope = "all"): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const list = this.waiting.get(tenantId);
      if (list) list.push(resolve);
      else this.waiting.set(tenantId, [resolve]);
    });
    this.queued.set(tenantId, this.queued.get(tenantId) === "all" ? "all" : what);
    this.pump();
    return done;
  }

  /** Seals the tenant's committed rows within AUDIT_ONLY_DELAY_MS, in the same run as anything else due by then. */
  private kickLater(tenantId: string): void {
    if (this.stopped || this.later.has(tenantId) || this.queued.get(tenantId) === "all") return;
    const timer = setTimeout(() => {
      this.later.delete(tenantId);
      void this.kick(tenantId);
    }, AUDIT_ONLY_DELAY_MS);
    timer.unref();
    this.later.set(tenantId, timer);
  }

  /** The tenant's event head as the last run on this instance saw it (after kick() resolves: at least what committed before the kick). */
  headOf(tenantId: string): number | undefined {
    return this.heads.get(tenantId);
  }

  /** Calls `listener` after a run of this instance numbered events of a tenant. */
  onNumbered(listener: (tenantId: string) => void): () => void {
    this.numbered.add(listener);
    return () => this.numbered.delete(listener);
  }

  /** Seals every tenant that has unsealed rows now. */
  async sweep(): Promise<void> {
    if (!this.database.health.available) return; // its return sweeps
    try {
      this.retryPublishing();
      const tenants = await this.database.background(
        () => this.database.prisma.$queryRaw<{ tenantId: string }[]>`
          SELECT DISTINCT "tenantId" FROM "AuditEntry" WHERE "seq" IS NULL
          UNION SELECT DISTINCT "tenantId" FROM "Event" WHERE "seq" IS NULL`,
      );
      await Promise.all(tenants.map((t) => this.kick(t.tenantId)));
    } catch (err) {
      if (!this.database.health.isOutage(err)) this.log.warn({ err }, "sequencer could not look for unsealed rows; will retry");
    }
  }

  private pump(): void {
    for (const [tenantId, what] of this.queued) {
      if (this.active.size >= CONCURRENCY) return;
      if (this.active.has(tenantId)) continue;
      this.queued.delete(tenantId);
      if (what === "all") {
        // This run seals what a deferred one was due for: everything committed before it starts.
        clearTimeout(this.later.get(tenantId));
        this.later.delete(tenantId);
      }
      const waiters = this.waiting.get(tenantId) ?? [];
      this.waiting.delete(tenantId);
      const run = this.seal(tenantId, what).finally(() => {
        this.active.delete(tenantId);
        for (const resolve of waiters) resolve();
        this.pump();
      });
      this.active.set(tenantId, run);
    }
  }

  private async seal(tenantId: string, what: SealScope): Promise<void> {
    try {
      const { events, eventSeq } = await this.database.background(() => sealTenant(this.database, tenantId, what));
      this.heads.set(tenantId, eventSeq);
      if (!events) return;
      for (const listener of this.numbered) listener(tenantId);
      await this.publish(tenantId, eventSeq);
    } catch (err) {
      if (this.stopped) return;
      // While the database is away nothing is lost: the rows wait, and its return sweeps every tenant.
      if (this.database.health.isOutage(err)) return;
      this.log.warn({ err, tenantId }, "sequencer run failed; will retry");
      setTimeout(() => void this.kick(tenantId), RETRY_MS).unref();
    }
  }

  private async publish(tenantId: string, seq: number): Promise<void> {
    if (await this.bus.publish({ tenantId, seq })) this.unpublished.delete(tenantId);
    else this.unpublished.set(tenantId, Math.max(seq, this.unpublished.get(tenantId) ?? 0));
  }

  /** Notices that failed while the bus was away go out now. */
  retryPublishing(): void {
    for (const [tenantId, seq] of this.unpublished) void this.publish(tenantId, seq);
  }

  /**
   * Waits for the runs under way, for STOP_WAIT_MS at most (a run waiting for
   * a connection that does not come must not hold up a shutdown); rows still
   * unsealed are picked up by the next start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const timer of this.later.values()) clearTimeout(timer);
    this.later.clear();
    this.unlisten();
    let bound: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(this.active.values()).then(() => false),
      new Promise<boolean>((resolve) => (bound = setTimeout(() => resolve(true), STOP_WAIT_MS))),
    ]);
    clearTimeout(bound);
    if (timedOut)
      this.log.warn(
        { tenants: [...this.active.keys()] },
        "sequencer stopped with runs still under way; the next start seals what they leave",
      );
    for (const list of this.waiting.values()) for (const resolve of list) resolve();
    this.waiting.clear();
  }
}
