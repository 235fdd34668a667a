import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { BackgroundLoop, FOLLOW_UP_GAP_MS } from "../../background/loop.js";
import type { Database } from "../../db/database.js";
import { retryDelay } from "../../retry.js";
import type { EventConsumer } from "./consumer.js";
import type { SealedEvent } from "../outbox.js";
import { CursorBatches } from "./batched.js";
import { ensureCursors, fail, LeaseLostError, moveCursors, type Claimed, type MoveRequest } from "./cursor.js";
import type { Tx } from "../../db/tx.js";

/** A lease outlives a batch by far; after it, another instance may take the tenant over. */
const LEASE_MS = 30_000;
/** Tenants leased per statement. */
const CLAIM_LIMIT = 20;
const DEFAULT_BATCH = 200;
/**
 * A transactional batch may run many rules per event (automations): it gets
 * this long rather than the client's default of 5 s (not much longer: rows it
 * changed stay locked until it commits). A batch that fails all the same is
 * offered again smaller (halved per failure in a row, down to one event), so
 * that a backlog too heavy for one transaction cannot stall the consumer for good.
 */
const BATCH_TX = { maxWait: 10_000, timeout: 15_000 };

export interface ConsumerDriverOptions {
  /** The safety net: how often each consumer looks for work when nothing kicked it (default 5 s). */
  pollMs?: number;
}

/**
 * Runs every registered consumer of committed events. Each consumer has a
 * loop of its own (src/background/loop.ts): kicked when the sequencer has
 * numbered events (on this instance or, through the bus, on another), and on
 * a timer as the safety net. A pass leases the consumer's cursors that are
 * behind, hands each tenant's new events to the consumer in batches, and moves
 * the cursor after each batch. A tenant whose batch fails keeps its cursor and
 * is retried later with growing delays; the consumer goes on with the other
 * tenants, and the other consumers never notice.
 */
