import { Prisma } from "../generated/prisma/client.js";
import type { Heads, SequencerTx } from "../sequencer/lock.js";
import { entryHash, HASHED_COLUMNS } from "./chain.js";

/** The most entries one statement seals. */
export const AUDIT_BATCH = 1000;

/** A batch of entries chained in memory, to be stored by `update`. */
export interface ChainedBatch {
  count: number;
  /** The UPDATE that stores their seq, prevHash and hash (a no-op for an empty batch); with `onlyIf`, only if that holds. */
  update(onlyIf?: Prisma.Sql): Prisma.Sql;
}

/**
 * Reads the tenant's next committed, unsealed entries (at most AUDIT_BATCH, in
 * the order they were appended), numbers and chains them after `heads.audit`
 * and moves it. The hash covers the entry as stored (read back here), exactly
 * as verification reads it. Storing is the caller's: `update` runs alone or as
 * a step of the sequencer's statement.
 */
export async function chainNextBatch(tx: SequencerTx, tenantId: string, heads: Heads): Promise<ChainedBatch> {
  const rows = await tx.auditEntry.findMany({
    where: { tenantId, seq: null },
    orderBy: { appendOrder: "asc" },
    take: AUDIT_BATCH,
    select: { ...HASHED_COLUMNS, id: true },
  });
  let { seq, hash } = heads.audit;
  const seqs: number[] = [];
  const prevHashes: string[] = [];
  const hashes: string[] = [];
  for (const row of rows) {
    prevHashes.push(hash);
    seq += 1;
    hash = entryHash(hash, { ...row, seq });
    seqs.push(seq);
    hashes.push(hash);
  }
  heads.audit = { seq, hash };
  return chained(
    rows.map((r) => r.id),
    seqs,
    prevHashes,
    hashes,
  );
}

/** A batch that seals nothing: for a run that numbers events only (its statement keeps its shape). */
export const NO_AUDIT: ChainedBatch = chained([], [], [], []);

function chained(ids: string[], seqs: number[], prevHashes: string[], hashes: string[]): ChainedBatch {
  return {
    count: ids.length,
    update: (onlyIf = Prisma.sql`TRUE`) => Prisma.sql`
      UPDATE "AuditEntry" a SET "seq" = u.seq, "prevHash" = u.prev, "hash" = u.hash
      FROM unnest(${ids}::uuid[], ${seqs}::int[], ${prevHashes}::text[], ${hashes}::text[]) AS u(id, seq, prev, hash)
      WHERE a."id" = u.id AND ${onlyIf}`,
  };
}

/** Seals every committed, unsealed entry of the tenant, a batch per statement; returns how many. */
export async function sealAudit(tx: SequencerTx, tenantId: string, heads: Heads): Promise<number> {
  let sealed = 0;
  for (;;) {
    const batch = await chainNextBatch(tx, tenantId, heads);
    if (!batch.count) return sealed;
    await tx.$executeRaw(batch.update());
    sealed += batch.count;
    if (batch.count < AUDIT_BATCH) return sealed;
  }
}
