import type { Tx } from "../../db/tx.js";
import type { EventType, SealedEvent } from "../outbox.js";

/**
 * The transaction a transactional consumer's batch runs in: the tenant's
 * scoped client's, so model queries stay in the tenant (raw SQL must still
 * name it).
 */
type ConsumerTx = Tx;

/** Events of one tenant that a consumer has not handled yet, oldest first. */
interface ConsumerBatch {
  tenantId: string;
  /** Only the types the consumer wants; never empty. */
  events: SealedEvent[];
  /** For a transactional consumer: the transaction that also moves its cursor past these events. */
  tx?: ConsumerTx;
}

/**
 * Work that follows committed, sequenced events (src/events/consumers/driver.ts
 * runs it). Each consumer has its own cursor per tenant: it resumes where it
 * stopped after a crash or restart, and one that fails is retried with growing
 * delays without holding up the others.
 *
 * Delivery is exactly once for a transactional consumer (its writes and its
 * cursor commit together) and at least once otherwise: a crash after `handle`
 * and before the cursor moves offers the batch again, so `handle` must be
 * idempotent, or accept that a batch may come twice.
 */
export interface EventConsumer {
  /** Stable: it names the cursor rows. Renaming a consumer starts it over. */
  name: string;
  /** The event types it wants; the cursor moves past the others without calling it. */
  types: readonly EventType[];
  /**
   * Handles the batch. A consumer whose work per event varies (files to read)
   * may stop early: it returns the seq of the last event it handled, the
   * batch's first at the least, and the rest comes again in the next call.
   */
  handle(batch: ConsumerBatch): Promise<number | void>;
  /** Runs `handle` in the transaction that moves the cursor (database work only: no calls out). */
  transactional?: boolean;
  /** Events per call (default 200); the most a call is handed, not what it must get through (see handle). */
  batchSize?: number;
  /** Called after a batch is committed (say, to wake the worker that sends what `handle` queued). */
  afterCommit?(tenantId: string): void;
  /** After the n-th failure in a row, the next attempt comes after a random wait of up to base × 2^(n−1), capped (defaults 1 s and 5 min). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /**
   * Requests that add a message wait for this consumer (a bounded while)
   * before answering, so that what it records about the message (an SMS's
   * delivery status) is in the response.
   */
  beforeResponse?: boolean;
}
