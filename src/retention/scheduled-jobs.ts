import { Prisma } from "../generated/prisma/client.js";
import { retainedCategories } from "../privacy/stores/index.js";
import type { RetentionTarget, SweepScope } from "./targets.js";

const UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/**
 * Fired timers older than keepDays that can be forgotten. A fired row is what
 * keeps a timer from firing twice when it is scheduled again (src/scheduler/jobs.ts),
 * so an SLA timer goes only once its clock cannot run again: the ticket is
 * closed or gone, its first response was given, or its next-response cycle is
 * over. Other kinds (automation timers) go once fired: each start of their
 * clock has a key of its own. Cancelled timers are deleted when cancelled.
 */
const prunable = (s: SweepScope) => Prisma.sql`
  SELECT j."id" FROM "ScheduledJob" j
  LEFT JOIN "Ticket" t ON t."tenantId" = j."tenantId"
    AND t."id" = (CASE WHEN split_part(j."key", ':', 1) ~ ${UUID} THEN split_part(j."key", ':', 1)::uuid END)
  LEFT JOIN "TicketSla" s ON s."ticketId" = t."id"
  WHERE j."tenantId" = ${s.tenantId}::uuid
    AND j."firedAt" < (${s.cutoff.toISOString()}::timestamptz AT TIME ZONE 'UTC')
    AND (j."kind" NOT IN ('sla.warning', 'sla.breach')
      OR t."id" IS NULL OR t."status" = 'CLOSED'
      OR (split_part(j."key", ':', 2) = 'FIRST_RESPONSE' AND s."firstRespondedAt" IS NOT NULL)
      OR (split_part(j."key", ':', 2) = 'NEXT_RESPONSE'
        AND split_part(j."key", ':', 3) IS DISTINCT FROM (extract(epoch FROM s."nextResponseStartedAt") * 1000)::bigint::text))`;

/** The scheduler's fired timers (src/scheduler/): ids, kinds and times, nobody's personal data. */
export const scheduledJobs: RetentionTarget = {
  name: "SCHEDULED_JOBS",
  description:
    "Fired timers of the scheduler (SLA warnings and breaches, automation rules' timers) older than keepDays, once they cannot fire again.",
  category: "system.operations",
  categories: retainedCategories("SCHEDULED_JOBS"),
  actions: ["DELETE"],
  suggested: { keepDays: 30, action: "DELETE", why: "a fired timer is a record of the scheduler's work; the events it recorded stay" },
  respectsLegalHold: false,
  async nextBatch(s, limit) {
    const rows = await s.database.prisma.$queryRaw<{ id: string }[]>`${prunable(s)} ORDER BY j."id" LIMIT ${limit}`;
    return rows.map((r) => r.id);
  },
  countHeld: async () => 0,
  applier: {
    kind: "transaction",
    apply: (tx, s, ids) => tx.$executeRaw`DELETE FROM "ScheduledJob" WHERE "id" = ANY(${ids}::uuid[]) AND "id" IN (${prunable(s)})`,
  },
};
