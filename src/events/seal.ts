import { Prisma } from "../generated/prisma/client.js";

/** The most events one statement numbers. */
export const EVENT_BATCH = 1000;

/**
 * The UPDATE that numbers the tenant's committed, unnumbered events after
 * `eventSeq`, in the order they were written (a transaction's events stay in
 * its order), at most EVENT_BATCH, returning seq, type and internal: a step
 * of the sequencer's statement (src/sequencer/seal.ts), which also moves the
 * head.
 */
export function numberEvents(tenantId: string, eventSeq: number): Prisma.Sql {
  return Prisma.sql`
    UPDATE "Event" e SET "seq" = ${eventSeq}::int + todo.n::int, "publishedAt" = ${new Date().toISOString()}::timestamp
    FROM (
      SELECT "id", row_number() OVER (ORDER BY "appendOrder") AS n
      FROM "Event" WHERE "tenantId" = ${tenantId}::uuid AND "seq" IS NULL
      ORDER BY "appendOrder" LIMIT ${EVENT_BATCH}
    ) AS todo
    WHERE e."id" = todo."id"
    RETURNING e."seq", e."type", e."internal"`;
}
