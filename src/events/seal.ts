import type { Heads, SequencerTx } from "../sequencer/lock.js";
import { queueDeliveries } from "../webhooks/fanout.js";

/** The most events one statement numbers. */
const BATCH = 1000;

/**
 * Numbers the tenant's committed, unnumbered events after the head, in the
 * order they were written (a transaction's events stay in its order), moves
 * `heads.eventSeq` and queues partners' webhook deliveries for them in the
 * same transaction: a delivery exists exactly for each numbered event.
 * Returns how many events it numbered.
 */
export async function sealEvents(tx: SequencerTx, tenantId: string, heads: Heads): Promise<number> {
  let sealed = 0;
  for (;;) {
    const now = new Date().toISOString();
    const rows = await tx.$queryRaw<{ seq: number; type: string; internal: boolean }[]>`
      WITH todo AS (
        SELECT "id", row_number() OVER (ORDER BY "appendOrder") AS n
        FROM "Event" WHERE "tenantId" = ${tenantId}::uuid AND "seq" IS NULL
        ORDER BY "appendOrder" LIMIT ${BATCH}
      )
      UPDATE "Event" e SET "seq" = ${heads.eventSeq}::int + todo.n::int, "publishedAt" = ${now}::timestamp
      FROM todo WHERE e."id" = todo."id"
      RETURNING e."seq", e."type", e."internal"`;
    if (!rows.length) return sealed;
    rows.sort((a, b) => a.seq - b.seq);
    await queueDeliveries(tx, tenantId, rows);
    heads.eventSeq = rows[rows.length - 1]!.seq;
    sealed += rows.length;
    if (rows.length < BATCH) return sealed;
  }
}
