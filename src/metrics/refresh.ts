import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { dayStart, localTime, NONE } from "./sql.js";

type Tx = Prisma.TransactionClient;

/** What one refresh of a tenant did; null when another refresher had the tenant. */
export type RefreshResult = { rebuilt: boolean; days: number } | null;

/** A full rebuild of a large tenant takes a while (about a minute for a million tickets). */
const REFRESH_TIMEOUT_MS = 30 * 60_000;

/**
 * The tenants the refresher has work for: a write since the last refresh
 * (MetricsChange rows), or no rollup in the default calendar's time zone.
 */
export async function tenantsToRefresh(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT t."id"::text AS id FROM "Tenant" t
      LEFT JOIN "MetricsRollup" r ON r."tenantId" = t."id"
    WHERE r."timeZone" IS DISTINCT FROM COALESCE(
        (SELECT c."timeZone" FROM "Calendar" c WHERE c."tenantId" = t."id" AND c."isDefault" LIMIT 1), 'UTC')
      OR EXISTS (SELECT 1 FROM "MetricsChange" m WHERE m."tenantId" = t."id")`;
  return rows.map((r) => r.id);
}

/**
 * Brings one tenant's rollup up to date, in one transaction, with at most one
 * refresher per tenant across instances (an advisory lock; a busy tenant is
 * skipped, its refresher is at it).
 * Takes (deletes) the tenant's MetricsChange rows first, then, in later
 * statements, recounts their local days from the tickets and those days'
 * months from the day rows. Under READ COMMITTED each later statement sees all
 * that committed before it: a write committed after the delete is counted
 * now and its change row, which the delete did not see, stays for the next
 * refresh; so nothing is missed, and a recount never adds to what is there,
 * so nothing is counted twice.
 * When the rollup is of another time zone than the default calendar's (or
 * there is none), the tenant is rebuilt whole.
 */
export function refreshTenant(prisma: PrismaClient, tenantId: string): Promise<RefreshResult> {
  return prisma.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtextextended(${`deskgraph.metrics:${tenantId}`}, 0)) AS ok`;
      if (!lock?.ok) return null;
      // As for reports (src/metrics/service.ts): compiling these statements costs more than running them.
      await tx.$executeRaw`SET LOCAL jit = off`;
      const [state] = await tx.$queryRaw<{ zone: string; built: string | null; exists: boolean }[]>`
        SELECT COALESCE((SELECT "timeZone" FROM "Calendar" WHERE "tenantId" = ${tenantId}::uuid AND "isDefault" LIMIT 1), 'UTC') AS zone,
          (SELECT "timeZone" FROM "MetricsRollup" WHERE "tenantId" = ${tenantId}::uuid) AS built,
          EXISTS (SELECT 1 FROM "Tenant" WHERE "id" = ${tenantId}::uuid) AS exists`;
      if (!state?.exists) {
        // Deleted meanwhile: only its change rows may be left.
        await tx.$executeRaw`DELETE FROM "MetricsChange" WHERE "tenantId" = ${tenantId}::uuid`;
        return { rebuilt: false, days: 0 };
      }
      const { zone } = state;
      if (state.built !== zone) {
        await tx.$executeRaw`DELETE FROM "MetricsChange" WHERE "tenantId" = ${tenantId}::uuid`;
        await tx.$executeRaw`DELETE FROM "MetricsDay" WHERE "tenantId" = ${tenantId}::uuid`;
        await tx.$executeRaw`DELETE FROM "MetricsMonth" WHERE "tenantId" = ${tenantId}::uuid`;
        const days = await recountDays(tx, tenantId, zone, null);
        await recountMonths(tx, tenantId, null);
        await tx.$executeRaw`
          INSERT INTO "MetricsRollup" ("tenantId", "timeZone", "builtAt") VALUES (${tenantId}::uuid, ${zone}, now())
          ON CONFLICT ("tenantId") DO UPDATE SET "timeZone" = EXCLUDED."timeZone", "builtAt" = EXCLUDED."builtAt"`;
        return { rebuilt: true, days };
      }
      const touched = await tx.$queryRaw<{ day: string }[]>`
        WITH taken AS (DELETE FROM "MetricsChange" WHERE "tenantId" = ${tenantId}::uuid RETURNING "at")
        SELECT DISTINCT to_char(${localTime(Prisma.sql`"at"`, zone)}, 'YYYY-MM-DD') AS day FROM taken`;
      if (!touched.length) return { rebuilt: false, days: 0 };
      const days = touched.map((t) => t.day);
      await tx.$executeRaw`DELETE FROM "MetricsDay" WHERE "tenantId" = ${tenantId}::uuid AND "day" = ANY(${days}::date[])`;
      await recountDays(tx, tenantId, zone, days);
      await tx.$executeRaw`
        DELETE FROM "MetricsMonth" WHERE "tenantId" = ${tenantId}::uuid
          AND "month" IN (SELECT DISTINCT date_trunc('month', d)::date FROM unnest(${days}::date[]) AS d)`;
      await recountMonths(tx, tenantId, days);
      return { rebuilt: false, days: days.length };
    },
    { timeout: REFRESH_TIMEOUT_MS, maxWait: 60_000 },
  );
}

