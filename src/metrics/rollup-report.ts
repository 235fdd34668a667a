import { Prisma } from "../generated/prisma/client.js";
import { bucketsOf, dayStart, keyOf, localTime, type MetricsGroup, type MetricsRange, stored } from "./sql.js";

/** The rollup kind a group reads: time groups read the ALL rows. */
const kindOf = (group: MetricsGroup) => (group === "DAY" || group === "WEEK" || group === "MONTH" ? "ALL" : group);

/** A rollup row's key: its day's (or month's first day's) key for time groups, its value otherwise. */
function rollupKey(group: MetricsGroup, day: Prisma.Sql): Prisma.Sql {
  switch (group) {
    case "DAY":
      return Prisma.sql`to_char(${day}, 'YYYY-MM-DD')`;
    case "WEEK":
      return Prisma.sql`to_char(date_trunc('week', ${day}), 'YYYY-MM-DD')`;
    case "MONTH":
      return Prisma.sql`to_char(${day}, 'YYYY-MM')`;
    default:
      return Prisma.sql`r."value"`;
  }
}

// The few rows read from the tickets are joined to their SLA record and ticket one by one
// (primary key). The planner cannot know how few they are (the ranges are computed in the
// statement) and would otherwise hash-join whole tables; LIMIT 1 keeps each lookup a lookup.
const SLA_OF_TICKET = Prisma.raw(
  `SELECT s."firstResponseMinutes", s."resolutionMinutes", s."policyId", s."breached" FROM "TicketSla" s WHERE s."ticketId" = t."id" LIMIT 1`,
);
const TICKET_OF_RATING = Prisma.raw(
  `SELECT t."channel", t."priority", t."teamId" FROM "Ticket" t WHERE t."id" = r."ticketId" AND t."tenantId" = r."tenantId" LIMIT 1`,
);

const SUMS = Prisma.raw(
  `r."created", r."solved", r."frCount", r."frSum", r."resCount", r."resSum", r."withPolicy", r."kept", r."ratingCount", r."ratingSum", r."frBuckets", r."frCounts", r."resBuckets", r."resCounts"`,
);

/**
 * The report from the rollup (MetricsDay, MetricsMonth) where it is current,
 * and from the tickets where it may not be, in one statement (one snapshot:
 * a refresh committing meanwhile is seen whole or not at all):
 * - the whole local days of the range that no write touched since the last
 *   refresh (no MetricsChange row) come from the rollup; whole months of them
 *   from the month rows, unless the report is by day or week;
 * - the partial days at the range's edges and the touched days come from the
 *   tickets, read through their (tenantId, time) indexes;
 * - if the rollup is not (or no longer) of `zone`, everything comes from the tickets.
 * Counts, sums, averages, attainment and CSAT are exact. Medians come from the
 * merged histograms (migration 0040's metrics_bucket): exact below 60
 * minutes, within 1 % above; of two middle values, their mean, as percentile_cont.
 */
