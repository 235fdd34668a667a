import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { PrismaClient } from "../../../src/generated/prisma/client.js";

type Sql = Pick<PrismaClient, "$executeRaw" | "$queryRaw">;

/** Who holds a send lease, in EmailOutbound.leaseHolder: this host and process. */
export const SEND_HOLDER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** A reply this instance now sends, until its lease lapses or it lets go. */
export interface SendClaim {
  messageId: string;
  tenantId: string;
  token: string;
  /** Attempts begun, this one included. */
  attempts: number;
}

const at = (date: Date) => date.toISOString();

/**
 * Leases up to `limit` replies whose next attempt is due and that nobody is
 * sending: no lease, or a lapsed one (the instance died between committing
 * QUEUED and finishing the send). Each claim counts as an attempt, so that a
 * reply that kills its sender every time is not tried for ever. FOR UPDATE
 * SKIP LOCKED: two instances claiming at once never take the same reply.
 */
export async function claimDueSends(db: Sql, limit: number, leaseMs: number): Promise<SendClaim[]> {
  const now = new Date();
  return db.$queryRaw<SendClaim[]>`
    WITH due AS (
      SELECT "messageId" FROM "EmailOutbound"
      WHERE "nextAttemptAt" <= ${at(now)}::timestamp AND ("leaseUntil" IS NULL OR "leaseUntil" < ${at(now)}::timestamp)
      ORDER BY "nextAttemptAt", "messageId"
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE "EmailOutbound" o SET "leaseToken" = gen_random_uuid(), "leaseHolder" = ${SEND_HOLDER},
      "leaseUntil" = ${at(new Date(now.getTime() + leaseMs))}::timestamp, "attempts" = o."attempts" + 1
    FROM due WHERE o."messageId" = due."messageId"
    RETURNING o."messageId"::text AS "messageId", o."tenantId"::text AS "tenantId", o."leaseToken"::text AS "token", o."attempts"`;
}

/** Keeps the lease `leaseMs` longer while a send is under way; false when it is no longer ours. */
export async function renewSendLease(db: Sql, claim: SendClaim, leaseMs: number): Promise<boolean> {
  const until = new Date(Date.now() + leaseMs);
  const count = await db.$executeRaw`
    UPDATE "EmailOutbound" SET "leaseUntil" = ${at(until)}::timestamp
    WHERE "messageId" = ${claim.messageId}::uuid AND "leaseToken" = ${claim.token}::uuid`;
  return count === 1;
}

/**
 * Renews the lease every third of its length until `work` settles: a slow
 * server (a large attachment, a long greeting) is not mistaken for a dead instance.
 */
export async function holdingLease<T>(db: Sql, claim: SendClaim, leaseMs: number, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => void renewSendLease(db, claim, leaseMs).catch(() => {}), Math.max(1000, Math.floor(leaseMs / 3)));
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Lets go of the lease until `nextAttemptAt`, with the failure that calls for another attempt. */
export async function postponeSend(db: Sql, claim: SendClaim, nextAttemptAt: Date, code: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "EmailOutbound" SET "leaseToken" = NULL, "leaseHolder" = NULL, "leaseUntil" = NULL,
      "nextAttemptAt" = ${at(nextAttemptAt)}::timestamp, "lastError" = ${code}
    WHERE "messageId" = ${claim.messageId}::uuid AND "leaseToken" = ${claim.token}::uuid`;
}
