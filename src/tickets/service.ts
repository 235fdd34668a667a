import { createContactIn, findContact, type ContactInput } from "../contacts/service.js";
import type { TenantClient } from "../db/tenant-scope.js";
import { AppError, forbidden, notFound } from "../errors.js";
import type { Channel, TicketPriority, TicketStatus } from "../generated/prisma/enums.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { recordEvents, type NewEvent } from "../events/outbox.js";
import { assertContactProcessable, assertNotRestricted } from "../privacy/restriction.js";
import { assertNotClosed, statusChange } from "./status.js";
import { nextTicketNumber } from "./counter.js";
import { insertTicket, type NewTicket } from "./insert.js";
import { inTransaction, type Tx } from "../db/tx.js";
import { assertMayWrite } from "./write-rule.js";
import { attachUploads, uploaderOf } from "../attachments/attach.js";
import { assertSolvable, prepareValues, storeValues, writeValues, type ValueInput } from "../custom-fields/values.js";
import { pickAssignee } from "../teams/assign.js";
import { assertTeam } from "../teams/service.js";

export interface CreateTicketInput {
  subject: string;
  body: string;
  requesterId?: string | null;
  requester?: (ContactInput & { name: string }) | null;
  firstMessageFrom: "REQUESTER" | "ME";
  priority: TicketPriority;
  channel: Channel;
  assigneeId?: string | null;
  tags?: string[] | null;
  customFields?: ValueInput[];
  /** Routed to this team: without an assigneeId, its strategy picks one (src/teams/assign.ts). */
  teamId?: string | null;
}

export interface UpdateTicketInput {
  subject?: string | null;
  status?: TicketStatus | null;
  priority?: TicketPriority | null;
  assigneeId?: string | null;
  tags?: string[] | null;
  customFields?: ValueInput[];
  /** null takes the ticket off its team; a new team without an assigneeId picks one by the team's strategy. */
  teamId?: string | null;
  /** Pick an assignee by the team's strategy even if the team stays the same (assignTicket). */
  reroute?: boolean;
}

export interface AddMessageInput {
  ticketId: string;
  body: string;
  internal: boolean;
  from: "ME" | "REQUESTER";
  status?: TicketStatus | null;
  /** Uploaded files (createAttachmentUpload) to attach to the message. */
  attachmentIds?: string[] | null;
}

export async function findTicket(db: TenantClient | Tx, id: string) {
  const ticket = await db.ticket.findUnique({ where: { id } });
  if (!ticket) throw notFound("Ticket");
  return ticket;
}

async function assertAssignable(tx: TenantClient | Tx, agentId: string) {
  const agent = await tx.agent.findUnique({ where: { id: agentId } });
  if (!agent) throw notFound("Agent");
  if (agent.disabled) {
    throw new AppError("VALIDATION", "A disabled agent cannot be assigned", {
      fields: [{ path: ["input", "assigneeId"], message: "agent is disabled" }],
    });
  }
}

/**
 * Makes the ticket's tags exactly `names`: the tags that do not exist yet are made, in one
 * statement, and the ticket's links are set in one more (plus one that drops the links no
 * longer named, unless the ticket is new). ON CONFLICT DO NOTHING rather than DO UPDATE, so a
 * popular tag's row is never locked by the tickets that use it; the links read the tags in a
 * statement of their own, which sees one that a concurrent transaction made meanwhile.
 */
async function setTags(tx: Tx, tenantId: string, ticketId: string, names: string[], isNew = false) {
  const unique = [...new Set(names)];
  await tx.$executeRaw`
    INSERT INTO "Tag" ("id", "tenantId", "name")
    SELECT gen_random_uuid(), ${tenantId}::uuid, n FROM unnest(${unique}::text[]) AS n
    ON CONFLICT ("tenantId", "name") DO NOTHING`;
  if (!isNew)
    await tx.$executeRaw`
      DELETE FROM "TicketTag" l USING "Tag" t
      WHERE l."ticketId" = ${ticketId}::uuid AND t."id" = l."tagId" AND NOT (t."name" = ANY(${unique}::text[]))`;
  await tx.$executeRaw`
    INSERT INTO "TicketTag" ("tenantId", "ticketId", "tagId")
    SELECT ${tenantId}::uuid, ${ticketId}::uuid, t."id" FROM "Tag" t
    WHERE t."tenantId" = ${tenantId}::uuid AND t."name" = ANY(${unique}::text[])
    ON CONFLICT DO NOTHING`;
}

/** Who a message is from: the caller (an agent, or the system for API keys) or the requester. */
function authorOf(ctx: Context, from: "ME" | "REQUESTER", requesterId: string) {
  const viewer = requireViewer(ctx);
  if (from === "REQUESTER") return { authorType: "CONTACT" as const, authorContactId: requesterId };
  if (viewer.kind === "agent") return { authorType: "AGENT" as const, authorAgentId: viewer.agentId };
  return { authorType: "SYSTEM" as const };
}

