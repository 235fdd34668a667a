import type { Database } from "../db/database.js";

export interface SequencerLag {
  /** Committed audit entries and events that are not numbered yet, all tenants. */
  unsealed: number;
  /** Age of the oldest of them in seconds; 0 when there are none. */
  oldestSeconds: number;
}

/**
 * How far the sequencer is behind. Rows of transactions still under way are
 * invisible here, so an old unsealed row is one that committed and has waited
 * that long: a sequencer that is stuck, or no sequencer at all. Both tables
 * have a partial index on their unsealed rows, so this stays cheap.
 */
export async function sequencerLag(database: Database): Promise<SequencerLag> {
  // Timestamps are stored in UTC without a zone (Prisma's DateTime).
  const [row] = await database.background(
    () => database.prisma.$queryRaw<{ unsealed: number; oldest: number | null }[]>`
      SELECT
        ((SELECT count(*) FROM "AuditEntry" WHERE "seq" IS NULL) + (SELECT count(*) FROM "Event" WHERE "seq" IS NULL))::int AS unsealed,
        extract(epoch FROM (now() AT TIME ZONE 'UTC') - LEAST(
          (SELECT min("at") FROM "AuditEntry" WHERE "seq" IS NULL),
          (SELECT min("createdAt") FROM "Event" WHERE "seq" IS NULL)
        ))::float8 AS oldest`,
  );
  return { unsealed: row?.unsealed ?? 0, oldestSeconds: Math.max(0, row?.oldest ?? 0) };
}
