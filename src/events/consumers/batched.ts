import DataLoader from "dataloader";
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { EventType, SealedEvent } from "../outbox.js";

type Sql = Pick<PrismaClient, "$queryRaw">;

/** A consumer's cursor in one tenant, leased by this instance. */
export interface Claimed {
  tenantId: string;
  position: number;
  /** The tenant's event head when it was claimed: the batch ends there. */
  head: number;
  attempts: number;
}

interface ClaimRequest {
  consumer: string;
  token: string;
  limit: number;
  leaseUntil: Date;
}

interface ReadRequest {
  tenantId: string;
  types: readonly EventType[];
  position: number;
  head: number;
  limit: number;
}

interface AdvanceRequest {
  consumer: string;
  tenantId: string;
  token: string;
  position: number;
  /** Keep the lease until then (more to do), or give it up (null). */
  leaseUntil: Date | null;
}

const at = (date: Date) => date.toISOString();

/**
 * The cursor statements of every consumer, batched. A sequencer run nudges
 * all consumers at once, and each would otherwise send its own lease, read and
 * move for the same new events: requests made before the next turn of the
 * event loop go out as one statement each (one lease for every consumer, one
 * read of every tenant's events, one move of every cursor that needs no
 * transaction). Each consumer still gets exactly its own rows.
 */
export class CursorBatches {
  private readonly claims: DataLoader<ClaimRequest, Claimed[]>;
  private readonly reads: DataLoader<ReadRequest, SealedEvent[]>;
  private readonly advances: DataLoader<AdvanceRequest, boolean>;

  constructor(db: Sql) {
    const options = { cache: false, batchScheduleFn: (send: () => void) => setImmediate(send) };
    this.claims = new DataLoader((requests) => claimAll(db, requests), options);
    this.reads = new DataLoader((requests) => readAll(db, requests), options);
    this.advances = new DataLoader((requests) => advanceAll(db, requests), options);
  }

  /**
   * Leases up to `limit` of the consumer's cursors that are behind their
   * tenant's head, due, and not leased by a live worker (SKIP LOCKED: two
   * instances never take the same one). The lease is what makes one instance
   * at a time the consumer for a tenant; it runs out after `leaseMs` if that
   * instance dies.
   */
  claim(consumer: string, token: string, limit: number, leaseMs: number): Promise<Claimed[]> {
    return this.claims.load({ consumer, token, limit, leaseUntil: new Date(Date.now() + leaseMs) });
  }

  /** The tenant's next events after `position`, up to `head`, of the wanted types. */
  read(tenantId: string, types: readonly EventType[], position: number, head: number, limit: number): Promise<SealedEvent[]> {
    return this.reads.load({ tenantId, types, position, head, limit });
  }

  /**
   * Moves the cursor to `position` and clears the failures; then gives the
   * lease up, or (with `renewMs`, more to do) keeps it that much longer.
   * False when the lease was taken over meanwhile (nothing moved).
   */
  advance(consumer: string, tenantId: string, token: string, position: number, renewMs: number | null): Promise<boolean> {
    const leaseUntil = renewMs === null ? null : new Date(Date.now() + renewMs);
    return this.advances.load({ consumer, tenantId, token, position, leaseUntil });
  }
}

/** One lease statement per round; a consumer asking twice in one batch (it does not) would wait for the next round. */
async function claimAll(db: Sql, requests: readonly ClaimRequest[]): Promise<Claimed[][]> {
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

/** Every request's events in one statement: a LATERAL read per request, so that each keeps its own types and limit. */
async function readAll(db: Sql, requests: readonly ReadRequest[]): Promise<SealedEvent[][]> {
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

/** Every move in one statement; each request learns whether its row (its lease) was there to move. */
async function advanceAll(db: Sql, requests: readonly AdvanceRequest[]): Promise<boolean[]> {
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
