import { addBusinessTime, ALWAYS_OPEN, type BusinessCalendar } from "../calendars/business-time.js";
import { storedCalendar } from "../calendars/validate.js";
import type { Tx } from "../db/tx.js";
import type { SealedEvent } from "../events/outbox.js";
import type { JobSpec } from "../scheduler/jobs.js";
import type { DueJob, JobKind } from "../scheduler/kind.js";
import type { StoredRule } from "./store.js";
import type { Timer } from "./timer.js";

/**
 * TIME_ELAPSED rules on the durable scheduler (src/scheduler/). Each
 * (ticket, rule) pair has one ScheduledJob row, keyed `<ticketId>:<ruleId>`
 * (found through the (tenantId, kind, key) index), whose payload names the
 * anchor: when the clock started. The automations consumer (re)schedules or
 * cancels it from the ticket's events, set-based, in the transaction that runs
 * the rules: a new anchor re-arms the row, the same anchor leaves a fired row
 * fired (each start of the clock fires once). When it is due the scheduler
 * records a TIME_ELAPSED event, and the same consumer runs the rule on that
 * event (loop guard, run log, savepoints: the engine of every trigger).
 *
 * The consumer reads events in commit order, so when it reaches a
 * TIME_ELAPSED event it has seen every change that committed before the
 * timer fired: the event counts only if its anchor is still the pair's. A
 * timer that fired just as the ticket moved on is thus dropped, without
 * looking back through the ticket's history.
 */
export const ELAPSED_KIND = "automation.elapsed";

/** The ticket events that start a timer or move it on. */
const ACTIVITY = new Set(["TICKET_CREATED", "TICKET_UPDATED", "TICKET_STATUS_CHANGED", "TICKET_ASSIGNED", "MESSAGE_ADDED"]);

const pairOf = (ticketId: string, ruleId: string) => `${ticketId}:${ruleId}`;

/** The rule whose change an event announces, if an automated change caused it. */
const causedBy = (e: SealedEvent) => (e.data as { automation?: { ruleId?: unknown } } | null)?.automation?.ruleId ?? null;

/**
 * Where the rule's clock starts on this event: a time (a new timer from
 * then), null (no timer: the ticket left the status), or undefined (the
 * event does not concern this rule's timer).
 */
function anchorOf(timer: Timer, e: SealedEvent): Date | null | undefined {
  switch (timer.since) {
    case "CREATED":
      return e.type === "TICKET_CREATED" ? e.createdAt : undefined;
    case "LAST_UPDATE":
      return e.createdAt;
    case "STATUS": {
      // New tickets start NEW; the event says so too.
      const to = e.type === "TICKET_STATUS_CHANGED" || e.type === "TICKET_CREATED" ? (e.data as { to?: string; status?: string }) : null;
      if (!to) return undefined;
      return (to.to ?? to.status) === timer.status ? e.createdAt : null;
    }
  }
}

async function defaultCalendar(tx: Tx, tenantId: string): Promise<BusinessCalendar> {
  const row = await tx.calendar.findFirst({ where: { tenantId, isDefault: true } });
  return row ? storedCalendar(row) : ALWAYS_OPEN;
}

/** A timer row's anchor (ms since the epoch, as text), as its payload and TIME_ELAPSED events carry it. */
type Anchor = string;

/**
 * Brings the timers of the batch's tickets up to date with its events, in
 * order, and returns the events minus the TIME_ELAPSED ones whose timer had
 * been moved or cancelled before it fired. One read, a delete and an upsert
 * for the whole batch.
 */
export async function planTimers(tx: Tx, tenantId: string, events: SealedEvent[], rules: StoredRule[]): Promise<SealedEvent[]> {
  const timed = rules.filter((r): r is StoredRule & { timer: Timer } => r.trigger === "TIME_ELAPSED" && r.timer !== null);
  const elapsed = events.filter((e) => e.type === "TIME_ELAPSED");
  if (!timed.length && !elapsed.length) return events;
  const ticketIds = [...new Set(events.flatMap((e) => (e.ticketId && e.type !== "TIME_ELAPSED" ? [e.ticketId] : [])))];
  const pairs = [
    ...ticketIds.flatMap((t) => timed.map((r) => pairOf(t, r.id))),
    ...elapsed.map((e) => pairOf(e.ticketId ?? "", (e.data as { ruleId?: string }).ruleId ?? "")),
  ];
  // The pairs' timers as the batch begins (fired or not), by exact key.
  const existing = await tx.$queryRaw<{ key: string; anchor: Anchor | null }[]>`
    SELECT "key", "payload"->>'anchor' AS "anchor" FROM "ScheduledJob"
    WHERE "tenantId" = ${tenantId}::uuid AND "kind" = ${ELAPSED_KIND} AND "key" = ANY(${[...new Set(pairs)]}::text[])`;
  const current = new Map<string, Anchor | null>(existing.map((r) => [r.key, r.anchor]));
  const planned = new Map<string, JobSpec | null>();
  const calendar = timed.some((r) => r.timer.businessHours) ? await defaultCalendar(tx, tenantId) : ALWAYS_OPEN;
  const stale = new Set<string>();
  for (const e of events) {
    if (!e.ticketId) continue;
    if (e.type === "TIME_ELAPSED") {
      const { ruleId, anchor } = e.data as { ruleId?: string; anchor?: Anchor };
      if (!ruleId || !anchor || current.get(pairOf(e.ticketId, ruleId)) !== anchor) stale.add(e.id);
      continue;
    }
    if (!ACTIVITY.has(e.type)) continue;
    const by = causedBy(e);
    for (const rule of timed) {
      // A rule's own change does not restart its clock: it would fire again and again.
      if (by === rule.id) continue;
      const anchor = anchorOf(rule.timer, e);
      if (anchor === undefined) continue;
      const pair = pairOf(e.ticketId, rule.id);
      if (anchor === null) {
        current.set(pair, null);
        planned.set(pair, null);
        continue;
      }
      const dueAt = rule.timer.businessHours
        ? addBusinessTime(calendar, anchor, rule.timer.minutes)
        : new Date(anchor.getTime() + rule.timer.minutes * 60_000);
      current.set(pair, String(anchor.getTime()));
      planned.set(pair, { kind: ELAPSED_KIND, key: pair, dueAt, payload: { since: rule.timer.since, anchor: String(anchor.getTime()) } });
    }
  }
  const cancelled = [...planned.entries()].filter(([, j]) => j === null).map(([pair]) => pair);
  if (cancelled.length) {
    await tx.$executeRaw`
      DELETE FROM "ScheduledJob" WHERE "tenantId" = ${tenantId}::uuid AND "kind" = ${ELAPSED_KIND} AND "key" = ANY(${cancelled}::text[])`;
  }
  await arm(
    tx,
    tenantId,
    [...planned.values()].filter((j): j is JobSpec => j !== null),
  );
  return stale.size ? events.filter((e) => !stale.has(e.id)) : events;
}

