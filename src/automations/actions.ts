import type { Context } from "../context.js";
import { NOTES_READ } from "../auth/visibility.js";
import { Prisma } from "../generated/prisma/client.js";
import { renderForTicket } from "../macros/render.js";
import type { ValueInput } from "../custom-fields/values.js";
import { addMessage, updateTicket, type UpdateTicketInput } from "../tickets/service.js";
import type { Action, ActionType } from "./rule.js";
import { customFields, teams } from "./seams.js";

/** What one action did, as the run log keeps it: ids, field names and small values, never content. */
export type Change = { action: ActionType } & Record<string, unknown>;

/**
 * An action names something that is no longer there (an agent deleted or
 * disabled, a macro or webhook deleted, a custom field or team gone): the
 * rule that holds it is disabled with this reason instead of failing.
 */
export class BrokenReference extends Error {}

/** What the actions of a rule know of the event that fired it (none for a macro applied by hand). */
export interface ActionEvent {
  seq: number;
}

/**
 * Applies actions to a ticket through the tickets service, in `ctx.db`'s
 * transaction (the caller opens it): the field changes as one updateTicket
 * (one set of events), then notes, macro replies and webhook calls in order.
 * Automated changes carry `ctx.automation`, which the events they record
 * repeat. `agentId` is the agent that templates name ({{agent.name}}).
 */
export async function applyActions(
  ctx: Context,
  ticketId: string,
  actions: readonly Action[],
  agentId: string | null,
  event?: ActionEvent,
): Promise<Change[]> {
  const changes: Change[] = [];
  const update: UpdateTicketInput = {};
  // Only what differs is changed: a change that changes nothing records no event, so
  // rules that agree with each other do not fire each other.
  const current = await ctx.db.ticket.findUnique({
    where: { id: ticketId },
    select: { status: true, priority: true, assigneeId: true, teamId: true },
  });
  const tagOps = actions.filter((a) => a.type === "ADD_TAGS" || a.type === "REMOVE_TAGS");
  for (const a of actions) {
    if (a.type === "SET_STATUS" && a.status !== current?.status) update.status = a.status;
    else if (a.type === "SET_PRIORITY" && a.priority !== current?.priority) update.priority = a.priority;
    else if (a.type === "SET_ASSIGNEE") {
      if (a.agentId) await assertAgentUsable(ctx, a.agentId);
      if (a.agentId !== current?.assigneeId) update.assigneeId = a.agentId;
    } else if (a.type === "SET_TEAM") {
      if (a.teamId && !(await teams.exists(ctx.db, a.teamId))) throw new BrokenReference(`team ${a.teamId} no longer exists`);
      // In the same update as an assignee the rule sets: routing by the team's strategy only when it sets none.
      if (a.teamId !== current?.teamId) update.teamId = a.teamId;
    } else if (a.type === "SET_CUSTOM_FIELD") {
      const value = await customFieldValue(ctx, ticketId, a.key, a.value);
      if (value) (update.customFields ??= []).push(value);
    }
  }
  if (tagOps.length) {
    const { before, after } = await nextTags(ctx, ticketId, tagOps);
    if (before.length !== after.length || before.some((t) => !after.includes(t))) update.tags = after;
  }
  if (Object.keys(update).length) {
    await updateTicket(ctx, ticketId, update);
    for (const a of actions) if (a.type !== "ADD_NOTE" && a.type !== "SEND_MACRO" && a.type !== "CALL_WEBHOOK") changes.push(describe(a));
  }
  for (const a of actions) {
    switch (a.type) {
      case "ADD_NOTE": {
        const body = await renderForTicket(ctx, a.body, ticketId, agentId);
        const note = await addMessage(ctx, { ticketId, body, internal: true, from: "ME" });
        changes.push({ action: a.type, messageId: note.id });
        break;
      }
      case "SEND_MACRO": {
        const macro = await ctx.db.macro.findUnique({ where: { id: a.macroId } });
        // A personal macro is its owner's: a rule may send only shared ones.
        if (!macro || macro.ownerId) throw new BrokenReference(`macro ${a.macroId} no longer exists or is not shared`);
        const body = await renderForTicket(ctx, macro.body, ticketId, agentId);
        const reply = await addMessage(ctx, { ticketId, body, internal: false, from: "ME" });
        changes.push({ action: a.type, macroId: macro.id, messageId: reply.id });
        break;
      }
      case "CALL_WEBHOOK":
        if (!event) throw new BrokenReference("a webhook call needs the event that fired the rule");
        await queueWebhook(ctx, a.endpointId, event.seq);
        changes.push(describe(a));
        break;
      default:
        break;
    }
  }
  return changes;
}

