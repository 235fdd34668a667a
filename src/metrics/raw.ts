import { Prisma } from "../generated/prisma/client.js";
import { bucketsOf, keyOf, type MetricsGroup, type MetricsRange, stored } from "./sql.js";

/**
 * The report straight from the tickets, in one statement: exact medians
 * (percentile_cont). What `metrics` answers while a tenant has no rollup in
 * its current time zone (not built yet, or the zone changed since), and what
 * the rollup is checked against in tests. Tickets created in the range give
 * the created counts, first-response times and SLA attainment; tickets solved
 * in it the solved counts and resolution times; ratings given in it the CSAT.
 * All three read through their (tenantId, time) indexes.
 */
export function rawReport(tenantId: string, range: MetricsRange, group: MetricsGroup, zone: string): Prisma.Sql {
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const inRange = (col: Prisma.Sql) => Prisma.sql`${col} >= ${stored(from)} AND ${col} < ${stored(to)}`;
  return Prisma.sql`
    WITH created AS (
      SELECT ${keyOf(group, Prisma.sql`t."createdAt"`, zone)} AS "key", count(*) AS "created",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY s."firstResponseMinutes") AS "frMedian",
        avg(s."firstResponseMinutes")::float8 AS "frAverage",
        count(s."policyId") AS "withPolicy",
        count(s."policyId") FILTER (WHERE NOT s."breached") AS "kept"
      FROM "Ticket" t LEFT JOIN "TicketSla" s ON s."ticketId" = t."id"
      WHERE t."tenantId" = ${tenantId}::uuid AND ${inRange(Prisma.sql`t."createdAt"`)}
      GROUP BY 1
    ),
    solved AS (
      SELECT ${keyOf(group, Prisma.sql`t."solvedAt"`, zone)} AS "key", count(*) AS "solved",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY s."resolutionMinutes") AS "resMedian",
        avg(s."resolutionMinutes")::float8 AS "resAverage"
      FROM "Ticket" t LEFT JOIN "TicketSla" s ON s."ticketId" = t."id"
      WHERE t."tenantId" = ${tenantId}::uuid AND ${inRange(Prisma.sql`t."solvedAt"`)}
      GROUP BY 1
    ),
    rated AS (
      SELECT ${keyOf(group, Prisma.sql`r."createdAt"`, zone, Prisma.sql`r."assigneeId"`)} AS "key",
        avg(r."rating")::float8 AS "csat", count(*) AS "ratings"
      FROM "SatisfactionResponse" r JOIN "Ticket" t ON t."id" = r."ticketId" AND t."tenantId" = r."tenantId"
      WHERE r."tenantId" = ${tenantId}::uuid AND ${inRange(Prisma.sql`r."createdAt"`)}
      GROUP BY 1
    ),
    keys AS (
      ${bucketsOf(group, from, to, zone)}
      UNION SELECT "key" FROM created UNION SELECT "key" FROM solved UNION SELECT "key" FROM rated
    )
    SELECT k."key", c."created", v."solved", c."frMedian", c."frAverage",
      v."resMedian", v."resAverage", c."withPolicy", c."kept", q."csat", q."ratings"
    FROM keys k
      LEFT JOIN created c ON c."key" = k."key"
      LEFT JOIN solved v ON v."key" = k."key"
      LEFT JOIN rated q ON q."key" = k."key"
    ORDER BY 1`;
}
