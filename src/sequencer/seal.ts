import { AUDIT_BATCH, chainNextBatch, NO_AUDIT } from "../audit/seal.js";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { EVENT_BATCH, eventsDue, numberEvents } from "../events/seal.js";
import { Prisma } from "../generated/prisma/client.js";
import { asSequencer, type Heads, type SequencerTx } from "./lock.js";

/**
 * One sequencer run for one tenant: numbers its committed audit entries and
 * events. Each batch is one read (the audit entries to hash) and one
 * statement that stores the chain, numbers the events and moves the heads; a
 * run for events only is one statement without a transaction
 * (numberEventsAtOnce): few round trips, so that a run is short even when the
 * server is busy. What
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
  let before = 0;
  if (what === "events") {
    const run = await numberEventsAtOnce(database, tenantId);
    if (!run.stoodBack) return { events: run.events, eventSeq: run.eventSeq };
    before = run.events;
  }
  const run = await asSequencer(database, tenantId, (tx, heads, stored) => sealIn(tx, tenantId, heads, stored, what));
  return { events: before + run.events, eventSeq: run.eventSeq };
}

/**
 * A run for events only, in one statement of its own instead of a
 * transaction of four round trips (BEGIN, the lock, the numbering, COMMIT):
 * on a busy server each round trip waits its turn, and a change's events are
 * what subscribers and webhooks wait for.
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
async function numberEventsAtOnce(database: Database, tenantId: string): Promise<{ events: number; eventSeq: number; stoodBack: boolean }> {
  let events = 0;
  for (;;) {
    const [row] = await database.prisma.$queryRaw<{ seen: number; due: number; numbered: number }[]>(Prisma.sql`
      WITH seen AS (SELECT "eventSeq" FROM "Tenant" WHERE "id" = ${tenantId}::uuid),
           due AS (${eventsDue(tenantId)}),
           head AS (
             UPDATE "Tenant" SET "eventSeq" = "eventSeq" + (SELECT n FROM due)
             WHERE "id" = ${tenantId}::uuid AND "eventSeq" = (SELECT "eventSeq" FROM seen) AND (SELECT n FROM due) > 0
             RETURNING "eventSeq"
           ),
           numbered AS (${numberEvents(tenantId, Prisma.sql`(SELECT "eventSeq" FROM seen)`, Prisma.sql`EXISTS (SELECT 1 FROM head)`)})
      SELECT (SELECT "eventSeq" FROM seen) AS seen, (SELECT n FROM due) AS due, (SELECT count(*) FROM numbered)::int AS numbered`);
    if (!row || row.seen === null) throw new AppError("NOT_FOUND", "Tenant not found");
    const eventSeq = Number(row.seen) + row.numbered;
    events += row.numbered;
    if (row.numbered < row.due) return { events, eventSeq, stoodBack: true };
    if (row.due < EVENT_BATCH) return { events, eventSeq, stoodBack: false };
  }
}

/**
 * What a run seals: everything, or only the events. Events are what subscribers,
 * webhooks and consumers wait for; a run that leaves the audit entries for later
 * skips their read and their hashing, one round trip of a run that holds the
 * tenant's sequencer lock.
 */
export type SealScope = "all" | "events";

/** The run itself, inside a transaction that holds the tenant's sequencer lock (see asSequencer). */
export async function sealIn(
  tx: SequencerTx,
  tenantId: string,
  heads: Heads,
  stored: (heads: Heads) => void,
  what: SealScope = "all",
): Promise<{ events: number; eventSeq: number }> {
  let events = 0;
  for (;;) {
    const audit = what === "all" ? await chainNextBatch(tx, tenantId, heads) : NO_AUDIT;
    const rows = await tx.$queryRaw<{ numbered: number; eventSeq: number | null }[]>(Prisma.sql`
      WITH sealed_audit AS (${audit.update}),
           numbered AS (${numberEvents(tenantId, heads.eventSeq)}),
           head AS (
             UPDATE "Tenant" SET "auditSeq" = ${heads.audit.seq}, "auditHeadHash" = ${heads.audit.hash},
                    "eventSeq" = COALESCE((SELECT max("seq") FROM numbered), ${heads.eventSeq}::int)
             WHERE "id" = ${tenantId}::uuid AND (${audit.count}::int > 0 OR EXISTS (SELECT 1 FROM numbered))
             RETURNING "eventSeq"
           )
      SELECT (SELECT count(*) FROM numbered)::int AS numbered, (SELECT "eventSeq" FROM head) AS "eventSeq"`);
    const numbered = Number(rows[0]?.numbered ?? 0);
    heads.eventSeq = Number(rows[0]?.eventSeq ?? heads.eventSeq);
    stored(heads);
    events += numbered;
    if (audit.count < AUDIT_BATCH && numbered < EVENT_BATCH) return { events, eventSeq: heads.eventSeq };
  }
}
