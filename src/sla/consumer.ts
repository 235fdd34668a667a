import type { EventConsumer } from "../events/consumers/consumer.js";
import type { SealedEvent } from "../events/outbox.js";
import { cancelJobs, scheduleJobs, type JobSpec } from "../scheduler/jobs.js";
import {
  changePolicy,
  nextDueAt,
  requesterWrote,
  runningTargets,
  startClocks,
  statusChanged,
  teamReplied,
  warningAt,
  type ClockContext,
  type SlaState,
} from "./clock.js";
import { SLA_JOB_KINDS } from "./jobs.js";
import { matchPolicy, type ActivePolicy } from "./match.js";
import { loadPolicies } from "./policies.js";

type Tx = import("../db/tx.js").Tx;

/**
 * Keeps each ticket's SLA clocks (TicketSla) and their timers (ScheduledJob)
 * in step with what happens to it. A transactional consumer of the committed
 * ticket events, not a step of the request: creating a ticket stays one
 * statement, policies are matched off the request's path, and the state and
 * its timers commit with the cursor, exactly once per event. A batch is
 * handled set-based: five reads, the clocks folded in memory (business-time
 * arithmetic needs time zones), two writes and a cancel.
 */
export function slaConsumer(): EventConsumer {
  return {
    name: "sla",
    types: ["TICKET_CREATED", "TICKET_UPDATED", "TICKET_STATUS_CHANGED", "MESSAGE_ADDED"],
    transactional: true,
    batchSize: 500,
    handle: async ({ tenantId, events, tx }) => {
      await applyEvents(tx!, tenantId, events);
    },
  };
}

async function applyEvents(tx: Tx, tenantId: string, events: SealedEvent[]): Promise<void> {
  const ticketIds = [...new Set(events.flatMap((e) => (e.ticketId ? [e.ticketId] : [])))];
  if (!ticketIds.length) return;
  const messageIds = events.flatMap((e) => (e.type === "MESSAGE_ADDED" && e.messageId && !e.internal ? [e.messageId] : []));
  const [tickets, messages, openers, { policies, reportCalendar }] = await Promise.all([
    tx.ticket.findMany({
      where: { tenantId, id: { in: ticketIds } },
      select: {
        id: true,
        createdAt: true,
        status: true,
        priority: true,
        channel: true,
        requester: { select: { organizationId: true } },
        tags: { select: { tag: { select: { name: true } } } },
        sla: true,
      },
    }),
    tx.message.findMany({
      where: { tenantId, id: { in: messageIds } },
      select: { id: true, createdAt: true, internal: true, authorType: true },
    }),
    // A ticket's opening message (the one it was created with) is neither a reply nor a follow-up.
    tx.$queryRaw<{ id: string }[]>`
      SELECT DISTINCT ON ("ticketId") "id" FROM "Message"
      WHERE "tenantId" = ${tenantId}::uuid AND "ticketId" = ANY(${ticketIds}::uuid[])
      ORDER BY "ticketId", "createdAt", "id"`,
    loadPolicies(tx, tenantId),
  ]);
  const messageById = new Map(messages.map((m) => [m.id, m]));
  const opening = new Set(openers.map((o) => o.id));
  const rows: (SlaState & { ticketId: string; dueAt: Date | null })[] = [];
  const jobs: JobSpec[] = [];
  for (const ticket of tickets) {
    const facts = {
      priority: ticket.priority,
      channel: ticket.channel,
      tags: ticket.tags.map((t) => t.tag.name),
      organizationId: ticket.requester.organizationId,
    };
    // Matched on the ticket as it is now: a batch sees the end state of its changes.
    const policy = matchPolicy(policies, facts);
    const c: ClockContext = { createdAt: ticket.createdAt, policy, reportCalendar };
    let state: SlaState | null = ticket.sla ? { ...ticket.sla } : null;
    for (const event of events) {
      if (event.ticketId !== ticket.id) continue;
      state ??= startClocks(c);
      if (event.type === "TICKET_UPDATED") state = changePolicy(state, c);
      else if (event.type === "TICKET_STATUS_CHANGED") {
        const data = event.data as { from?: string; to?: string };
        if (data.from && data.to) state = statusChanged(state, data.from, data.to, event.createdAt, c);
      } else if (event.type === "MESSAGE_ADDED" && event.messageId && !opening.has(event.messageId)) {
        const message = messageById.get(event.messageId);
        if (!message || message.internal) continue;
        state = message.authorType === "CONTACT" ? requesterWrote(state, message.createdAt, c) : teamReplied(state, message.createdAt, c);
      }
    }
    if (!state) continue;
    rows.push({ ...state, ticketId: ticket.id, dueAt: nextDueAt(state) });
    if (policy) jobs.push(...timers(ticket.id, state, policy));
  }
  await writeStates(tx, tenantId, rows);
  // Timers of clocks that stopped or moved to another cycle go; the running ones are (re)scheduled.
  await cancelJobs(
    tx,
    tenantId,
    SLA_JOB_KINDS,
    ticketIds,
    jobs.map((j) => j.key),
  );
  await scheduleJobs(tx, tenantId, jobs);
}

