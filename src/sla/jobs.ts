import { Prisma } from "../generated/prisma/client.js";
import type { DueJob, JobKind } from "../scheduler/kind.js";

export const SLA_JOB_KINDS = ["sla.warning", "sla.breach"];

/**
 * The clock is still running as the timer found it: not stopped, the target
 * not met (looked up in the messages too, for a reply the SLA consumer has not
 * handled yet), and the same cycle. A timer that finds otherwise fires
 * silently: the consumer has cancelled or moved it, or is about to.
 */
const STILL_RUNNING = Prisma.sql`
  s."pausedAt" IS NULL AND t."status" IN ('NEW', 'OPEN')
  AND CASE j."target"
    WHEN 'FIRST_RESPONSE' THEN s."firstRespondedAt" IS NULL AND NOT EXISTS (
      SELECT 1 FROM "Message" m WHERE m."ticketId" = t."id" AND NOT m."internal" AND m."authorType" <> 'CONTACT'
        AND m."id" <> (SELECT o."id" FROM "Message" o WHERE o."ticketId" = t."id" ORDER BY o."createdAt", o."id" LIMIT 1))
    WHEN 'NEXT_RESPONSE' THEN s."nextResponseStartedAt" IS NOT NULL
      AND (extract(epoch FROM s."nextResponseStartedAt") * 1000)::bigint::text = j."cycle"
      AND NOT EXISTS (
        SELECT 1 FROM "Message" m WHERE m."ticketId" = t."id" AND NOT m."internal" AND m."authorType" <> 'CONTACT'
          AND m."createdAt" >= s."nextResponseStartedAt")
    WHEN 'RESOLUTION' THEN s."resolvedAt" IS NULL
    ELSE false
  END`;

function rows(jobs: DueJob[]): string {
  return JSON.stringify(
    jobs.map((j) => {
      const p = j.payload as { ticketId: string; target: string; dueAt: string };
      return { tenantId: j.tenantId, ticketId: p.ticketId, target: p.target, dueAt: p.dueAt, cycle: j.key.split(":")[2] ?? "" };
    }),
  );
}

/** SLA_WARNING: a running target is close to its due time (the policy's lead). */
export const slaWarningJob: JobKind = {
  kind: "sla.warning",
  async fire(tx, jobs) {
    const written = await tx.$queryRaw<{ tenantId: string }[]>`
      WITH j AS (
        SELECT * FROM jsonb_to_recordset(${rows(jobs)}::jsonb) AS j("tenantId" uuid, "ticketId" uuid, "target" text, "dueAt" text, "cycle" text)
      )
      INSERT INTO "Event" ("id", "tenantId", "type", "ticketId", "data")
      SELECT gen_random_uuid(), j."tenantId", 'SLA_WARNING', j."ticketId", jsonb_build_object('target', j."target", 'dueAt', j."dueAt")
      FROM j
      JOIN "TicketSla" s ON s."ticketId" = j."ticketId" AND s."tenantId" = j."tenantId"
      JOIN "Ticket" t ON t."id" = j."ticketId"
      WHERE ${STILL_RUNNING}
      ORDER BY j."dueAt"
      RETURNING "tenantId"`;
    return new Set(written.map((w) => w.tenantId));
  },
};

/** SLA_BREACHED: a running target's due time passed; the ticket's SLA is marked breached in the same statement. */
export const slaBreachJob: JobKind = {
  kind: "sla.breach",
  async fire(tx, jobs) {
    const written = await tx.$queryRaw<{ tenantId: string }[]>`
      WITH j AS (
        SELECT * FROM jsonb_to_recordset(${rows(jobs)}::jsonb) AS j("tenantId" uuid, "ticketId" uuid, "target" text, "dueAt" text, "cycle" text)
      ),
      missed AS (
        SELECT j.* FROM j
        JOIN "TicketSla" s ON s."ticketId" = j."ticketId" AND s."tenantId" = j."tenantId"
        JOIN "Ticket" t ON t."id" = j."ticketId"
        WHERE ${STILL_RUNNING}
      ),
      marked AS (
        UPDATE "TicketSla" s SET "breached" = true,
          "breachedTargets" = ARRAY(SELECT DISTINCT unnest(s."breachedTargets" || m."targets") ORDER BY 1)
        FROM (SELECT "ticketId", array_agg("target") AS "targets" FROM missed GROUP BY "ticketId") m
        WHERE s."ticketId" = m."ticketId"
        RETURNING s."ticketId"
      )
      INSERT INTO "Event" ("id", "tenantId", "type", "ticketId", "data")
      SELECT gen_random_uuid(), missed."tenantId", 'SLA_BREACHED', missed."ticketId", jsonb_build_object('target', missed."target", 'dueAt', missed."dueAt")
      FROM missed
      ORDER BY missed."dueAt"
      RETURNING "tenantId"`;
    return new Set(written.map((w) => w.tenantId));
  },
};
