import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { entryHash, GENESIS_HASH, HASHED_COLUMNS, PRUNED_ACTION, type HashedFields } from "./chain.js";

export interface ChainVerification {
  valid: boolean;
  /** Entries whose hash and link were checked (before the first invalid one). */
  checkedEntries: number;
  firstInvalidSeq: number | null;
  reason: string | null;
  /** The tenant's head when verification started: entries appended later are not covered. */
  headSeq: number;
  headHash: string;
}

type Row = HashedFields & { prevHash: string; hash: string };
type Problem = [seq: number, reason: string];

const SELECT = { ...HASHED_COLUMNS, seq: true, prevHash: true, hash: true } as const;

const missing = (from: number, to: number) => (from === to ? `Entry ${from} is missing` : `Entries ${from}–${to} are missing`);

/**
 * Where the log begins: at entry 1, or right after the entries the latest
 * `audit.pruned` entry says were deleted, linked to the hash it recorded.
 */
async function checkStart(database: Database, tenantId: string, first: Row, headSeq: number): Promise<Problem | null> {
  if (first.seq === 1)
    return first.prevHash === GENESIS_HASH ? null : [1, "The first entry does not start a chain: its prevHash is not empty"];
  const pruned = (await database.prisma.auditEntry.findFirst({
    where: { tenantId, action: PRUNED_ACTION, seq: { lte: headSeq } },
    orderBy: { seq: "desc" },
    select: { seq: true, details: true },
  })) as { seq: number; details: unknown } | null;
  if (!pruned) return [1, `${missing(1, first.seq - 1)} and no ${PRUNED_ACTION} entry accounts for them`];
  const d = pruned.details as { throughSeq?: unknown; hashAtThroughSeq?: unknown } | null;
  if (typeof d?.throughSeq !== "number" || typeof d.hashAtThroughSeq !== "string") {
    return [pruned.seq, `The ${PRUNED_ACTION} entry lacks throughSeq or hashAtThroughSeq`];
  }
  const through = d.throughSeq;
  if (through + 1 < first.seq) {
    return [
      through + 1,
      `${missing(through + 1, first.seq - 1)}: the latest pruning (entry ${pruned.seq}) deleted entries through ${through} only`,
    ];
  }
  if (through + 1 > first.seq) {
    return [first.seq, `Entry ${first.seq} is still there although the pruning in entry ${pruned.seq} deleted entries through ${through}`];
  }
  if (first.prevHash !== d.hashAtThroughSeq) {
    return [first.seq, `Its prevHash does not match the hash that entry ${pruned.seq} recorded for the pruned entry ${through}`];
  }
  return null;
}

/**
 * Recomputes every entry's hash in sequence order, a batch at a time, and
 * checks each link, the start of the log (entry 1 or a recorded pruning) and
 * the tenant's head. Stops at the first problem.
 */
export async function verifyAuditChain(
  database: Database,
  tenantId: string,
  options: { batchSize?: number } = {},
): Promise<ChainVerification> {
  const batchSize = options.batchSize ?? 1000;
  const { prisma } = database;
  const head = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { auditSeq: true, auditHeadHash: true } });
  if (!head) throw new AppError("NOT_FOUND", "Tenant not found");
  const headSeq = head.auditSeq;
  let checkedEntries = 0;
  const result = (problem: Problem | null): ChainVerification => ({
    valid: problem === null,
    checkedEntries,
    firstInvalidSeq: problem?.[0] ?? null,
    reason: problem?.[1] ?? null,
    headSeq,
    headHash: head.auditHeadHash,
  });

  let prev: { seq: number; hash: string } | null = null;
  for (;;) {
    const batch = (await prisma.auditEntry.findMany({
      where: { tenantId, seq: prev ? { gt: prev.seq, lte: headSeq } : { lte: headSeq } },
      orderBy: { seq: "asc" },
      take: batchSize,
      select: SELECT,
    })) as Row[];
    for (const e of batch) {
      if (!prev) {
        const problem = await checkStart(database, tenantId, e, headSeq);
        if (problem) return result(problem);
      } else if (e.seq !== prev.seq + 1) {
        return result([prev.seq + 1, missing(prev.seq + 1, e.seq - 1)]);
      } else if (e.prevHash !== prev.hash) {
        return result([e.seq, "Its prevHash does not match the hash of the entry before it"]);
      }
      if (entryHash(e.prevHash, e) !== e.hash) {
        return result([e.seq, "Its content does not match its hash: the entry was changed after it was written"]);
      }
      prev = { seq: e.seq, hash: e.hash };
      checkedEntries++;
    }
    if (batch.length < batchSize) break;
  }

  if (!prev) {
    if (headSeq > 0) return result([1, `${missing(1, headSeq)}: the head is at ${headSeq} but no entries remain`]);
  } else if (prev.seq < headSeq) {
    return result([prev.seq + 1, `${missing(prev.seq + 1, headSeq)}: the head is at ${headSeq}`]);
  } else if (prev.hash !== head.auditHeadHash) {
    return result([prev.seq, "The last entry's hash does not match the tenant's audit head"]);
  }
  // The sequencer moves the head with the entries it seals: anything past the head came another way.
  // Reading the highest seq before the head again keeps a concurrent append from looking like that.
  const highest = await prisma.auditEntry.aggregate({ where: { tenantId }, _max: { seq: true } });
  const now = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { auditSeq: true } });
  if (highest._max.seq !== null && highest._max.seq > now.auditSeq) {
    return result([now.auditSeq + 1, `Entries after the head (${now.auditSeq}) exist that were not appended through the audit log`]);
  }
  return result(null);
}