/**
 * Counts the given local days (all, for null) from the tickets into
 * MetricsDay: per day, one row per dimension value that has anything
 * (kind ALL with value '', CHANNEL, PRIORITY, TEAM, AGENT). Returns how many
 * days have rows.
 */
async function recountDays(tx: Tx, tenantId: string, zone: string, days: string[] | null): Promise<number> {
  const tenant = Prisma.sql`${tenantId}::uuid`;
  const ranges =
    days === null
      ? Prisma.sql`SELECT '-infinity'::timestamp AS lo, 'infinity'::timestamp AS hi`
      : Prisma.sql`SELECT ${dayStart(Prisma.sql`d`, zone)} AS lo, ${dayStart(Prisma.sql`(d + 1)`, zone)} AS hi
          FROM unnest(${days}::date[]) AS d`;
  const day = (col: Prisma.Sql) => Prisma.sql`(${localTime(col, zone)})::date`;
  // A few days: each ticket's SLA record and each rating's ticket looked up by key (LIMIT 1
  // keeps the planner, which cannot see how few rows the ranges hold, from hashing whole
  // tables). Everything: hash joins over the whole tenant are the faster way.
  const slaJoin =
    days === null
      ? Prisma.sql`LEFT JOIN "TicketSla" s ON s."ticketId" = t."id"`
      : Prisma.sql`LEFT JOIN LATERAL (SELECT s."firstResponseMinutes", s."resolutionMinutes", s."policyId", s."breached"
          FROM "TicketSla" s WHERE s."ticketId" = t."id" LIMIT 1) s ON true`;
  const ticketJoin =
    days === null
      ? Prisma.sql`JOIN "Ticket" t ON t."id" = r."ticketId" AND t."tenantId" = r."tenantId"`
      : Prisma.sql`CROSS JOIN LATERAL (SELECT t."channel", t."priority", t."teamId" FROM "Ticket" t
          WHERE t."id" = r."ticketId" AND t."tenantId" = r."tenantId" LIMIT 1) t`;
  const rows = await tx.$queryRaw<{ days: bigint }[]>`
    -- Each range read through the time indexes (LATERAL: a scan per day, not one over the tenant).
    WITH ranges AS (${ranges}),
    facts AS (
      SELECT ${day(Prisma.sql`t."createdAt"`)} AS d, t."channel"::text AS ch, t."priority"::text AS pr,
        t."teamId"::text AS team, t."assigneeId"::text AS agent,
        1 AS created, 0 AS solved, s."firstResponseMinutes" AS fr, NULL::int AS res,
        (s."policyId" IS NOT NULL)::int AS "withPolicy", (s."policyId" IS NOT NULL AND NOT s."breached")::int AS kept, NULL::int AS rating
      FROM ranges g
        CROSS JOIN LATERAL (SELECT * FROM "Ticket" t WHERE t."tenantId" = ${tenant} AND t."createdAt" >= g.lo AND t."createdAt" < g.hi) t
        ${slaJoin}
      UNION ALL
      SELECT ${day(Prisma.sql`t."solvedAt"`)}, t."channel"::text, t."priority"::text, t."teamId"::text, t."assigneeId"::text,
        0, 1, NULL, s."resolutionMinutes", 0, 0, NULL
      FROM ranges g
        CROSS JOIN LATERAL (SELECT * FROM "Ticket" t WHERE t."tenantId" = ${tenant} AND t."solvedAt" >= g.lo AND t."solvedAt" < g.hi) t
        ${slaJoin}
      UNION ALL
      -- Ratings: by the ticket's channel, priority and team, and by the agent assigned when rated.
      SELECT ${day(Prisma.sql`r."createdAt"`)}, t."channel"::text, t."priority"::text, t."teamId"::text, r."assigneeId"::text,
        0, 0, NULL, NULL, 0, 0, r."rating"
      FROM ranges g
        CROSS JOIN LATERAL (SELECT * FROM "SatisfactionResponse" r WHERE r."tenantId" = ${tenant} AND r."createdAt" >= g.lo AND r."createdAt" < g.hi) r
        ${ticketJoin}
    ),
    exploded AS MATERIALIZED (
      SELECT f.d, k.kind, k.value, f.created, f.solved, f.fr, f.res, f."withPolicy", f.kept, f.rating
      FROM facts f CROSS JOIN LATERAL (VALUES ('ALL', ''), ('CHANNEL', f.ch), ('PRIORITY', f.pr),
        ('TEAM', COALESCE(f.team, ${NONE})), ('AGENT', COALESCE(f.agent, ${NONE}))) AS k(kind, value)
    ),
    sums AS (
      SELECT d, kind, value, sum(created)::int AS created, sum(solved)::int AS solved,
        count(fr)::int AS "frCount", COALESCE(sum(fr), 0)::bigint AS "frSum", count(res)::int AS "resCount", COALESCE(sum(res), 0)::bigint AS "resSum",
        sum("withPolicy")::int AS "withPolicy", sum(kept)::int AS kept, count(rating)::int AS "ratingCount", COALESCE(sum(rating), 0)::int AS "ratingSum"
      FROM exploded GROUP BY 1, 2, 3
    ),
    fr AS (
      SELECT d, kind, value, array_agg(b ORDER BY b) AS bs, array_agg(c ORDER BY b) AS cs
      FROM (SELECT d, kind, value, metrics_bucket(fr) AS b, count(*)::int AS c FROM exploded WHERE fr IS NOT NULL GROUP BY 1, 2, 3, 4) x
      GROUP BY 1, 2, 3
    ),
    res AS (
      SELECT d, kind, value, array_agg(b ORDER BY b) AS bs, array_agg(c ORDER BY b) AS cs
      FROM (SELECT d, kind, value, metrics_bucket(res) AS b, count(*)::int AS c FROM exploded WHERE res IS NOT NULL GROUP BY 1, 2, 3, 4) x
      GROUP BY 1, 2, 3
    ),
    inserted AS (
      INSERT INTO "MetricsDay" ("tenantId", "day", "kind", "value", "created", "solved", "frCount", "frSum", "resCount", "resSum",
        "withPolicy", "kept", "ratingCount", "ratingSum", "frBuckets", "frCounts", "resBuckets", "resCounts")
      SELECT ${tenant}, s.d, s.kind, s.value, s.created, s.solved, s."frCount", s."frSum", s."resCount", s."resSum",
        s."withPolicy", s.kept, s."ratingCount", s."ratingSum",
        COALESCE(fr.bs, '{}'), COALESCE(fr.cs, '{}'), COALESCE(res.bs, '{}'), COALESCE(res.cs, '{}')
      FROM sums s
        LEFT JOIN fr ON fr.d = s.d AND fr.kind = s.kind AND fr.value = s.value
        LEFT JOIN res ON res.d = s.d AND res.kind = s.kind AND res.value = s.value
      RETURNING "day"
    )
    SELECT count(DISTINCT "day") AS days FROM inserted`;
  return Number(rows[0]?.days ?? 0);
}

