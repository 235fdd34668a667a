import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../graphql/builder.js";
import { metrics, type MetricsGroup, type MetricsRow } from "./service.js";

const MEDIAN =
  "The median: exact when its middle values are under 60 minutes, within 1 % above (reports read histograms of the minutes, 2 % wide buckets from 60 minutes); null when there were none";

const MetricsGroupBy = builder.enumType("MetricsGroupBy", {
  values: {
    DAY: { description: "Days of the default calendar's time zone (UTC without one); key yyyy-MM-dd" },
    WEEK: { description: "ISO weeks, key: the Monday, yyyy-MM-dd" },
    MONTH: { description: "Key yyyy-MM" },
    CHANNEL: { description: "Key: the Channel" },
    PRIORITY: { description: "Key: the TicketPriority" },
    TEAM: { description: "Key: the team's ID; null for tickets without a team" },
    AGENT: { description: "Key: the assignee's ID; null for unassigned tickets" },
  } satisfies Record<MetricsGroup, unknown>,
});

const MetricsRange = builder.inputType("MetricsRange", {
  description: "from included, to excluded; at most about three years.",
  fields: (t) => ({
    from: t.field({ type: "DateTime", required: true }),
    to: t.field({ type: "DateTime", required: true }),
  }),
});

const MetricsRowRef = builder.objectRef<MetricsRow & { group: MetricsGroup }>("MetricsRow").implement({
  description:
    "One group of a report. Created counts, first-response times and SLA attainment are of the tickets created in the range; solved counts and resolution times of those solved in it. Times are business minutes of the default calendar.",
  fields: (t) => ({
    key: t.string({
      nullable: true,
      description: "The group: a date, a month, an enum value, or a team's or agent's global ID (null: none)",
      resolve: (r) =>
        r.key && (r.group === "TEAM" || r.group === "AGENT") ? encodeGlobalID(r.group === "TEAM" ? "Team" : "Agent", r.key) : r.key,
    }),
    ticketsCreated: t.exposeInt("ticketsCreated"),
    ticketsSolved: t.exposeInt("ticketsSolved"),
    firstResponseMinutesMedian: t.exposeFloat("firstResponseMinutesMedian", { nullable: true, description: MEDIAN }),
    firstResponseMinutesAverage: t.exposeFloat("firstResponseMinutesAverage", { nullable: true }),
    resolutionMinutesMedian: t.exposeFloat("resolutionMinutesMedian", { nullable: true, description: MEDIAN }),
    resolutionMinutesAverage: t.exposeFloat("resolutionMinutesAverage", { nullable: true }),
    slaAttainment: t.exposeFloat("slaAttainment", {
      nullable: true,
      description: "Percent of the tickets created with an SLA policy that missed no target; null when none had a policy",
    }),
    csat: t.float({
      nullable: true,
      description:
        "Average satisfaction rating (1..5; GOOD counts as 5, BAD as 1) of the ratings given in the range: by when they were given, by the rated ticket's channel, priority or team, or by the agent assigned when it was rated; null when none was",
      resolve: (r) => r.csat,
    }),
    csatResponses: t.exposeInt("csatResponses", { description: "How many satisfaction ratings the average is of" }),
  }),
});

builder.queryField("metrics", (t) =>
  t.field({
    type: [MetricsRowRef],
    description:
      "A report over a time range, grouped by time, channel, priority, team or assignee. Every day, week or month the range touches, and every channel or priority, has a row (counts 0, averages null when nothing happened); teams and assignees only where there is data. VALIDATION for an empty or too long range.",
    authScopes: { permission: "tickets:read" },
    args: {
      range: t.arg({ type: MetricsRange, required: true }),
      groupBy: t.arg({ type: MetricsGroupBy, required: true }),
    },
    resolve: async (_r, { range, groupBy }, ctx) => {
      const rows = await metrics(ctx, range, groupBy);
      return rows.map((r) => ({ ...r, group: groupBy }));
    },
  }),
);
