import { Prisma } from "../generated/prisma/client.js";

const METRICS_GROUPS = ["DAY", "WEEK", "MONTH", "CHANNEL", "PRIORITY", "TEAM", "AGENT"] as const;
export type MetricsGroup = (typeof METRICS_GROUPS)[number];

/** Rows of the groups without a value (no team, no assignee): the key they carry inside the statements and in the rollup. */
export const NONE = "-";

/** A report's range: instants, `to` excluded. */
export interface MetricsRange {
  from: Date;
  to: Date;
}

/** A stored instant (UTC `timestamp` column) as a local time of `zone`. */
export const localTime = (time: Prisma.Sql, zone: string) => Prisma.sql`((${time} AT TIME ZONE 'UTC') AT TIME ZONE ${zone})`;

/** The instant (as stored, UTC `timestamp`) a local day of `zone` starts. */
export const dayStart = (day: Prisma.Sql, zone: string) => Prisma.sql`((${day}::timestamp AT TIME ZONE ${zone}) AT TIME ZONE 'UTC')`;

/** An ISO instant as stored (UTC `timestamp`). */
export const stored = (iso: string) => Prisma.sql`(${iso}::timestamptz AT TIME ZONE 'UTC')`;

/**
 * The SQL of a group's key for a row's time column (local to `zone`) or the
 * ticket's field (`t`); names come from this list only. `assignee` is whom
 * AGENT groups by: the ticket's assignee, or the one a rating was given to.
 */
export function keyOf(group: MetricsGroup, time: Prisma.Sql, zone: string, assignee = Prisma.sql`t."assigneeId"`): Prisma.Sql {
  const local = localTime(time, zone);
  switch (group) {
    case "DAY":
      return Prisma.sql`to_char(${local}, 'YYYY-MM-DD')`;
    case "WEEK":
      return Prisma.sql`to_char(date_trunc('week', ${local}), 'YYYY-MM-DD')`;
    case "MONTH":
      return Prisma.sql`to_char(${local}, 'YYYY-MM')`;
    case "CHANNEL":
      return Prisma.sql`t."channel"::text`;
    case "PRIORITY":
      return Prisma.sql`t."priority"::text`;
    case "TEAM":
      return Prisma.sql`COALESCE(t."teamId"::text, ${NONE})`;
    case "AGENT":
      return Prisma.sql`COALESCE(${assignee}::text, ${NONE})`;
  }
}

/**
 * Every key a report has a row for, data or not: each day, week or month the
 * range touches (local to `zone`), each channel or priority. Teams and agents
 * are rows only where there is data.
 */
export function bucketsOf(group: MetricsGroup, from: string, to: string, zone: string): Prisma.Sql {
  const local = (iso: string) => Prisma.sql`((${iso}::timestamptz) AT TIME ZONE ${zone})`;
  // The range's last instant, to excluded: its bucket is the last one.
  const series = (unit: "day" | "week" | "month", format: string) =>
    Prisma.sql`SELECT to_char(b, ${format}) AS "key"
      FROM generate_series(date_trunc(${unit}, ${local(from)}), ${local(to)} - interval '1 microsecond', ${`1 ${unit}`}::interval) AS b`;
  switch (group) {
    case "DAY":
      return series("day", "YYYY-MM-DD");
    case "WEEK":
      return series("week", "YYYY-MM-DD");
    case "MONTH":
      return series("month", "YYYY-MM");
    case "CHANNEL":
      return Prisma.sql`SELECT unnest(enum_range(NULL::"Channel"))::text AS "key"`;
    case "PRIORITY":
      return Prisma.sql`SELECT unnest(enum_range(NULL::"TicketPriority"))::text AS "key"`;
    case "TEAM":
    case "AGENT":
      return Prisma.sql`SELECT NULL::text AS "key" WHERE false`;
  }
}

/** What both report statements return per key. */
export interface ReportRow {
  key: string;
  created: bigint | number | null;
  solved: bigint | number | null;
  frMedian: number | null;
  frAverage: number | null;
  resMedian: number | null;
  resAverage: number | null;
  withPolicy: bigint | number | null;
  kept: bigint | number | null;
  csat: number | null;
  ratings: bigint | number | null;
}