/**
 * Schedules the pairs' timers in one statement. Unlike scheduleJobs, a fired
 * row fires again when its clock started anew (another anchor); with the same
 * anchor, a fired row stays fired and an unfired one moves to its new time.
 */
async function arm(tx: Tx, tenantId: string, jobs: JobSpec[]): Promise<void> {
  if (!jobs.length) return;
  const rows = JSON.stringify(jobs.map((j) => ({ key: j.key, dueAt: j.dueAt.toISOString(), payload: j.payload })));
  await tx.$executeRaw`
    INSERT INTO "ScheduledJob" ("id", "tenantId", "kind", "key", "dueAt", "payload")
    SELECT gen_random_uuid(), ${tenantId}::uuid, ${ELAPSED_KIND}, r."key", r."dueAt"::timestamptz AT TIME ZONE 'UTC', r."payload"
    FROM jsonb_to_recordset(${rows}::jsonb) AS r("key" text, "dueAt" text, "payload" jsonb)
    ON CONFLICT ("tenantId", "kind", "key") DO UPDATE
      SET "dueAt" = EXCLUDED."dueAt", "payload" = EXCLUDED."payload", "firedAt" = NULL
      WHERE "ScheduledJob"."firedAt" IS NULL OR "ScheduledJob"."payload"->>'anchor' IS DISTINCT FROM EXCLUDED."payload"->>'anchor'`;
}

/** Cancels every timer of a rule (deleted, disabled, or its timer or trigger changed). */
export async function cancelRuleTimers(tx: Tx, tenantId: string, ruleId: string): Promise<void> {
  await tx.$executeRaw`
    DELETE FROM "ScheduledJob"
    WHERE "tenantId" = ${tenantId}::uuid AND "kind" = ${ELAPSED_KIND} AND "firedAt" IS NULL AND split_part("key", ':', 2) = ${ruleId}`;
}

/**
 * A due timer becomes the ticket's TIME_ELAPSED event (data: ruleId, since,
 * anchor), for rules still enabled on TIME_ELAPSED and tickets not merged away.
 * Whether the ticket still qualifies (the same timer, the rule's conditions)
 * is decided by the automations consumer when it reaches the event.
 */
export const elapsedJob: JobKind = {
  kind: ELAPSED_KIND,
  async fire(tx, jobs: DueJob[]) {
    const rows = JSON.stringify(
      jobs.map((j) => {
        const [ticketId, ruleId] = j.key.split(":");
        const { since, anchor } = j.payload as { since?: string; anchor?: string };
        return { tenantId: j.tenantId, ticketId, ruleId, anchor: anchor ?? null, dueAt: j.dueAt, since: since ?? null };
      }),
    );
    const written = await tx.$queryRaw<{ tenantId: string }[]>`
      WITH j AS (
        SELECT * FROM jsonb_to_recordset(${rows}::jsonb) AS j("tenantId" uuid, "ticketId" uuid, "ruleId" uuid, "anchor" text, "dueAt" text, "since" text)
      )
      INSERT INTO "Event" ("id", "tenantId", "type", "ticketId", "data")
      SELECT gen_random_uuid(), j."tenantId", 'TIME_ELAPSED', j."ticketId", jsonb_build_object('ruleId', j."ruleId", 'since', j."since", 'anchor', j."anchor")
      FROM j
      JOIN "AutomationRule" r ON r."id" = j."ruleId" AND r."tenantId" = j."tenantId" AND r."enabled" AND r."trigger" = 'TIME_ELAPSED'
      JOIN "Ticket" t ON t."id" = j."ticketId" AND t."tenantId" = j."tenantId" AND t."mergedIntoId" IS NULL
      ORDER BY j."dueAt"
      RETURNING "tenantId"`;
    return new Set(written.map((w) => w.tenantId));
  },
};