export async function createTicket(ctx: Context, input: CreateTicketInput) {
  const viewer = requireViewer(ctx);
  if (!input.requesterId === !input.requester) {
    throw new AppError("VALIDATION", "Give either requesterId or requester, not both or neither", {
      fields: [{ path: ["input", "requesterId"], message: "exactly one of requesterId and requester is required" }],
    });
  }
  if (input.requester && !ctx.can("contacts:write")) throw forbidden("Creating a requester needs contacts:write");
  // The common case: an existing requester, no tags, no custom fields. One statement and no
  // transaction: the ticket, its first message, their events, its number, and the requester's check.
  const simple = !!input.requesterId && !input.tags?.length && !input.customFields?.length;
  // What can be checked by reading is checked before a number is taken, so that bad input uses none.
  const existing = input.requesterId && !simple ? await findContact(ctx.db, input.requesterId) : null;
  if (existing) assertNotRestricted(existing);
  if (input.assigneeId) await assertAssignable(ctx.db, input.assigneeId);
  const values = await prepareValues(ctx.db, "TICKET", input.customFields ?? [], ["input", "customFields"]);
  if (input.teamId) await assertTeam(ctx.db, input.teamId, ["input", "teamId"]);
  // Like the number, the pick is a statement of its own: the team's row is locked for that statement only.
  const routed = input.teamId && !input.assigneeId ? (await pickAssignee(ctx.db, viewer.tenantId, input.teamId))?.agentId : undefined;
  const ticket = (requesterId: string, number?: number): NewTicket => ({
    tenantId: viewer.tenantId,
    number,
    subject: input.subject,
    priority: input.priority,
    channel: input.channel,
    requesterId,
    assigneeId: input.assigneeId ?? routed ?? null,
    teamId: input.teamId ?? null,
    body: input.body,
    author: authorOf(ctx, input.firstMessageFrom, requesterId),
  });
  if (simple) return numberNow(ctx, await insertForRequester(ctx.db, ticket(input.requesterId!)));
  // A new requester or tags take a transaction; the number is taken before it, in a statement of its
  // own, so that the counter row is not locked for the whole transaction (see nextTicketNumber).
  const number = await nextTicketNumber(ctx.db, viewer.tenantId);
  const created = await ctx.db.$transaction(async (tx) => {
    const requester = existing ?? (await createContactIn(tx, viewer.tenantId, input.requester!, ["input", "requester"]));
    const created = await insertForRequester(tx, ticket(requester.id, number));
    if (input.tags?.length) await setTags(tx, viewer.tenantId, created.id, input.tags, true);
    await storeValues(tx, viewer.tenantId, { ticketId: created.id }, values);
    return created;
  });
  return numberNow(ctx, created);
}

/**
 * The change and its events have committed: the sequencer is told now, so that subscribers and
 * webhooks do not wait for the answer's read-back and the audit entry (the kick after the response
 * still comes, and folds into this run or finds nothing left). Every mutation of this file that
 * records events calls it; other mutations are numbered after their response. On the embedded
 * database the sequencer's statement goes ahead of the read-back on its one connection: the answer
 * waits about a statement, and the event's numbering several statements' turns less (its thread
 * answers each statement in a turn of the event loop; docs/benchmarks.md, 2026-12-04).
 */
function numberNow<T>(ctx: Context, committed: T): T {
  ctx.database.appended(requireViewer(ctx).tenantId, "events");
  return committed;
}

/**
 * The ticket, or the error its requester deserves: insertTicket refuses one that is gone
 * (NOT_FOUND) or restricted (PROCESSING_RESTRICTED) and writes nothing; the contact is then
 * read for which. One whose restriction was lifted between the two gets a second insert.
 */
async function insertForRequester(db: TenantClient | Tx, t: NewTicket) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const created = await insertTicket(db, t);
    if (created) return created;
    assertNotRestricted(await findContact(db, t.requesterId));
  }
  throw new Error(`The insert keeps refusing requester ${t.requesterId}, whom a read finds usable`);
}

