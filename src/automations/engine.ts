import { randomUUID } from "node:crypto";
import { createContext, inTx, type Context } from "../context.js";
import type { Tx } from "../db/tx.js";
import { AppError } from "../errors.js";
import type { EventType, SealedEvent } from "../events/outbox.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { Permission } from "../auth/permissions.js";
import type { PluginServices } from "../plugin-host/plugin.js";
import { applyActions, BrokenReference, type Change } from "./actions.js";
import { messageFacts, needsOf, ticketFacts } from "./facts.js";
import { matches, type TicketFacts } from "./match.js";
import { MAX_DEPTH, type Trigger } from "./rule.js";
import { enabledRules, type StoredRule } from "./store.js";
import { planTimers } from "./timers.js";

/** The events each trigger stands for. A ticket update announces a status change or an assignment with events of their own. */
export const TRIGGER_OF: Partial<Record<EventType, Trigger>> = {
  TICKET_CREATED: "TICKET_CREATED",
  TICKET_UPDATED: "TICKET_UPDATED",
  TICKET_STATUS_CHANGED: "TICKET_UPDATED",
  TICKET_ASSIGNED: "TICKET_UPDATED",
  MESSAGE_ADDED: "MESSAGE_ADDED",
  SLA_WARNING: "SLA_WARNING",
  SLA_BREACHED: "SLA_BREACHED",
  TIME_ELAPSED: "TIME_ELAPSED",
};

/** What automated changes may do: work tickets and notes, and name the requester in a template. */
const AUTOMATION_PERMISSIONS: ReadonlySet<Permission> = new Set([
  "tickets:read",
  "tickets:write",
  "notes:read",
  "notes:write",
  "contacts:read",
]);

/** The rule and depth an event's data names when an automated change caused it. */
function causeOf(event: { data: unknown }): { ruleId: string | null; depth: number } {
  const a = (event.data as { automation?: { ruleId?: unknown; depth?: unknown } } | null)?.automation;
  return { ruleId: typeof a?.ruleId === "string" ? a.ruleId : null, depth: typeof a?.depth === "number" ? a.depth : 0 };
}

interface Firing {
  event: SealedEvent;
  trigger: Trigger;
  ticketId: string;
  cause: { ruleId: string | null; depth: number };
}

/**
 * The events of a batch that may fire rules, in order. One update announces
 * several changes (a status and a priority: two events), and rules look at
 * the ticket as it is now, not at each event: the updates of a ticket in the
 * batch fire TICKET_UPDATED rules once, at the last of them (per cause, so
 * that the loop guard still sees who made the change).
 */
function firings(events: SealedEvent[], triggers: Set<Trigger>): Firing[] {
  const out: Firing[] = [];
  const lastUpdate = new Map<string, number>();
  for (const event of events) {
    const trigger = TRIGGER_OF[event.type as EventType];
    if (!trigger || !triggers.has(trigger) || !event.ticketId) continue;
    const cause = causeOf(event);
    if (trigger === "TICKET_UPDATED") {
      const key = `${event.ticketId}\0${cause.ruleId}\0${cause.depth}`;
      const at = lastUpdate.get(key);
      if (at !== undefined) out[at] = { ...out[at]!, event };
      else lastUpdate.set(key, out.push({ event, trigger, ticketId: event.ticketId, cause }) - 1);
      continue;
    }
    out.push({ event, trigger, ticketId: event.ticketId, cause });
  }
  return out.sort((a, b) => a.event.seq - b.event.seq);
}

/** A context in which rules act for the tenant: as the system, with the transaction as its database. */
function automationContext(services: PluginServices, tenantId: string, tx: Tx): Context {
  const requestId = randomUUID();
  const ctx = createContext({
    ...services,
    requestId,
    clientIp: "automation",
    log: services.log.child({ requestId, automation: true }),
    viewer: { kind: "system", tenantId, pluginId: "automations", permissions: AUTOMATION_PERMISSIONS },
  });
  return inTx(ctx, tx);
}

const SAVEPOINT = "automation_rule";

/**
 * Events a call runs rules on, at most: rules' changes lock their tickets
 * until the batch commits, and few at a time keep an agent's update of the
 * same ticket from waiting long behind them. Only events of a trigger that
 * some rule has count, so a tenant without rules (or without rules for most
 * events) gets through a batch of hundreds in one transaction.
 */
const FIRINGS_PER_CALL = 25;

/** The events up to the FIRINGS_PER_CALL-th that may fire one of `triggers`: all of them when there are fewer. */
function callsWorth(events: SealedEvent[], triggers: Set<Trigger>): SealedEvent[] {
  let firing = 0;
  for (let i = 0; i < events.length; i++) {
    const trigger = TRIGGER_OF[events[i]!.type as EventType];
    if (trigger && triggers.has(trigger) && ++firing === FIRINGS_PER_CALL) return events.slice(0, i + 1);
  }
  return events;
}