/** Sums the day rows of the months of the given days (all, for null) into MetricsMonth. */
async function recountMonths(tx: Tx, tenantId: string, days: string[] | null): Promise<void> {
  const tenant = Prisma.sql`${tenantId}::uuid`;
  const months =
    days === null
      ? Prisma.sql`SELECT DISTINCT date_trunc('month', "day")::date AS m FROM "MetricsDay" WHERE "tenantId" = ${tenant}`
      : Prisma.sql`SELECT DISTINCT date_trunc('month', d)::date AS m FROM unnest(${days}::date[]) AS d`;
  await tx.$executeRaw`
    WITH months AS (${months}),
    src AS MATERIALIZED (
      SELECT months.m, r.* FROM months JOIN "MetricsDay" r
        ON r."tenantId" = ${tenant} AND r."day" >= months.m AND r."day" < (months.m + interval '1 month')::date
    ),
    sums AS (
      SELECT m, kind, value, sum(created)::int AS created, sum(solved)::int AS solved, sum("frCount")::int AS "frCount",
        sum("frSum")::bigint AS "frSum", sum("resCount")::int AS "resCount", sum("resSum")::bigint AS "resSum",
        sum("withPolicy")::int AS "withPolicy", sum(kept)::int AS kept, sum("ratingCount")::int AS "ratingCount", sum("ratingSum")::int AS "ratingSum"
      FROM src GROUP BY 1, 2, 3
    ),
    fr AS (
      SELECT m, kind, value, array_agg(b ORDER BY b) AS bs, array_agg(c ORDER BY b) AS cs
      FROM (SELECT s.m, s.kind, s.value, h.b, sum(h.c)::int AS c FROM src s, unnest(s."frBuckets", s."frCounts") AS h(b, c) GROUP BY 1, 2, 3, 4) x
      GROUP BY 1, 2, 3
    ),
    res AS (
      SELECT m, kind, value, array_agg(b ORDER BY b) AS bs, array_agg(c ORDER BY b) AS cs
      FROM (SELECT s.m, s.kind, s.value, h.b, sum(h.c)::int AS c FROM src s, unnest(s."resBuckets", s."resCounts") AS h(b, c) GROUP BY 1, 2, 3, 4) x
      GROUP BY 1, 2, 3
    )
    INSERT INTO "MetricsMonth" ("tenantId", "month", "kind", "value", "created", "solved", "frCount", "frSum", "resCount", "resSum",
      "withPolicy", "kept", "ratingCount", "ratingSum", "frBuckets", "frCounts", "resBuckets", "resCounts")
    SELECT ${tenant}, s.m, s.kind, s.value, s.created, s.solved, s."frCount", s."frSum", s."resCount", s."resSum",
      s."withPolicy", s.kept, s."ratingCount", s."ratingSum",
      COALESCE(fr.bs, '{}'), COALESCE(fr.cs, '{}'), COALESCE(res.bs, '{}'), COALESCE(res.cs, '{}')
    FROM sums s
      LEFT JOIN fr ON fr.m = s.m AND fr.kind = s.kind AND fr.value = s.value
      LEFT JOIN res ON res.m = s.m AND res.kind = s.kind AND res.value = s.value`;
}
