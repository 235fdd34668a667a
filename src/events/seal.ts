import { Prisma } from "../generated/prisma/client.js";

/** The most events one statement numbers. */
export const EVENT_BATCH = 1000;

/**
 * The UPDATE that numbers the tenant's committed, unnumbered events after
 * `eventSeq` (a number, or an expression of the statement), in the order they
 * were written (a transaction's events stay in its order), at most
 * EVENT_BATCH, returning seq, type, internal and waitedSeconds (publishedAt −
 * createdAt): a step of the sequencer's statements (src/sequencer/seal.ts),
 * which also move the head. With `onlyIf`, it numbers nothing unless that
 * holds. publishedAt is the database's clock (UTC) as the statement runs,
 * like createdAt as the event's row was written (prisma/schema.prisma): the two
 * compare without the application's clock or the session's time zone in
 * between, and the wait counts from the write, not from its transaction's start.
 */
export function numberEvents(tenantId: string, eventSeq: number | Prisma.Sql, onlyIf: Prisma.Sql = Prisma.sql`TRUE`): Prisma.Sql {
  const after = typeof eventSeq === "number" ? Prisma.sql`${eventSeq}::int` : eventSeq;
  return Prisma.sql`
    UPDATE "Event" e SET "seq" = ${after} + todo.n::int, "publishedAt" = timezone('UTC', clock_timestamp())
    FROM (
      SELECT "id", row_number() OVER (ORDER BY "appendOrder") AS n
      FROM "Event" WHERE "tenantId" = ${tenantId}::uuid AND "seq" IS NULL
      ORDER BY "appendOrder" LIMIT ${EVENT_BATCH}
    ) AS todo
    WHERE e."id" = todo."id" AND ${onlyIf}
    RETURNING e."seq", e."type", e."internal", extract(epoch FROM e."publishedAt" - e."createdAt")::float8 AS "waitedSeconds"`;
}

/** How many events numberEvents would number now (in the same statement: the same ones). */
export function eventsDue(tenantId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM "Event" WHERE "tenantId" = ${tenantId}::uuid AND "seq" IS NULL LIMIT ${EVENT_BATCH}
    ) AS due`;
}
