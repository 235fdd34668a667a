import type { PrismaClient } from "../../generated/prisma/client.js";
import type { EventType, SealedEvent } from "../outbox.js";

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

/** Records a failure: the cursor stays, the lease goes, and the next attempt is due after `delayMs`. */
export async function fail(db: Sql, consumer: string, tenantId: string, token: string, error: string, delayMs: number): Promise<void> {
  await db.$executeRaw`
    UPDATE "EventConsumerCursor" SET "attempts" = "attempts" + 1, "lastError" = ${error.slice(0, 500)},
      "nextAttemptAt" = ${at(new Date(Date.now() + delayMs))}::timestamp, "updatedAt" = ${at(new Date())}::timestamp,
      "leaseToken" = NULL, "leaseUntil" = NULL
    WHERE "consumer" = ${consumer} AND "tenantId" = ${tenantId}::uuid AND "leaseToken" = ${token}::uuid`;
}

/** A consumer's cursor in one tenant, leased by this instance. */
export interface Claimed {
  tenantId: string;
  position: number;
  /** The tenant's event head when it was claimed: the batch ends there. */
  head: number;
  attempts: number;
}

export interface ClaimRequest {
  consumer: string;
  token: string;
  limit: number;
  leaseUntil: Date;
}

export interface ReadRequest {
  tenantId: string;
  types: readonly EventType[];
  position: number;
  head: number;
  limit: number;
}

export interface MoveRequest {
  consumer: string;
  tenantId: string;
  token: string;
  position: number;
  /** Keep the lease until then (more to do), or give it up (null). */
  leaseUntil: Date | null;
}

/**
 * Leases, for each request, up to `limit` of the consumer's cursors that are
 * behind their tenant's head, due, and not leased by a live worker (SKIP
 * LOCKED: two instances never take the same one). The lease is what makes one
 * instance at a time the consumer for a tenant; it runs out at `leaseUntil` if
 * that instance dies. One statement per round: a consumer named twice in one
 * call (a driver never does) waits for the next round.
 */
export async function claimCursors(db: Sql, requests: readonly ClaimRequest[]): Promise<Claimed[][]> {
  const results: Claimed[][] = requests.map(() => []);
  let pending = requests.map((request, i) => ({ request, i }));
  while (pending.length) {
    const seen = new Set<string>();
    const round = pending.filter(({ request }) => !seen.has(request.consumer) && seen.add(request.consumer));
    pending = pending.filter((p) => !round.includes(p));
    const now = at(new Date());
    const rows = await db.$queryRaw<{ consumer: string; tenantId: string; position: number; head: number; attempts: number }[]>`
      WITH req AS (
        SELECT * FROM unnest(${round.map((r) => r.request.consumer)}::text[], ${round.map((r) => r.request.token)}::uuid[],
          ${round.map((r) => r.request.limit)}::int[], ${round.map((r) => at(r.request.leaseUntil))}::timestamp[])
          AS r("consumer", "token", "lim", "leaseUntil")
      ),
      due AS (
        SELECT d."consumer", d."tenantId", req."token", req."leaseUntil" FROM req CROSS JOIN LATERAL (
          SELECT c."consumer", c."tenantId" FROM "EventConsumerCursor" c JOIN "Tenant" t ON t."id" = c."tenantId"
          WHERE c."consumer" = req."consumer" AND t."eventSeq" > c."position" AND c."nextAttemptAt" <= ${now}::timestamp
            AND (c."leaseUntil" IS NULL OR c."leaseUntil" < ${now}::timestamp)
          ORDER BY c."nextAttemptAt" LIMIT req."lim"
          FOR UPDATE OF c SKIP LOCKED
        ) d
      )
      UPDATE "EventConsumerCursor" c SET "leaseToken" = due."token", "leaseUntil" = due."leaseUntil"
      FROM due, "Tenant" t
      WHERE c."consumer" = due."consumer" AND c."tenantId" = due."tenantId" AND t."id" = c."tenantId"
      RETURNING c."consumer", c."tenantId", c."position", t."eventSeq" AS head, c."attempts"`;
    for (const { request, i } of round) {
      results[i] = rows
        .filter((r) => r.consumer === request.consumer)
        .map((r) => ({ tenantId: r.tenantId, position: Number(r.position), head: Number(r.head), attempts: Number(r.attempts) }));
    }
  }
  return results;
}

/** Each request's next events after `position`, up to `head`, of its types: one statement, a LATERAL read per request keeping its types and limit. */
export async function readEvents(db: Sql, requests: readonly ReadRequest[]): Promise<SealedEvent[][]> {
  const rows = await db.$queryRaw<(SealedEvent & { request: bigint })[]>`
    SELECT r."n" AS "request", e."id", e."tenantId", e."seq", e."appendOrder", e."type", e."ticketId", e."messageId",
           e."internal", e."data", e."createdAt", e."publishedAt"
    FROM unnest(${requests.map((r) => r.tenantId)}::uuid[], ${requests.map((r) => r.types.join(","))}::text[],
      ${requests.map((r) => r.position)}::int[], ${requests.map((r) => r.head)}::int[], ${requests.map((r) => r.limit)}::int[])
      WITH ORDINALITY AS r("tenantId", "types", "position", "head", "lim", "n")
    CROSS JOIN LATERAL (
      SELECT * FROM "Event" e
      WHERE e."tenantId" = r."tenantId" AND e."seq" > r."position" AND e."seq" <= r."head"
        AND e."type" = ANY(string_to_array(r."types", ','))
      ORDER BY e."seq" LIMIT r."lim"
    ) e
    ORDER BY r."n", e."seq"`;
  const results: SealedEvent[][] = requests.map(() => []);
  for (const { request, ...event } of rows) results[Number(request) - 1]!.push(event);
  return results;
}

/**
 * Moves each cursor to its `position` and clears its failures; then gives the
 * lease up, or (with `leaseUntil`, more to do) keeps it until then. One
 * statement; each request learns whether its row was there to move under its
 * lease (false: another instance took the lease over, nothing moved).
 */
export async function moveCursors(db: Sql, requests: readonly MoveRequest[]): Promise<boolean[]> {
  const now = at(new Date());
  const moved = await db.$queryRaw<{ consumer: string; tenantId: string }[]>`
    UPDATE "EventConsumerCursor" c SET "position" = r."position", "attempts" = 0, "lastError" = NULL,
      "nextAttemptAt" = ${now}::timestamp, "updatedAt" = ${now}::timestamp,
      "leaseToken" = CASE WHEN r."leaseUntil" IS NULL THEN NULL ELSE c."leaseToken" END, "leaseUntil" = r."leaseUntil"
    FROM unnest(${requests.map((r) => r.consumer)}::text[], ${requests.map((r) => r.tenantId)}::uuid[],
      ${requests.map((r) => r.token)}::uuid[], ${requests.map((r) => r.position)}::int[],
      ${requests.map((r) => (r.leaseUntil ? at(r.leaseUntil) : null))}::timestamp[])
      AS r("consumer", "tenantId", "token", "position", "leaseUntil")
    WHERE c."consumer" = r."consumer" AND c."tenantId" = r."tenantId" AND c."leaseToken" = r."token"
    RETURNING c."consumer", c."tenantId"`;
  const done = new Set(moved.map((m) => `${m.consumer}\0${m.tenantId}`));
  return requests.map((r) => done.has(`${r.consumer}\0${r.tenantId}`));
}
