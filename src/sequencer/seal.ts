import { AUDIT_BATCH, chainNextBatch, NO_AUDIT } from "../audit/seal.js";
import type { Database } from "../db/database.js";
import { EVENT_BATCH, numberEvents } from "../events/seal.js";
import { Prisma } from "../generated/prisma/client.js";
import { asSequencer, type Heads, type SequencerTx } from "./lock.js";

/**
 * One sequencer run for one tenant: numbers its committed audit entries and
 * events. Each batch is one read (the audit entries to hash; none in a run
 * for events only) and one statement that stores the chain, numbers the
 * events and moves the heads:
 * few round trips, so that a run is short even when the server is busy. What
 * follows from the events (webhook deliveries, plugins' hooks) is the work of
 * their consumers (src/events/consumers/), after this commits. Returns how
 * many events it numbered and the event head, for the notice that wakes
 * subscribers.
 */
export function sealTenant(database: Database, tenantId: string, what: SealScope = "all"): Promise<{ events: number; eventSeq: number }> {
  return asSequencer(database, tenantId, (tx, heads, stored) => sealIn(tx, tenantId, heads, stored, what));
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
