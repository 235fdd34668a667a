import type { PrismaClient } from "../../../src/generated/prisma/client.js";
import { EMAIL } from "../manifest.js";

type Sql = Pick<PrismaClient, "$executeRaw" | "$queryRaw">;

/** A mailbox this instance now syncs, until its lease lapses or it lets go. */
export interface Claimed {
  mailboxId: string;
  tenantId: string;
  token: string;
}

const at = (date: Date) => date.toISOString();

/**
 * Leases up to `limit` mailboxes that nobody syncs: connected, in a tenant
 * that has the plugin enabled and is not closed, with no lease or a lapsed
 * one (its instance died or lost its connection). FOR UPDATE SKIP LOCKED:
 * two instances claiming at once never take the same mailbox.
 */
export async function claimMailboxes(db: Sql, holder: string, limit: number, leaseMs: number): Promise<Claimed[]> {
  const now = new Date();
  return db.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT s."mailboxId" FROM "MailboxSync" s
      JOIN "Mailbox" m ON m."id" = s."mailboxId"
      JOIN "Tenant" t ON t."id" = s."tenantId"
      WHERE m."status" = 'CONNECTED' AND t."closedAt" IS NULL
        AND (s."leaseUntil" IS NULL OR s."leaseUntil" < ${at(now)}::timestamp)
        AND EXISTS (SELECT 1 FROM "PluginInstall" p WHERE p."tenantId" = s."tenantId" AND p."pluginId" = ${EMAIL} AND p."enabled")
      ORDER BY s."leaseUntil" NULLS FIRST, s."mailboxId"
      LIMIT ${limit}
      FOR UPDATE OF s SKIP LOCKED
    )
    UPDATE "MailboxSync" s SET "leaseToken" = gen_random_uuid(), "leaseHolder" = ${holder},
      "leaseUntil" = ${at(new Date(now.getTime() + leaseMs))}::timestamp, "updatedAt" = ${at(now)}::timestamp
    FROM due WHERE s."mailboxId" = due."mailboxId"
    RETURNING s."mailboxId"::text AS "mailboxId", s."tenantId"::text AS "tenantId", s."leaseToken"::text AS "token"`;
}

/**
 * Keeps the lease `leaseMs` longer; false when it is no longer ours (taken
 * over, or the mailbox was disconnected: its sync row is gone) or the mailbox
 * no longer wants syncing (it needs reconnecting, the plugin was disabled, the
 * tenant closed): the session must stop.
 */
export async function renewLease(db: Sql, claimed: Claimed, leaseMs: number): Promise<boolean> {
  const now = new Date();
  const count = await db.$executeRaw`
    UPDATE "MailboxSync" s SET "leaseUntil" = ${at(new Date(now.getTime() + leaseMs))}::timestamp, "updatedAt" = ${at(now)}::timestamp
    FROM "Mailbox" m, "Tenant" t
    WHERE s."mailboxId" = ${claimed.mailboxId}::uuid AND s."leaseToken" = ${claimed.token}::uuid
      AND m."id" = s."mailboxId" AND m."status" = 'CONNECTED' AND t."id" = s."tenantId" AND t."closedAt" IS NULL
      AND EXISTS (SELECT 1 FROM "PluginInstall" p WHERE p."tenantId" = s."tenantId" AND p."pluginId" = ${EMAIL} AND p."enabled")`;
  return count === 1;
}

/**
 * Lets go of the lease. `retryInMs`: keep others off the mailbox that long
 * (its server failed; any instance tries again after it), with why in lastError.
 */
export async function releaseLease(db: Sql, claimed: Claimed, failure?: { code: string; retryInMs: number }): Promise<void> {
  const now = new Date();
  const until = failure ? at(new Date(now.getTime() + failure.retryInMs)) : null;
  await db.$executeRaw`
    UPDATE "MailboxSync" SET "leaseToken" = NULL, "leaseHolder" = NULL, "leaseUntil" = ${until}::timestamp,
      "lastError" = COALESCE(${failure?.code ?? null}, "lastError"), "updatedAt" = ${at(now)}::timestamp
    WHERE "mailboxId" = ${claimed.mailboxId}::uuid AND "leaseToken" = ${claimed.token}::uuid`;
}

/** The lease was lost (taken over, or the mailbox disconnected): what the session was doing is not recorded as done. */
export class LeaseLost extends Error {
  readonly code = "LEASE_LOST";
  constructor(mailboxId: string) {
    super(`The sync lease on mailbox ${mailboxId} was lost`);
  }
}