export class ConsumerDriver {
  private readonly consumers = new Map<
    string,
    {
      consumer: EventConsumer;
      loop: BackgroundLoop;
      /** Tenants known to have this consumer's cursor: a pass need not create it. */
      cursors: Set<string>;
      /** A nudge named a tenant missing from `cursors`, or the safety-net interval passed. */
      ensureAt: number;
    }
  >();
  /** Where this instance last moved each cursor ("consumer\0tenant" → seq). */
  private readonly positions = new Map<string, number>();
  private started = false;
  /** The consumers' leases, reads and moves, sent together when their passes run at once. */
  private readonly batches: CursorBatches;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly options: ConsumerDriverOptions = {},
  ) {
    this.batches = new CursorBatches(database.prisma);
  }

  /** Adds a consumer; before start() only. */
  register(consumer: EventConsumer): this {
    if (this.started) throw new Error(`Consumer ${consumer.name} registered after the driver started`);
    if (this.consumers.has(consumer.name)) throw new Error(`Two event consumers are named ${consumer.name}`);
    if (!consumer.types.length) throw new Error(`Event consumer ${consumer.name} wants no event type`);
    const loop = new BackgroundLoop({
      name: `event consumer ${consumer.name}`,
      log: this.log,
      health: this.database.health,
      idleMs: this.options.pollMs ?? 5000,
      // Passes are background work wherever they are kicked from (a request may wait for one).
      run: (signal) => this.database.background(() => this.pass(consumer, signal)),
    });
    this.consumers.set(consumer.name, { consumer, loop, cursors: new Set(), ensureAt: 0 });
    return this;
  }

  list(): EventConsumer[] {
    return [...this.consumers.values()].map((c) => c.consumer);
  }

  start(): void {
    this.started = true;
    for (const { loop } of this.consumers.values()) loop.start(0);
  }

  /**
   * New events of the tenant were numbered: every consumer makes a pass soon,
   * at most one per FOLLOW_UP_GAP_MS however often it is nudged (kick() does not wait).
   */
  nudge(tenantId: string): void {
    for (const entry of this.consumers.values()) {
      if (!entry.cursors.has(tenantId)) entry.ensureAt = 0;
      entry.loop.nudge(FOLLOW_UP_GAP_MS);
    }
  }

  /**
   * Runs a full pass of every consumer now (or one more after the pass under
   * way), cursors of new tenants made first; resolves when they are done.
   */
  async kick(): Promise<void> {
    for (const entry of this.consumers.values()) entry.ensureAt = 0;
    await Promise.all([...this.consumers.values()].map(({ loop }) => loop.kick()));
  }

  /**
   * Resolves once the consumers that requests wait for have handled the
   * tenant's events up to `head` on this instance, or cannot get there now
   * (failing and waiting to retry, or leased by another instance). Callers
   * bound the wait (Realtime.settle).
   */
  async caughtUp(tenantId: string, head: number): Promise<void> {
    const awaited = [...this.consumers.values()].filter(({ consumer }) => consumer.beforeResponse);
    await Promise.all(
      awaited.map(async ({ consumer, loop }) => {
        const reached = () => (this.positions.get(key(consumer.name, tenantId)) ?? -1) >= head;
        // The pass the sequencer kicked may be under way and get there: no second one then.
        if (reached()) return;
        await loop.idle();
        if (!reached()) await loop.kick();
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers.values()].map(({ loop }) => loop.stop()));
  }

  /** One pass of one consumer over every tenant it is behind in; returns when the next is due. */
  private async pass(consumer: EventConsumer, signal: AbortSignal): Promise<number | void> {
    const { prisma } = this.database;
    const entry = this.consumers.get(consumer.name)!;
    const pollMs = this.options.pollMs ?? 5000;
    // A tenant's first events need the cursor made; otherwise once per safety-net interval
    // is enough (tenants numbered by other instances, cursors removed meanwhile).
    if (Date.now() >= entry.ensureAt) {
      entry.ensureAt = Date.now() + pollMs;
      await ensureCursors(prisma, consumer.name);
    }
    let nextRetry: number | undefined;
    for (;;) {
      const token = randomUUID();
      const claimed = await this.batches.claim({
        consumer: consumer.name,
        token,
        limit: CLAIM_LIMIT,
        leaseUntil: new Date(Date.now() + LEASE_MS),
      });
      for (const cursor of claimed) {
        entry.cursors.add(cursor.tenantId);
        if (signal.aborted) return;
        const retryIn = await this.catchUp(consumer, cursor, token);
        if (retryIn !== undefined) nextRetry = Math.min(nextRetry ?? retryIn, retryIn);
      }
      if (claimed.length < CLAIM_LIMIT || signal.aborted) break;
    }
    return nextRetry === undefined ? undefined : Math.min(nextRetry, pollMs);
  }

  /** Hands the tenant's events up to the claimed head to the consumer; on failure, returns when to retry. */
  private async catchUp(consumer: EventConsumer, cursor: Claimed, token: string): Promise<number | undefined> {
    const { prisma } = this.database;
    const batchSize = Math.max(1, (consumer.batchSize ?? DEFAULT_BATCH) >> Math.min(cursor.attempts, 30));
    let position = cursor.position;
    try {
      while (position < cursor.head) {
        const events = await this.batches.read({
          tenantId: cursor.tenantId,
          types: consumer.types,
          position,
          head: cursor.head,
          limit: batchSize,
        });
        // A short page reaches the head: the events in between are of other types.
        let upTo = events.length === batchSize ? events.at(-1)!.seq : cursor.head;
        if (!events.length) {
          await this.advance(consumer, cursor, token, upTo);
        } else if (consumer.transactional) {
          // The tenant's client: the consumer's model queries are confined to the tenant like a request's.
          upTo = await this.database.forTenant(cursor.tenantId).$transaction(async (tx) => {
            const reached = handledUpTo(consumer, events, upTo, await consumer.handle({ tenantId: cursor.tenantId, events, tx }));
            await this.advance(consumer, cursor, token, reached, tx);
            return reached;
          }, BATCH_TX);
        } else {
          upTo = handledUpTo(consumer, events, upTo, await consumer.handle({ tenantId: cursor.tenantId, events }));
          await this.advance(consumer, cursor, token, upTo);
        }
        position = upTo;
        this.positions.set(key(consumer.name, cursor.tenantId), position);
        if (events.length) consumer.afterCommit?.(cursor.tenantId);
      }
      return undefined;
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.log.warn(
          { consumer: consumer.name, tenantId: cursor.tenantId },
          "event consumer lost its lease to another instance; it carries on",
        );
        return undefined;
      }
      // While the database is away the loop pauses; the lease runs out and the batch is taken again.
      if (this.database.health.isOutage(err)) throw err;
      const attempts = cursor.attempts + 1;
      const delay = retryDelay(attempts, consumer.retryBaseMs ?? 1000, consumer.retryCapMs ?? 300_000);
      this.log.warn(
        { err, consumer: consumer.name, tenantId: cursor.tenantId, after: position, attempts, retryInMs: delay },
        "event consumer failed; will retry",
      );
      await fail(prisma, consumer.name, cursor.tenantId, token, errorCode(err), delay);
      return delay;
    }
  }

  /**
   * Moves the cursor: in the consumer's transaction, or (batched with the other consumers' moves) outside one.
   * At the head it gives the lease up; a long catch-up keeps it while it moves.
   */
  private async advance(consumer: EventConsumer, cursor: Claimed, token: string, position: number, tx?: Tx) {
    const move: MoveRequest = {
      consumer: consumer.name,
      tenantId: cursor.tenantId,
      token,
      position,
      leaseUntil: position === cursor.head ? null : new Date(Date.now() + LEASE_MS),
    };
    const moved = tx ? (await moveCursors(tx, [move]))[0] : await this.batches.move(move);
    if (!moved) throw new LeaseLostError(consumer.name, cursor.tenantId);
  }
}

const key = (consumer: string, tenantId: string) => `${consumer}\0${tenantId}`;

/**
 * Where the cursor goes after a call: the end of the batch (`upTo`), or the
 * event the consumer says it stopped after. Stopping before the first event
 * would offer the same batch for ever, and past the batch would skip events.
 */
function handledUpTo(consumer: EventConsumer, events: SealedEvent[], upTo: number, stoppedAt: number | void): number {
  if (stoppedAt === undefined || stoppedAt === events.at(-1)!.seq) return upTo;
  if (!events.some((e) => e.seq === stoppedAt)) {
    throw new Error(`Event consumer ${consumer.name} stopped at ${stoppedAt}, not at an event of its batch`);
  }
  return stoppedAt;
}

/** What the cursor row keeps of an error: its code, or its message's first line. */
function errorCode(err: unknown): string {
  const e = err as { extensions?: { code?: unknown }; code?: unknown; message?: unknown };
  const code = e?.extensions?.code ?? e?.code;
  if (typeof code === "string" || typeof code === "number") return String(code);
  return String(e?.message ?? err).split("\n")[0]!;
}
