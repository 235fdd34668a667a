import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { validationError } from "../errors.js";
import { rawReport } from "./raw.js";
import { rollupReport } from "./rollup-report.js";
import { type MetricsGroup, type MetricsRange, NONE, type ReportRow } from "./sql.js";

export type { MetricsGroup } from "./sql.js";

export interface MetricsRow {
  /** yyyy-MM-dd (DAY, WEEK: its Monday), yyyy-MM (MONTH), the enum value, or the team's or agent's raw id; null: no team, no assignee. */
  key: string | null;
  ticketsCreated: number;
  ticketsSolved: number;
  firstResponseMinutesMedian: number | null;
  firstResponseMinutesAverage: number | null;
  resolutionMinutesMedian: number | null;
  resolutionMinutesAverage: number | null;
  /** Percent of the tickets created with an SLA policy that kept it; null when none had one. */
  slaAttainment: number | null;
  /** Average satisfaction rating (1..5) of the ratings given in the range; null when none was. */
  csat: number | null;
  /** How many ratings were given in the range. */
  csatResponses: number;
}

/** The longest range one query may cover. */
const MAX_RANGE_DAYS = 3 * 366;

type Db = Context["db"];

/** The tenant's report time zone (its default calendar's, UTC without one) and the zone its rollup is of (null: none yet). */
async function zones(db: Db, tenantId: string): Promise<{ zone: string; built: string | null }> {
  const [row] = await db.$queryRaw<{ zone: string; built: string | null }[]>`
    SELECT COALESCE((SELECT "timeZone" FROM "Calendar" WHERE "tenantId" = ${tenantId}::uuid AND "isDefault" LIMIT 1), 'UTC') AS zone,
      (SELECT "timeZone" FROM "MetricsRollup" WHERE "tenantId" = ${tenantId}::uuid) AS built`;
  return row ?? { zone: "UTC", built: null };
}

/** Runs a report statement; JIT compiling one takes PostgreSQL longer than running it, so it is off for it alone. */
async function run(db: Db, statement: ReturnType<typeof rawReport>): Promise<ReportRow[]> {
  // SET LOCAL ends with the transaction of its own the statement runs in.
  const [, rows] = await db.$transaction([db.$executeRaw`SET LOCAL jit = off`, db.$queryRaw<ReportRow[]>(statement)]);
  return rows;
}

/**
 * The report straight from the tickets (exact medians), whatever the rollup
 * holds: what tests compare the rollup's answers with.
 */
export async function rawMetrics(db: Db, tenantId: string, range: MetricsRange, group: MetricsGroup): Promise<MetricsRow[]> {
  const { zone } = await zones(db, tenantId);
  return (await run(db, rawReport(tenantId, range, group, zone))).map(toRow);
}

/**
 * Reporting over a time range, grouped. Each day, week or month of the range,
 * and each channel or priority, has a row, with zeros where nothing happened.
 * Tickets created in the range give the counts of created tickets,
 * first-response times and SLA attainment; tickets solved in the range give
 * the solved counts and resolution times. Times are business minutes of the
 * tenant's default calendar (recorded per ticket by the SLA consumer as
 * replies and solves happen); days, weeks and months are those of its time
 * zone (UTC without a default calendar). Satisfaction counts the ratings given
 * in the range, by when they were given, by the rated ticket's channel,
 * priority and team, and by the agent who was its assignee when it was rated.
 *
 * Answered from the rollup the metrics refresher keeps (rollup-report.ts)
 * once it is built in the tenant's current zone, from the tickets until then
 * (raw.ts); either way in one statement.
 */
export async function metrics(ctx: Context, range: MetricsRange, group: MetricsGroup): Promise<MetricsRow[]> {
  const { tenantId } = requireViewer(ctx);
  if (range.to <= range.from) throw validationError([{ path: ["range", "to"], message: "must be after from" }]);
  if (range.to.getTime() - range.from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw validationError([{ path: ["range", "to"], message: `a range covers ${MAX_RANGE_DAYS} days at most` }]);
  }
  const { zone, built } = await zones(ctx.db, tenantId);
  const statement = built === zone ? rollupReport(tenantId, range, group, zone) : rawReport(tenantId, range, group, zone);
  return (await run(ctx.db, statement)).map(toRow);
}

function toRow(r: ReportRow): MetricsRow {
  const n = (v: bigint | number | null) => (v === null ? 0 : Number(v));
  const f = (v: number | null) => (v === null ? null : Math.round(Number(v) * 100) / 100);
  return {
    key: r.key === NONE ? null : r.key,
    ticketsCreated: n(r.created),
    ticketsSolved: n(r.solved),
    firstResponseMinutesMedian: f(r.frMedian),
    firstResponseMinutesAverage: f(r.frAverage),
    resolutionMinutesMedian: f(r.resMedian),
    resolutionMinutesAverage: f(r.resAverage),
    slaAttainment: n(r.withPolicy) ? f((n(r.kept) * 100) / n(r.withPolicy)) : null,
    csat: f(r.csat),
    csatResponses: n(r.ratings),
  };
}
