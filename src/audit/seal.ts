import type { Heads, SequencerTx } from "../sequencer/lock.js";
import { entryHash } from "./chain.js";

/** The most entries one statement seals. */
const BATCH = 1000;

/**
 * Numbers and chains the tenant's committed, unsealed entries after the head,
 * in the order they were appended, and moves `heads.audit`. The hash covers
 * the entry as stored (read back here), exactly as verification reads it.
 * Returns how many entries it sealed.
 */
export async function sealAudit(tx: SequencerTx, tenantId: string, heads: Heads): Promise<number> {
  let sealed = 0;
  for (;;) {
    const rows = await tx.auditEntry.findMany({
      where: { tenantId, seq: null },
      orderBy: { appendOrder: "asc" },
      take: BATCH,
      select: {
        id: true,
        at: true,
        actorType: true,
        actorId: true,
        action: true,
        subjectType: true,
        subjectId: true,
        subjectIds: true,
        categories: true,
        details: true,
        requestId: true,
      },
    });
    if (!rows.length) return sealed;
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
    await tx.$executeRaw`
      UPDATE "AuditEntry" a SET "seq" = u.seq, "prevHash" = u.prev, "hash" = u.hash
      FROM unnest(${rows.map((r) => r.id)}::uuid[], ${seqs}::int[], ${prevHashes}::text[], ${hashes}::text[]) AS u(id, seq, prev, hash)
      WHERE a."id" = u.id`;
    heads.audit = { seq, hash };
    sealed += rows.length;
    if (rows.length < BATCH) return sealed;
  }
}