export function rollupReport(tenantId: string, range: MetricsRange, group: MetricsGroup, zone: string): Prisma.Sql {
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const tenant = Prisma.sql`${tenantId}::uuid`;
  const kind = kindOf(group);
  const useMonths = kind !== "ALL" || group === "MONTH";
  const d = (col: string) => Prisma.raw(col);
  return Prisma.sql`
    WITH
    -- The whole local days of the range, [first, end), when the rollup is of this zone.
    span AS (
      SELECT min(x.d) AS "first", max(x.d) + 1 AS "end"
      FROM generate_series(((${localTime(stored(from), zone)})::date - 1)::timestamp, (${localTime(stored(to), zone)})::date::timestamp, interval '1 day') AS g,
        LATERAL (SELECT g::date AS d) x
      WHERE ${dayStart(d("x.d"), zone)} >= ${stored(from)} AND ${dayStart(d("(x.d + 1)"), zone)} <= ${stored(to)}
        AND EXISTS (SELECT 1 FROM "MetricsRollup" m WHERE m."tenantId" = ${tenant} AND m."timeZone" = ${zone})
    ),
    -- Days of the span written to since the last refresh.
    changed AS (
      SELECT DISTINCT (${localTime(Prisma.sql`c."at"`, zone)})::date AS d
      FROM "MetricsChange" c, span
      WHERE c."tenantId" = ${tenant} AND c."at" >= ${dayStart(d('span."first"'), zone)} AND c."at" < ${dayStart(d('span."end"'), zone)}
    ),
    months AS (
      SELECT m::date AS m
      FROM span, generate_series(date_trunc('month', span."first"::timestamp), (span."end" - 1)::timestamp, interval '1 month') AS m
      WHERE ${useMonths} AND m::date >= span."first" AND (m + interval '1 month')::date <= span."end"
        AND NOT EXISTS (SELECT 1 FROM changed c WHERE c.d >= m::date AND c.d < (m + interval '1 month')::date)
    ),
    days AS (
      SELECT g::date AS d
      FROM span, generate_series(span."first"::timestamp, (span."end" - 1)::timestamp, interval '1 day') AS g
      WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.d = g::date)
        AND NOT EXISTS (SELECT 1 FROM months WHERE months.m = date_trunc('month', g)::date)
    ),
    -- Instants read from the tickets: the range outside the span, and the changed days. Each is
    -- read through the time index (LATERAL: a scan per range, never one over the tenant's tickets).
    ranges AS (
      SELECT lo, hi FROM (
        SELECT ${stored(from)} AS lo, COALESCE(${dayStart(d('span."first"'), zone)}, ${stored(to)}) AS hi FROM span
        UNION ALL SELECT ${dayStart(d('span."end"'), zone)}, ${stored(to)} FROM span WHERE span."end" IS NOT NULL
        UNION ALL SELECT ${dayStart(d("c.d"), zone)}, ${dayStart(d("(c.d + 1)"), zone)} FROM changed c
      ) x WHERE lo < hi
    ),
    roll AS (
      SELECT ${rollupKey(group, Prisma.sql`r."month"`)} AS "key", ${SUMS}
      FROM "MetricsMonth" r JOIN months ON r."month" = months.m
      WHERE r."tenantId" = ${tenant} AND r."kind" = ${kind}
      UNION ALL
      SELECT ${rollupKey(group, Prisma.sql`r."day"`)}, ${SUMS}
      FROM "MetricsDay" r JOIN days ON r."day" = days.d
      WHERE r."tenantId" = ${tenant} AND r."kind" = ${kind}
    ),
    rc AS (
      SELECT ${keyOf(group, Prisma.sql`t."createdAt"`, zone)} AS "key", s."firstResponseMinutes" AS fr,
        (s."policyId" IS NOT NULL)::int AS "withPolicy", (s."policyId" IS NOT NULL AND NOT s."breached")::int AS "kept"
      FROM ranges g
        CROSS JOIN LATERAL (SELECT * FROM "Ticket" t WHERE t."tenantId" = ${tenant} AND t."createdAt" >= g.lo AND t."createdAt" < g.hi) t
        LEFT JOIN LATERAL (${SLA_OF_TICKET}) s ON true
    ),
    rs AS (
      SELECT ${keyOf(group, Prisma.sql`t."solvedAt"`, zone)} AS "key", s."resolutionMinutes" AS res
      FROM ranges g
        CROSS JOIN LATERAL (SELECT * FROM "Ticket" t WHERE t."tenantId" = ${tenant} AND t."solvedAt" >= g.lo AND t."solvedAt" < g.hi) t
        LEFT JOIN LATERAL (${SLA_OF_TICKET}) s ON true
    ),
    rr AS (
      SELECT ${keyOf(group, Prisma.sql`r."createdAt"`, zone, Prisma.sql`r."assigneeId"`)} AS "key", r."rating"
      FROM ranges g
        CROSS JOIN LATERAL (SELECT * FROM "SatisfactionResponse" r WHERE r."tenantId" = ${tenant} AND r."createdAt" >= g.lo AND r."createdAt" < g.hi) r
        CROSS JOIN LATERAL (${TICKET_OF_RATING}) t
    ),
    totals AS (
      SELECT "key", sum(created) AS created, sum(solved) AS solved, sum("frCount") AS "frCount", sum("frSum") AS "frSum",
        sum("resCount") AS "resCount", sum("resSum") AS "resSum", sum("withPolicy") AS "withPolicy", sum(kept) AS kept,
        sum("ratingCount") AS "ratingCount", sum("ratingSum") AS "ratingSum"
      FROM (
        SELECT "key", created, solved, "frCount", "frSum", "resCount", "resSum", "withPolicy", kept, "ratingCount", "ratingSum" FROM roll
        UNION ALL SELECT "key", 1, 0, (fr IS NOT NULL)::int, COALESCE(fr, 0), 0, 0, "withPolicy", kept, 0, 0 FROM rc
        UNION ALL SELECT "key", 0, 1, 0, 0, (res IS NOT NULL)::int, COALESCE(res, 0), 0, 0, 0, 0 FROM rs
        UNION ALL SELECT "key", 0, 0, 0, 0, 0, 0, 0, 0, 1, rating FROM rr
      ) x
      GROUP BY "key"
    ),
    -- Histograms per key: the rollup rows' and, per key, the raw rows' (buckets in order).
    hist AS (
      SELECT "key", 'fr' AS which, "frBuckets" AS bs, "frCounts" AS cs FROM roll WHERE "frCount" > 0
      UNION ALL SELECT "key", 'res', "resBuckets", "resCounts" FROM roll WHERE "resCount" > 0
      UNION ALL SELECT "key", 'fr', array_agg(b ORDER BY b), array_agg(c ORDER BY b)
        FROM (SELECT "key", metrics_bucket(fr) AS b, count(*)::int AS c FROM rc WHERE fr IS NOT NULL GROUP BY 1, 2) x GROUP BY 1
      UNION ALL SELECT "key", 'res', array_agg(b ORDER BY b), array_agg(c ORDER BY b)
        FROM (SELECT "key", metrics_bucket(res) AS b, count(*)::int AS c FROM rs WHERE res IS NOT NULL GROUP BY 1, 2) x GROUP BY 1
    ),
    counted AS (SELECT h.*, count(*) OVER (PARTITION BY "key", which) AS parts FROM hist h),
    -- A key with one histogram (a day by DAY) takes it as it is; the others' are added up.
    merged AS (
      SELECT "key", which, bs, cs FROM counted WHERE parts = 1
      UNION ALL
      SELECT "key", which, array_agg(b ORDER BY b), array_agg(c ORDER BY b)
      FROM (
        SELECT h."key", h.which, u.b, sum(u.c)::int AS c
        FROM counted h, unnest(h.bs, h.cs) AS u(b, c) WHERE h.parts > 1
        GROUP BY 1, 2, 3
      ) x
      GROUP BY 1, 2
    ),
    medians AS (SELECT "key", which, metrics_median(bs, cs) AS median FROM merged),
    keys AS (
      ${bucketsOf(group, from, to, zone)}
      UNION SELECT "key" FROM totals
    )
    SELECT k."key", t.created, t.solved, fm.median AS "frMedian",
      t."frSum"::float8 / NULLIF(t."frCount", 0) AS "frAverage",
      rm.median AS "resMedian", t."resSum"::float8 / NULLIF(t."resCount", 0) AS "resAverage",
      t."withPolicy", t.kept, t."ratingSum"::float8 / NULLIF(t."ratingCount", 0) AS csat, t."ratingCount" AS ratings
    FROM keys k
      LEFT JOIN totals t ON t."key" = k."key"
      LEFT JOIN medians fm ON fm."key" = k."key" AND fm.which = 'fr'
      LEFT JOIN medians rm ON rm."key" = k."key" AND rm.which = 'res'
    ORDER BY 1`;
}
