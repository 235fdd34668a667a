import { Prisma, type PrismaClient } from "../../generated/prisma/client.js";
import type { EventType, SealedEvent } from "../outbox.js";

type Sql = Pick<PrismaClient, "$executeRaw" | "$queryRaw">;

/** A consumer's cursor in one tenant, leased by this instance. */
export interface Claimed {
  tenantId: string;
  position: number;
  /** The tenant's event head when it was claimed: the batch ends there. */
  head: number;
  attempts: number;
}

const at = (date: Date) => date.toISOString();

/**
 * Gives the consumer a cursor in every tenant that has sequenced events and
 * none yet. A new cursor starts at 0: from the oldest event still kept.
 */
export function ensureCursors(db: Sql, consumer: string): Promise<number> {
  return db.$executeRaw`
    INSERT INTO "EventConsumerCursor" ("consumer", "tenantId", "updatedAt")
    SELECT ${consumer}, t."id", ${at(new Date())}::timestamp FROM "Tenant" t
    WHERE t."eventSeq" > 0 AND NOT EXISTS (SELECT 1 FROM "EventConsumerCursor" c WHERE c."consumer" = ${consumer} AND c."tenantId" = t."id")
    ON CONFLICT DO NOTHING`;
}

/**
 * Leases up to `limit` of the consumer's cursors that are behind their
 * tenant's head, due, and not leased by a live worker (SKIP LOCKED: two
 * instances never take the same one). The lease is what makes one instance
 * at a time the consumer for a tenant; it runs out after `leaseMs` if that
 * instance dies.
 */
export async function claim(db: Sql, consumer: string, token: string, limit: number, leaseMs: number): Promise<Claimed[]> {
  const now = new Date();
  const rows = await db.$queryRaw<{ tenantId: string; position: number; head: number; attempts: number }[]>`
    WITH due AS (
      SELECT c."tenantId" FROM "EventConsumerCursor" c JOIN "Tenant" t ON t."id" = c."tenantId"
      WHERE c."consumer" = ${consumer} AND t."eventSeq" > c."position" AND c."nextAttemptAt" <= ${at(now)}::timestamp
        AND (c."leaseUntil" IS NULL OR c."leaseUntil" < ${at(now)}::timestamp)
      ORDER BY c."nextAttemptAt" LIMIT ${limit}
      FOR UPDATE OF c SKIP LOCKED
    )
    UPDATE "EventConsumerCursor" c SET "leaseToken" = ${token}::uuid, "leaseUntil" = ${at(new Date(now.getTime() + leaseMs))}::timestamp
    FROM due, "Tenant" t
    WHERE c."consumer" = ${consumer} AND c."tenantId" = due."tenantId" AND t."id" = c."tenantId"
    RETURNING c."tenantId", c."position", t."eventSeq" AS head, c."attempts"`;
  return rows.map((r) => ({ tenantId: r.tenantId, position: Number(r.position), head: Number(r.head), attempts: Number(r.attempts) }));
}

/** The next events after `position`, up to `head`, of the wanted types. */
export async function nextEvents(
  db: PrismaClient,
  tenantId: string,
  types: readonly EventType[],
  position: number,
  head: number,
  limit: number,
): Promise<SealedEvent[]> {
  const rows = await db.event.findMany({
    where: { tenantId, seq: { gt: position, lte: head }, type: { in: [...types] } },
    orderBy: { seq: "asc" },
    take: limit,
  });
  return rows as SealedEvent[];
}

/** The lease was taken over (it ran out): what this instance did is not recorded as done. */
export class LeaseLostError extends Error {
  constructor(consumer: string, tenantId: string) {
    super(`${consumer} lost its lease on tenant ${tenantId}`);
  }
}

/**
 * Moves the cursor to `position` and clears the failures; then gives the
 * lease up, or (with `renewMs`, more to do) keeps it that much longer.
 */
export async function advance(
  db: Sql,
  consumer: string,
  tenantId: string,
  token: string,
  position: number,
  renewMs: number | null,
): Promise<void> {
  const now = new Date();
  const lease =
    renewMs === null
      ? Prisma.sql`NULL, "leaseUntil" = NULL`
      : Prisma.sql`"leaseToken", "leaseUntil" = ${at(new Date(now.getTime() + renewMs))}::timestamp`;
  const count = await db.$executeRaw`
    UPDATE "EventConsumerCursor" SET "position" = ${position}::int, "attempts" = 0, "lastError" = NULL,
      "nextAttemptAt" = ${at(now)}::timestamp, "updatedAt" = ${at(now)}::timestamp, "leaseToken" = ${lease}
    WHERE "consumer" = ${consumer} AND "tenantId" = ${tenantId}::uuid AND "leaseToken" = ${token}::uuid`;
  if (count !== 1) throw new LeaseLostError(consumer, tenantId);
}

/** Records a failure: the cursor stays, the lease goes, and the next attempt is due after `delayMs`. */
export async function fail(db: Sql, consumer: string, tenantId: string, token: string, error: string, delayMs: number): Promise<void> {
  await db.$executeRaw`
    UPDATE "EventConsumerCursor" SET "attempts" = "attempts" + 1, "lastError" = ${error.slice(0, 500)},
      "nextAttemptAt" = ${at(new Date(Date.now() + delayMs))}::timestamp, "updatedAt" = ${at(new Date())}::timestamp,
      "leaseToken" = NULL, "leaseUntil" = NULL
    WHERE "consumer" = ${consumer} AND "tenantId" = ${tenantId}::uuid AND "leaseToken" = ${token}::uuid`;
}
