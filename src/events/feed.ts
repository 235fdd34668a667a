import type { Database } from "../db/database.js";
import type { SealedEvent as Event } from "./outbox.js";
import type { EventBus } from "./bus.js";

const PAGE = 200;

interface Waiter {
  /** The last sequence number the stream has read. */
  after: number;
  wake(): void;
}

/**
 * Streams a tenant's events in sequence order, first the stored ones after a
 * cursor, then live ones, with no gap and no duplicate at the seam: a stream
 * always reads the next events from the database by sequence number, and
 * notices from the bus (or, if one is lost, a periodic poll per tenant) only
 * say when to look. Streams at the same position share one query.
 *
 * A notice that arrives while a stream is reading is not lost: the feed keeps
 * the highest sequence number announced per tenant, and a stream that is
 * behind it reads again instead of waiting.
 */
export class EventFeed {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly announced = new Map<string, number>();
  private readonly polls = new Map<string, NodeJS.Timeout>();
  private readonly loads = new Map<string, Promise<Event[]>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly database: Database,
    bus: EventBus,
    private readonly pollMs = 2000,
  ) {
    this.unsubscribe = bus.subscribe((notice) => this.wake(notice.tenantId, notice.seq));
  }

  /** Committed events up to `seq` exist for this tenant: wakes the streams that are behind. */
  wake(tenantId: string, seq: number): void {
    if (seq > (this.announced.get(tenantId) ?? 0)) this.announced.set(tenantId, seq);
    for (const waiter of [...(this.waiters.get(tenantId) ?? [])]) if (waiter.after < seq) waiter.wake();
  }

  /** Looks at every waiting tenant's head now (after an outage of the bus, notices may have been missed). */
  pollAll(): void {
    for (const tenantId of this.waiters.keys()) void this.poll(tenantId);
  }

  /** The tenant's latest sequence number: where a live-only stream starts. */
  async head(tenantId: string): Promise<number> {
    const t = await this.database.prisma.tenant.findUnique({ where: { id: tenantId }, select: { eventSeq: true } });
    return t?.eventSeq ?? 0;
  }

  /** The oldest sequence number still stored (older ones fell out of the replay window). */
  async oldest(tenantId: string): Promise<number | null> {
    const e = await this.database.prisma.event.findFirst({
      where: { tenantId, seq: { not: null } },
      orderBy: { seq: "asc" },
      select: { seq: true },
    });
    return e?.seq ?? null;
  }

  /**
   * Events with seq > after, oldest first, at most one page. Streams asking
   * for the same page while it loads share the load, but only with a load
   * that started after the notice they know of (`known`): an older one may
   * predate that commit. A settled load is never reused.
   */
  page(tenantId: string, after: number, take = PAGE, known = -1): Promise<Event[]> {
    const key = `${tenantId}:${after}:${take}:${known}`;
    let load = this.loads.get(key);
    if (!load) {
      load = this.database.prisma.event.findMany({ where: { tenantId, seq: { gt: after } }, orderBy: { seq: "asc" }, take }) as Promise<
        Event[]
      >;
      this.loads.set(key, load);
      const forget = () => {
        if (this.loads.get(key) === load) this.loads.delete(key);
      };
      load.then(forget, forget);
    }
    return load;
  }

  /** Ends when `signal` aborts, even while waiting for the next event. */
  async *stream(tenantId: string, after: number, signal: AbortSignal): AsyncGenerator<Event> {
    // One abort listener for the stream's life, not one per wait: with a thousand streams,
    // adding and removing listeners on every event was a visible part of each delivery.
    const waiter: Waiter = { after, wake: () => {} };
    const abort = () => waiter.wake();
    signal.addEventListener("abort", abort, { once: true });
    try {
      let last = after;
      while (!signal.aborted && !this.closed) {
        // Every event up to `known` was committed before this read started (notices follow commits,
        // and a tenant's events commit in sequence order), so the read sees them all.
        const known = this.announced.get(tenantId) ?? 0;
        const rows = await this.page(tenantId, last, PAGE, known);
        for (const row of rows) {
          if (row.seq <= last) continue;
          last = row.seq;
          yield row;
        }
        if (rows.length === PAGE) continue;
        // Up to `known` there is nothing left to read (what is missing was pruned): wait for more.
        waiter.after = Math.max(last, known);
        await this.waitFor(tenantId, waiter, signal);
      }
    } finally {
      signal.removeEventListener("abort", abort);
    }
  }

  /** Resolves when the tenant's feed passes `waiter.after`, the feed closes or `signal` aborts. */
  private waitFor(tenantId: string, waiter: Waiter, signal: AbortSignal): Promise<void> {
    if ((this.announced.get(tenantId) ?? 0) > waiter.after || this.closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(tenantId);
      if (!set) this.waiters.set(tenantId, (set = new Set()));
      const waiting = set;
      waiter.wake = () => {
        waiter.wake = () => {};
        waiting.delete(waiter);
        if (waiting.size === 0 && this.waiters.get(tenantId) === waiting) this.waiters.delete(tenantId);
        resolve();
      };
      waiting.add(waiter);
      this.schedulePoll(tenantId);
    });
  }

  /** One poll per tenant with waiters, however many streams wait: a lost notice costs at most pollMs. */
  private schedulePoll(tenantId: string): void {
    if (this.polls.has(tenantId) || this.closed) return;
    const timer = setInterval(() => {
      if (!this.waiters.has(tenantId)) {
        clearInterval(timer);
        this.polls.delete(tenantId);
        return;
      }
      void this.poll(tenantId);
    }, this.pollMs);
    timer.unref();
    this.polls.set(tenantId, timer);
  }

  private async poll(tenantId: string): Promise<void> {
    try {
      this.wake(tenantId, await this.database.background(() => this.head(tenantId)));
    } catch {
      // The database is away; the next poll tries again.
    }
  }

  /** Ends every stream: each finishes the event it is on and returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.polls.values()) clearInterval(timer);
    this.polls.clear();
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.wake();
  }
}
