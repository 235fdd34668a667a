import { AUDIT_BATCH, chainNextBatch, NO_AUDIT, sealAudit } from "../audit/seal.js";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { EVENT_BATCH, eventsDue, numberEvents } from "../events/seal.js";
import { Prisma } from "../generated/prisma/client.js";
import { asSequencer, type Heads, type SequencerTx } from "./lock.js";

/**
 * One sequencer run for one tenant: numbers its committed events and, unless
 * `what` is "events", chains its committed audit entries. Neither holds the
 * tenant's lock across a round trip: each moves its head in one statement,
 * only from the head it started from (sealEvents, sealAuditEntries). What
 * follows from the events (webhook deliveries, plugins' hooks) is the work of
 * their consumers (src/events/consumers/), after this commits. Returns how
 * many events it numbered and the event head, for the notice that wakes
 * subscribers.
 */
export async function sealTenant(
  database: Database,
  tenantId: string,
  what: SealScope = "all",
): Promise<{ events: number; eventSeq: number }> {
  const { events, eventSeq } = await sealEvents(database, tenantId);
  if (what === "all") await sealAuditEntries(database, tenantId);
  return { events, eventSeq };
}

/**
 * What numbering events did: how many, the event head it left, and for each
 * event how long after its row was written it was numbered, in seconds (its
 * publishedAt − createdAt: an upper bound of commit → numbered, which also
 * counts what its transaction did after the write).
 */
export interface NumberedEvents {
  events: number;
  eventSeq: number;
  waitedSeconds: number[];
}

/**
 * Numbers the tenant's committed events: a statement per batch, or a locked
 * run after standing back for another sequencer (numberEventsAtOnce).
 */
export async function sealEvents(database: Database, tenantId: string): Promise<NumberedEvents> {
  const run = await numberEventsAtOnce(database, tenantId);
  if (!run.stoodBack) return { events: run.events, eventSeq: run.eventSeq, waitedSeconds: run.waitedSeconds };
  const locked = await asSequencer(database, tenantId, (tx, heads, stored) => sealIn(tx, tenantId, heads, stored, "events"));
  return { events: run.events + locked.events, eventSeq: locked.eventSeq, waitedSeconds: [...run.waitedSeconds, ...locked.waitedSeconds] };
}

/**
 * Numbers events in one statement of its own instead of a transaction of
 * four round trips (BEGIN, the lock, the numbering, COMMIT): on a busy server
 * each round trip waits its turn, and a change's events are what subscribers
 * and webhooks wait for.
 *
 * The statement reads the head and the due events in its snapshot, moves the
 * head only if it is still the one it read (the UPDATE locks the tenant's row
 * as the sequencer's lock does, and after waiting for another sequencer it
 * sees the row as that one committed it), and numbers the events only if it
 * moved the head. Another sequencer that numbered events after the snapshot
 * moved the head: then this one changes nothing, and the caller runs the
 * locked way, which sees what that one committed. Events not yet numbered are
 * changed by the sequencer only, so the events due in the snapshot are the
 * ones numbered.
 */
async function numberEventsAtOnce(database: Database, tenantId: string): Promise<NumberedEvents & { stoodBack: boolean }> {
  let events = 0;
  const waitedSeconds: number[] = [];
  for (;;) {
    const [row] = await database.prisma.$queryRaw<
      { seen: number | null; due: number; numbered: number; waited: number[] | null }[]
    >(Prisma.sql`
      WITH seen AS (SELECT "eventSeq" FROM "Tenant" WHERE "id" = ${tenantId}::uuid),
           due AS (${eventsDue(tenantId)}),
           head AS (
             UPDATE "Tenant" SET "eventSeq" = "eventSeq" + (SELECT n FROM due)
             WHERE "id" = ${tenantId}::uuid AND "eventSeq" = (SELECT "eventSeq" FROM seen) AND (SELECT n FROM due) > 0
             RETURNING "eventSeq"
           ),
           numbered AS (${numberEvents(tenantId, Prisma.sql`(SELECT "eventSeq" FROM seen)`, Prisma.sql`EXISTS (SELECT 1 FROM head)`)})
      SELECT (SELECT "eventSeq" FROM seen) AS seen, (SELECT n FROM due) AS due, (SELECT count(*) FROM numbered)::int AS numbered,
             (SELECT array_agg("waitedSeconds") FROM numbered) AS waited`);
    if (!row || row.seen === null) throw new AppError("NOT_FOUND", "Tenant not found");
    const eventSeq = Number(row.seen) + row.numbered;
    events += row.numbered;
    waitedSeconds.push(...(row.waited ?? []));
    if (row.numbered < row.due) return { events, eventSeq, waitedSeconds, stoodBack: true };
    if (row.due < EVENT_BATCH) return { events, eventSeq, waitedSeconds, stoodBack: false };
  }
}