function timers(ticketId: string, state: SlaState, policy: ActivePolicy): JobSpec[] {
  return runningTargets(state).flatMap(({ target, dueAt, cycle }) => {
    const key = `${ticketId}:${target}:${cycle}`;
    const payload = { ticketId, target, dueAt: dueAt.toISOString() };
    const breach: JobSpec = { kind: "sla.breach", key, dueAt, payload };
    const warnAt = warningAt(policy, target, dueAt);
    return warnAt && warnAt < dueAt ? [{ kind: "sla.warning", key, dueAt: warnAt, payload }, breach] : [breach];
  });
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** All rows of a batch in one statement. */
async function writeStates(tx: Tx, tenantId: string, rows: (SlaState & { ticketId: string; dueAt: Date | null })[]) {
  if (!rows.length) return;
  const json = JSON.stringify(
    rows.map((r) => ({
      ...r,
      firstResponseDueAt: iso(r.firstResponseDueAt),
      firstRespondedAt: iso(r.firstRespondedAt),
      nextResponseStartedAt: iso(r.nextResponseStartedAt),
      nextResponseDueAt: iso(r.nextResponseDueAt),
      resolutionDueAt: iso(r.resolutionDueAt),
      resolvedAt: iso(r.resolvedAt),
      pausedAt: iso(r.pausedAt),
      dueAt: iso(r.dueAt),
    })),
  );
  const ts = (col: string) => `(r."${col}"::timestamptz AT TIME ZONE 'UTC')`;
  const cols = [
    "firstResponseDueAt",
    "firstRespondedAt",
    "nextResponseStartedAt",
    "nextResponseDueAt",
    "resolutionDueAt",
    "resolvedAt",
    "pausedAt",
    "dueAt",
  ];
  const timeCols = cols.map((c) => `"${c}"`).join(", ");
  const timeValues = cols.map(ts).join(", ");
  const updates = [
    ...[...cols, "policyId", "pausedMinutes", "firstResponseMinutes", "resolutionMinutes"].map((c) => `"${c}" = EXCLUDED."${c}"`),
    // A breach the timer recorded since this batch read the row stays (the row lock orders the two writes).
    `"breached" = "TicketSla"."breached" OR EXCLUDED."breached"`,
    `"breachedTargets" = ARRAY(SELECT DISTINCT unnest("TicketSla"."breachedTargets" || EXCLUDED."breachedTargets") ORDER BY 1)`,
  ].join(", ");
  const recordType = [
    ...cols.map((c) => `"${c}" text`),
    `"ticketId" uuid`,
    `"policyId" uuid`,
    `"pausedMinutes" int`,
    `"breached" boolean`,
    `"breachedTargets" text[]`,
    `"firstResponseMinutes" int`,
    `"resolutionMinutes" int`,
  ].join(", ");
  // Column names come from the list above, never from input; the values travel as one JSON parameter.
  await tx.$executeRawUnsafe(
    `INSERT INTO "TicketSla" ("ticketId", "tenantId", "policyId", ${timeCols}, "pausedMinutes", "breached", "breachedTargets",
       "firstResponseMinutes", "resolutionMinutes", "updatedAt")
     SELECT r."ticketId", $1::uuid, r."policyId", ${timeValues}, r."pausedMinutes", r."breached", r."breachedTargets",
       r."firstResponseMinutes", r."resolutionMinutes", now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($2::jsonb) AS r(${recordType})
     ON CONFLICT ("ticketId") DO UPDATE SET ${updates}, "updatedAt" = EXCLUDED."updatedAt"`,
    tenantId,
    json,
  );
}