/**
 * Runs the tenant's rules on a batch of committed events, in the consumer's
 * transaction (exactly once: the runs and the cursor commit together). Rules
 * go in `position` order; each matching rule's actions run under a savepoint,
 * so that one that fails leaves nothing half-done and the others go on. A rule
 * never fires on an event its own change caused, and no rule fires on an event
 * MAX_DEPTH automated changes deep. Says whether a rule queued a webhook call,
 * and the seq it stopped after when the batch had more than a call takes
 * (FIRINGS_PER_CALL): the rest is the next call's.
 */
export async function runRules(
  services: PluginServices,
  tenantId: string,
  batch: SealedEvent[],
  tx: Tx,
): Promise<{ webhookQueued: boolean; stoppedAt?: number }> {
  const rules = await enabledRules(tx);
  if (!rules.length) return { webhookQueued: false };
  const triggers = new Set(rules.map((r) => r.trigger));
  const events = callsWorth(batch, triggers);
  const stoppedAt = events.length < batch.length ? events.at(-1)!.seq : undefined;
  return { webhookQueued: await runOn(services, tenantId, events, rules, triggers, tx), stoppedAt };
}

async function runOn(
  services: PluginServices,
  tenantId: string,
  events: SealedEvent[],
  rules: StoredRule[],
  triggers: Set<Trigger>,
  tx: Tx,
) {
  // Timers follow the batch's changes first; a TIME_ELAPSED event whose timer they replaced is dropped.
  const current = await planTimers(tx, tenantId, events, rules);
  const fired = firings(current, triggers);
  if (!fired.length) return false;
  const needs = needsOf(rules);
  const tickets = await ticketFacts(tx, [...new Set(fired.map((f) => f.ticketId))], needs);
  const messageIds = fired.flatMap((f) => (f.trigger === "MESSAGE_ADDED" && f.event.messageId ? [f.event.messageId] : []));
  const messages = await messageFacts(tx, messageIds, needs);
  const ctx = automationContext(services, tenantId, tx);
  const runs: Prisma.AutomationRunCreateManyInput[] = [];
  const disabled = new Set<string>();
  for (const f of fired) {
    for (const rule of rules) {
      if (rule.trigger !== f.trigger || rule.id === f.cause.ruleId || disabled.has(rule.id)) continue;
      // A timer is one rule's: the event runs that rule only.
      if (f.trigger === "TIME_ELAPSED" && (f.event.data as { ruleId?: string }).ruleId !== rule.id) continue;
      const ticket = tickets.get(f.ticketId);
      if (!ticket) break; // deleted since
      const message = f.event.messageId ? (messages.get(f.event.messageId) ?? null) : null;
      if (f.trigger === "MESSAGE_ADDED" && !message) break;
      if (!matches(rule.conditions, ticket, message)) continue;
      const run = { tenantId, ruleId: rule.id, ticketId: f.ticketId, eventSeq: f.event.seq, eventType: f.event.type, depth: f.cause.depth };
      if (f.cause.depth >= MAX_DEPTH) {
        runs.push({ ...run, outcome: "SKIPPED", error: `depth limit: ${MAX_DEPTH} automated changes in a row` });
        continue;
      }
      const outcome = await applyRule(ctx, tx, rule, ticket, f);
      runs.push(
        outcome.outcome === "APPLIED"
          ? { ...run, outcome: outcome.outcome, changes: outcome.changes as Prisma.InputJsonArray }
          : { ...run, outcome: outcome.outcome, error: outcome.error },
      );
      if (outcome.outcome === "DISABLED") {
        disabled.add(rule.id);
        await tx.automationRule.update({ where: { id: rule.id }, data: { enabled: false, disabledReason: outcome.error } });
      }
      if (outcome.outcome === "APPLIED") {
        // Later rules see what this one changed.
        const fresh = (await ticketFacts(tx, [f.ticketId], needs)).get(f.ticketId);
        if (fresh) tickets.set(f.ticketId, fresh);
      }
    }
  }
  if (runs.length) await tx.automationRun.createMany({ data: runs });
  return runs.some((r) => (r.changes as Change[] | undefined)?.some((c) => c.action === "CALL_WEBHOOK"));
}

type Outcome = { outcome: "APPLIED"; changes: Change[] } | { outcome: "DISABLED" | "FAILED"; error: string };

async function applyRule(ctx: Context, tx: Tx, rule: StoredRule, ticket: TicketFacts, f: Firing): Promise<Outcome> {
  await tx.$executeRawUnsafe(`SAVEPOINT ${SAVEPOINT}`);
  try {
    const acting = Object.create(ctx, { automation: { value: { ruleId: rule.id, depth: f.cause.depth + 1 } } }) as Context;
    const changes = await applyActions(acting, f.ticketId, rule.actions, ticket.assigneeId, { seq: f.event.seq });
    await tx.$executeRawUnsafe(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    return { outcome: "APPLIED", changes };
  } catch (err) {
    if (ctx.database.health.isOutage(err)) throw err;
    await tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    if (err instanceof BrokenReference) return { outcome: "DISABLED", error: err.message };
    if (err instanceof AppError) return { outcome: "FAILED", error: `${err.code}: ${err.message}`.slice(0, 500) };
    ctx.log.error({ err, ruleId: rule.id, seq: f.event.seq }, "automation rule failed");
    return { outcome: "FAILED", error: "INTERNAL: the rule's actions failed unexpectedly" };
  }
}
