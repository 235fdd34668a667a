import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { EventBus } from "../events/bus.js";
import { type AuditHead, type SealScope, sealAuditEntries, sealEvents } from "./seal.js";

/** Runs at once on one instance (each holds a connection while it sends a statement). */
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
 * per tenant, shortly after commit and in commit order. A tenant has two
 * lanes, one run at a time in each: its events, and its audit entries. They
 * move different heads, each in one statement and only from the head it read
 * (src/sequencer/seal.ts), so that a change's events are never numbered behind
 * the hashing of audit entries, and another instance's run (or a command's,
 * such as audit:verify) only ever makes one of them try again.
 *
 * Runs when this instance appended something (`database.appended`), and on a
 * timer as a safety net that also picks up rows appended by other processes or
 * left unsealed by a crash. Kicks that arrive while a tenant is being sealed
 * are folded into one more run. After events were numbered, a notice on the
 * bus wakes subscribers on every instance, and the listeners of onNumbered
 * (the consumers of committed events, src/events/consumers/) are told.
 */
export class Sequencer {
  /** Runs asked for, by lane and tenant (laneKey). */
  private readonly queued = new Set<string>();
  /** Runs under way, by lane and tenant. */
  private readonly active = new Map<string, Promise<void>>();
  /** By lane and tenant, callers waiting for the next run to finish. */
  private readonly waiting = new Map<string, (() => void)[]>();
  /** Per tenant, the audit head as this instance's last run left it (a run that finds it moved reads it again). */
  private readonly auditHeads = new Map<string, AuditHead>();
  /** Notices the bus could not take yet, per tenant: the highest seq. */
  private readonly unpublished = new Map<string, number>();
  /** Per tenant, the event head as this instance's last run left it. */
  private readonly heads = new Map<string, number>();
  private readonly numbered = new Set<(tenantId: string) => void>();
  private readonly waits = new Set<(waitedSeconds: number[]) => void>();
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
    // AUDIT_ONLY_DELAY_MS.
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
    if (what === "events") return this.kickLane("events", tenantId);
    return Promise.all([this.kickLane("events", tenantId), this.kickLane("audit", tenantId)]).then(() => undefined);
  }

  private kickLane(lane: Lane, tenantId: string): Promise<void> {
    const key = laneKey(lane, tenantId);
    const done = new Promise<void>((resolve) => {
      const list = this.waiting.get(key);
      if (list) list.push(resolve);
      else this.waiting.set(key, [resolve]);
    });
    this.queued.add(key);
    this.pump();
    return done;
  }

  /** Chains the tenant's committed audit entries within AUDIT_ONLY_DELAY_MS, in one run with whatever else is due by then. */
  private kickLater(tenantId: string): void {
    if (this.stopped || this.later.has(tenantId) || this.queued.has(laneKey("audit", tenantId))) return;
    const timer = setTimeout(() => {
      this.later.delete(tenantId);
      void this.kickLane("audit", tenantId);
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

  /**
   * Calls `listener` after each run of this instance that numbered events, with
   * how long each of them waited: seconds from the write of its row to its
   * numbering (/metrics' deskgraph_event_numbering_delay_seconds).
   */
  onWaits(listener: (waitedSeconds: number[]) => void): () => void {
    this.waits.add(listener);
    return () => this.waits.delete(listener);
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
    for (const key of this.queued) {
      if (this.active.size >= CONCURRENCY) return;
      if (this.active.has(key)) continue;
      this.queued.delete(key);
      const [lane, tenantId] = fromLaneKey(key);
      if (lane === "audit") {
        // This run chains what a deferred one was due for: everything committed before it starts.
        clearTimeout(this.later.get(tenantId));
        this.later.delete(tenantId);
      }
      const waiters = this.waiting.get(key) ?? [];
      this.waiting.delete(key);
      const run = (lane === "events" ? this.numberEvents(tenantId) : this.chainAudit(tenantId))
        .catch((err) => {
          if (this.stopped) return;
          // While the database is away nothing is lost: the rows wait, and its return sweeps every tenant.
          if (this.database.health.isOutage(err)) return;
          this.log.warn({ err, tenantId, lane }, "sequencer run failed; will retry");
          setTimeout(() => void this.kickLane(lane, tenantId), RETRY_MS).unref();
        })
        .finally(() => {
          this.active.delete(key);
          for (const resolve of waiters) resolve();
          this.pump();
        });
      this.active.set(key, run);
    }
  }

  private async numberEvents(tenantId: string): Promise<void> {
    const { events, eventSeq, waitedSeconds } = await this.database.background(() => sealEvents(this.database, tenantId));
    this.heads.set(tenantId, eventSeq);
    if (!events) return;
    for (const listener of this.waits) listener(waitedSeconds);
    for (const listener of this.numbered) listener(tenantId);
    await this.publish(tenantId, eventSeq);
  }

  private async chainAudit(tenantId: string): Promise<void> {
    const { head } = await this.database.background(() => sealAuditEntries(this.database, tenantId, this.auditHeads.get(tenantId)));
    this.auditHeads.set(tenantId, head);
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
        { runs: [...this.active.keys()].map((key) => fromLaneKey(key).join(" ")) },
        "sequencer stopped with runs still under way; the next start seals what they leave",
      );
    for (const list of this.waiting.values()) for (const resolve of list) resolve();
    this.waiting.clear();
  }
}

/** A tenant's two lanes: its events, and its audit entries. */
type Lane = "events" | "audit";

const laneKey = (lane: Lane, tenantId: string) => `${lane}\0${tenantId}`;
const fromLaneKey = (key: string) => key.split("\0") as [Lane, string];
