import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";

/** An unscoped transaction: the sequencer works across the tables of one tenant it names itself. */
export type SequencerTx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/** The tenant's chain heads as the sequencer keeps them on the tenant row. */
export interface Heads {
  audit: { seq: number; hash: string };
  eventSeq: number;
}

// Sealing a large backlog (after an outage) may take a while; nothing else waits for it.
const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 };

const same = (a: Heads, b: Heads) => a.audit.seq === b.audit.seq && a.audit.hash === b.audit.hash && a.eventSeq === b.eventSeq;

/** The UPDATE that stores the heads on the tenant row. */
function writeHeads(tenantId: string, heads: Heads): Prisma.Sql {
  return Prisma.sql`UPDATE "Tenant" SET "auditSeq" = ${heads.audit.seq}, "auditHeadHash" = ${heads.audit.hash}, "eventSeq" = ${heads.eventSeq}
    WHERE "id" = ${tenantId}::uuid`;
}

/**
 * Runs `work` as the tenant's sequencer: in one transaction holding the lock
 * of the tenant's row, so that at any moment one transaction in the whole
 * deployment numbers its rows, whichever instance runs it. One statement
 * locks the row and reads the heads: when it had to wait for another
 * sequencer, PostgreSQL reads the row again as that one committed it, so the
 * heads are the latest; the statements after it see everything committed
 * before them. Heads that `work` moved are written back before commit, unless
 * `work` reported them stored (`stored(heads)`) in a statement of its own.
 * Requests never lock the tenant's row: a row they insert only takes a key
 * share lock on it (its foreign key), which this lock does not block. (A run
 * for events only takes the same lock for one statement, in
 * src/sequencer/seal.ts.)
 */
export async function asSequencer<T>(
  database: Database,
  tenantId: string,
  work: (tx: SequencerTx, heads: Heads, stored: (heads: Heads) => void) => Promise<T>,
): Promise<T> {
  return database.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ auditSeq: number; auditHeadHash: string; eventSeq: number }[]>`
      SELECT "auditSeq", "auditHeadHash", "eventSeq" FROM "Tenant" WHERE "id" = ${tenantId}::uuid FOR NO KEY UPDATE`;
    const row = rows[0];
    if (!row) throw new AppError("NOT_FOUND", "Tenant not found");
    let saved: Heads = { audit: { seq: Number(row.auditSeq), hash: row.auditHeadHash }, eventSeq: Number(row.eventSeq) };
    const heads: Heads = { audit: { ...saved.audit }, eventSeq: saved.eventSeq };
    const result = await work(tx, heads, (h) => (saved = { audit: { ...h.audit }, eventSeq: h.eventSeq }));
    if (!same(heads, saved)) await tx.$executeRaw(writeHeads(tenantId, heads));
    return result;
  }, TX_OPTIONS);
}