function describe(a: Action): Change {
  switch (a.type) {
    case "SET_STATUS":
      return { action: a.type, status: a.status };
    case "SET_PRIORITY":
      return { action: a.type, priority: a.priority };
    case "SET_ASSIGNEE":
      return { action: a.type, agentId: a.agentId };
    case "ADD_TAGS":
    case "REMOVE_TAGS":
      return { action: a.type, tags: a.tags };
    case "SET_TEAM":
      return { action: a.type, teamId: a.teamId };
    case "SET_CUSTOM_FIELD":
      // The value may be anything a person typed: the log keeps the field's key only.
      return { action: a.type, key: a.key };
    case "SEND_MACRO":
      return { action: a.type, macroId: a.macroId };
    case "CALL_WEBHOOK":
      return { action: a.type, endpointId: a.endpointId };
    case "ADD_NOTE":
      return { action: a.type };
  }
}

/**
 * The value input for updateTicket, or null when the ticket already has this
 * value (no change, no event). A field deleted since the rule was saved, or a
 * value its rules no longer allow (an option removed), disables the rule.
 */
async function customFieldValue(ctx: Context, ticketId: string, key: string, value: unknown): Promise<ValueInput | null> {
  const problem = await customFields.problemWith(ctx.db, key, value);
  const next = problem ? null : await customFields.inputOf(ctx.db, key, value);
  if (!next) throw new BrokenReference(`custom field ${key}: ${problem ?? "no longer takes this value"}`);
  const now = (await customFields.valuesOf(ctx.db, [ticketId], [key])).get(ticketId)?.[key] ?? null;
  return JSON.stringify(now) === JSON.stringify(next.plain) ? null : next.input;
}

async function assertAgentUsable(ctx: Context, agentId: string): Promise<void> {
  const agent = await ctx.db.agent.findUnique({ where: { id: agentId }, select: { disabled: true } });
  if (!agent) throw new BrokenReference(`agent ${agentId} no longer exists`);
  if (agent.disabled) throw new BrokenReference(`agent ${agentId} is disabled`);
}

/** The ticket's tags before and after the adds and removes. */
async function nextTags(ctx: Context, ticketId: string, ops: readonly Action[]): Promise<{ before: string[]; after: string[] }> {
  const current = await ctx.db.ticketTag.findMany({ where: { ticketId }, select: { tag: { select: { name: true } } } });
  const before = current.map((t) => t.tag.name);
  const tags = new Set(before);
  for (const op of ops) {
    if (op.type === "ADD_TAGS") for (const t of op.tags) tags.add(t);
    if (op.type === "REMOVE_TAGS") for (const t of op.tags) tags.delete(t);
  }
  return { before, after: [...tags] };
}

/**
 * Queues a delivery of the event that fired the rule to one of the tenant's
 * webhook endpoints: the webhook worker (src/webhooks/worker.ts) sends it
 * like any other, signed, shaped by the endpoint's API key, through the
 * outbound address guard, with its retries. An endpoint that already takes
 * this event gets it once (the delivery is unique per endpoint and event).
 */
async function queueWebhook(ctx: Context, endpointId: string, seq: number): Promise<void> {
  const endpoint = await ctx.db.webhookEndpoint.findUnique({ where: { id: endpointId }, select: { enabled: true, tenantId: true } });
  if (!endpoint) throw new BrokenReference(`webhook endpoint ${endpointId} no longer exists`);
  if (!endpoint.enabled) throw new BrokenReference(`webhook endpoint ${endpointId} is disabled`);
  const now = new Date().toISOString();
  // Like the fan-out (src/webhooks/fanout.ts): an internal note's event only to a key that may read notes.
  await ctx.db.$executeRaw(Prisma.sql`
    INSERT INTO "WebhookDelivery" ("id", "tenantId", "endpointId", "eventSeq", "eventType", "status", "attempts", "nextAttemptAt", "createdAt")
    SELECT gen_random_uuid(), e."tenantId", e."id", ev."seq", ev."type", 'PENDING', 0, ${now}::timestamp, ${now}::timestamp
    FROM "WebhookEndpoint" e
    JOIN "ApiKey" k ON k."id" = e."apiKeyId" AND k."tenantId" = e."tenantId"
    JOIN "Event" ev ON ev."tenantId" = e."tenantId" AND ev."seq" = ${seq}::int
    WHERE e."id" = ${endpointId}::uuid AND e."tenantId" = ${endpoint.tenantId}::uuid
      AND (NOT ev."internal" OR ${NOTES_READ} = ANY(k."scopes"))
    ON CONFLICT ("endpointId", "eventSeq") DO NOTHING`);
}
