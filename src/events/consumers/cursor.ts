import { Prisma, type PrismaClient } from "../../generated/prisma/client.js";

type Sql = Pick<PrismaClient, "$executeRaw" | "$queryRaw">;

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