export async function updateTicket(ctx: Context, id: string, input: UpdateTicketInput) {
  const viewer = requireViewer(ctx);
  const updated = await inTransaction(ctx.db, async (tx) => {
    const ticket = await findTicket(tx, id);
    assertNotClosed(ticket.status);
    await assertContactProcessable(tx, ticket.requesterId);
    if (input.assigneeId) await assertAssignable(tx, input.assigneeId);
    if (input.teamId) await assertTeam(tx, input.teamId, ["input", "teamId"]);
    if (input.tags) await setTags(tx, viewer.tenantId, id, input.tags);
    if (input.customFields?.length) {
      await writeValues(tx, viewer.tenantId, "TICKET", { ticketId: id }, input.customFields, ["input", "customFields"]);
    }
    // After the values of this update are written, so that one call can fill a field and solve.
    if (input.status === "SOLVED" && ticket.status !== "SOLVED") await assertSolvable(tx, id);
    const routing = input.teamId && input.assigneeId === undefined && (input.reroute || input.teamId !== ticket.teamId);
    // Inside the transaction, the team's row stays locked until it commits: a failed update moves no cursor.
    const routed = routing ? (await pickAssignee(tx, viewer.tenantId, input.teamId!))?.agentId : undefined;
    const updated = await tx.ticket.update({
      where: { id },
      data: {
        ...(input.subject ? { subject: input.subject } : {}),
        ...(input.priority ? { priority: input.priority } : {}),
        ...(input.assigneeId !== undefined ? { assigneeId: input.assigneeId } : {}),
        ...(routed !== undefined ? { assigneeId: routed } : {}),
        ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
        ...(input.status ? statusChange(ticket.status, input.status) : {}),
        // Tag changes alone must still move updatedAt.
        updatedAt: new Date(),
      },
    });
    await recordEvents(tx, viewer.tenantId, causedBy(ctx, changeEvents(ticket, updated, input)));
    return updated;
  });
  return numberNow(ctx, updated);
}

export async function addMessage(ctx: Context, request: AddMessageInput) {
  const viewer = requireViewer(ctx);
  // A data subject on the portal always writes as the requester, never a note.
  assertMayWrite(ctx, request.internal);
  const input = viewer.kind === "contact" ? { ...request, from: "REQUESTER" as const } : request;
  if (input.internal && input.from === "REQUESTER") {
    throw new AppError("VALIDATION", "A requester's message cannot be an internal note", {
      fields: [{ path: ["input", "internal"], message: "must be false when from is REQUESTER" }],
    });
  }
  const added = await inTransaction(ctx.db, async (tx) => {
    const ticket = await findTicket(tx, input.ticketId);
    assertNotClosed(ticket.status);
    await assertContactProcessable(tx, ticket.requesterId);
    const message = await tx.message.create({
      data: {
        tenantId: viewer.tenantId,
        ticketId: ticket.id,
        body: input.body,
        internal: input.internal,
        channel: ticket.channel,
        ...authorOf(ctx, input.from, ticket.requesterId),
      },
    });
    const scanned = input.attachmentIds?.length
      ? await attachUploads(tx, input.attachmentIds, { ...message, uploadedBy: uploaderOf(viewer) })
      : [];
    const next = input.status ?? automaticStatus(ticket.status, input);
    if (next === "SOLVED" && ticket.status !== "SOLVED") await assertSolvable(tx, ticket.id);
    const updated = await tx.ticket.update({
      where: { id: ticket.id },
      // A note is not activity the requester (or a key without notes:read) should be able to notice.
      data: { ...(input.internal ? {} : { lastMessageAt: message.createdAt }), ...(next ? statusChange(ticket.status, next) : {}) },
    });
    await recordEvents(
      tx,
      viewer.tenantId,
      causedBy(ctx, [
        { type: "MESSAGE_ADDED", ticketId: ticket.id, messageId: message.id, internal: input.internal },
        ...scanned,
        ...changeEvents(ticket, updated, {}),
      ]),
    );
    return message;
  });
  return numberNow(ctx, added);
}

/** An automated change's events name the rule and the depth (src/automations/: the loop guard reads them). */
function causedBy(ctx: Context, events: NewEvent[]): NewEvent[] {
  if (!ctx.automation) return events;
  const automation = ctx.automation;
  return events.map((e) => ({ ...e, data: { ...e.data, automation } }));
}

type TicketRow = { id: string; status: TicketStatus; assigneeId: string | null; teamId?: string | null };

/** What an update announces: a status change, an assignment, or other changed fields by name. */
function changeEvents(before: TicketRow, after: TicketRow, input: UpdateTicketInput): NewEvent[] {
  const events: NewEvent[] = [];
  if (before.status !== after.status) {
    events.push({ type: "TICKET_STATUS_CHANGED", ticketId: after.id, data: { from: before.status, to: after.status } });
  }
  if (before.assigneeId !== after.assigneeId)
    events.push({ type: "TICKET_ASSIGNED", ticketId: after.id, data: { assigned: after.assigneeId !== null } });
  const changed: string[] = (["subject", "priority", "tags"] as const).filter((f) => input[f] !== undefined && input[f] !== null);
  if (input.customFields?.length) changed.push(...input.customFields.map((v) => `customFields.${v.key}`));
  if (before.teamId !== after.teamId) changed.push("team");
  if (changed.length) events.push({ type: "TICKET_UPDATED", ticketId: after.id, data: { changed } });
  return events;
}

/** A requester's reply reopens a solved or pending ticket; a first public reply opens a new one. */
function automaticStatus(current: TicketStatus, input: AddMessageInput): TicketStatus | null {
  if (input.internal) return null;
  if (input.from === "REQUESTER") return current === "SOLVED" || current === "PENDING" ? "OPEN" : null;
  return current === "NEW" ? "OPEN" : null;
}