/** Tries in a row before a locked run: each failed try means another sequencer chained entries meanwhile. */
const AUDIT_TRIES = 3;

/**
 * Chains the tenant's committed audit entries after the audit head, a batch
 * at a time: reads the entries, hashes them here, and stores them in one
 * statement that moves the head only if it is still the one the chain started
 * from (`known`, the head this instance last left, or read first). The head
 * is read before the entries, so an entry another sequencer chained in between
 * has moved it, and the statement changes nothing; then the head is read again
 * and the batch chained anew, and after AUDIT_TRIES such races, under the lock.
 * Returns how many entries it chained and the audit head it left.
 */
export async function sealAuditEntries(
  database: Database,
  tenantId: string,
  known?: AuditHead,
): Promise<{ sealed: number; head: AuditHead }> {
  let sealed = 0;
  let head = known ?? (await readAuditHead(database, tenantId));
  for (let lost = 0; lost < AUDIT_TRIES; ) {
    const heads: Heads = { audit: { ...head }, eventSeq: 0 };
    const batch = await chainNextBatch(database.prisma, tenantId, heads);
    if (!batch.count) return { sealed, head };
    const [moved] = await database.prisma.$queryRaw<{ n: number }[]>(Prisma.sql`
      WITH head AS (
             UPDATE "Tenant" SET "auditSeq" = ${heads.audit.seq}, "auditHeadHash" = ${heads.audit.hash}
             WHERE "id" = ${tenantId}::uuid AND "auditSeq" = ${head.seq} AND "auditHeadHash" = ${head.hash}
             RETURNING 1
           ),
           sealed AS (${batch.update(Prisma.sql`EXISTS (SELECT 1 FROM head)`)} RETURNING 1)
      SELECT (SELECT count(*) FROM sealed)::int AS n`);
    if (!moved?.n) {
      lost++;
      head = await readAuditHead(database, tenantId);
      continue;
    }
    sealed += batch.count;
    head = heads.audit;
    if (batch.count < AUDIT_BATCH) return { sealed, head };
  }
  // asSequencer stores the heads sealAudit moved.
  return asSequencer(database, tenantId, async (tx, heads) => {
    const more = await sealAudit(tx, tenantId, heads);
    return { sealed: sealed + more, head: { ...heads.audit } };
  });
}

export type AuditHead = Heads["audit"];

async function readAuditHead(database: Database, tenantId: string): Promise<AuditHead> {
  const [row] = await database.prisma.$queryRaw<{ seq: number; hash: string }[]>`
    SELECT "auditSeq" AS seq, "auditHeadHash" AS hash FROM "Tenant" WHERE "id" = ${tenantId}::uuid`;
  if (!row) throw new AppError("NOT_FOUND", "Tenant not found");
  return { seq: Number(row.seq), hash: row.hash };
}

/**
 * What a run seals: everything, or only the events. Events are what subscribers,
 * webhooks and consumers wait for; a run for them leaves the audit entries
 * (their read and their hashing) for later.
 */
export type SealScope = "all" | "events";

/** A run inside a transaction that holds the tenant's sequencer lock (see asSequencer): after standing back, and in tests. */
export async function sealIn(
  tx: SequencerTx,
  tenantId: string,
  heads: Heads,
  stored: (heads: Heads) => void,
  what: SealScope = "all",
): Promise<NumberedEvents> {
  let events = 0;
  const waitedSeconds: number[] = [];
  for (;;) {
    const audit = what === "all" ? await chainNextBatch(tx, tenantId, heads) : NO_AUDIT;
    const rows = await tx.$queryRaw<{ numbered: number; eventSeq: number | null; waited: number[] | null }[]>(Prisma.sql`
      WITH sealed_audit AS (${audit.update()}),
           numbered AS (${numberEvents(tenantId, heads.eventSeq)}),
           head AS (
             UPDATE "Tenant" SET "auditSeq" = ${heads.audit.seq}, "auditHeadHash" = ${heads.audit.hash},
                    "eventSeq" = COALESCE((SELECT max("seq") FROM numbered), ${heads.eventSeq}::int)
             WHERE "id" = ${tenantId}::uuid AND (${audit.count}::int > 0 OR EXISTS (SELECT 1 FROM numbered))
             RETURNING "eventSeq"
           )
      SELECT (SELECT count(*) FROM numbered)::int AS numbered, (SELECT "eventSeq" FROM head) AS "eventSeq",
             (SELECT array_agg("waitedSeconds") FROM numbered) AS waited`);
    const numbered = Number(rows[0]?.numbered ?? 0);
    heads.eventSeq = Number(rows[0]?.eventSeq ?? heads.eventSeq);
    stored(heads);
    events += numbered;
    waitedSeconds.push(...(rows[0]?.waited ?? []));
    if (audit.count < AUDIT_BATCH && numbered < EVENT_BATCH) return { events, eventSeq: heads.eventSeq, waitedSeconds };
  }
}
