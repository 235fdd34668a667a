import { z } from "zod";
import { Agent } from "../agents/schema.js";
import { Contact, ContactInput, Organization } from "../contacts/schema.js";
import { builder, SortDirection } from "../graphql/builder.js";
import { requireViewer } from "../context.js";
import { notFound } from "../errors.js";
import { bodySchema, LIMITS, subjectSchema, tagSchema, tagsSchema } from "../validation.js";
import { personal } from "../privacy/labels.js";
import * as tickets from "./service.js";
import { visibleMessages } from "../auth/visibility.js";
import { CustomFieldCondition, CustomFieldValueInput, toValueInputs } from "../custom-fields/schema.js";
import { countTickets, findTickets, ticketListWhere } from "./list.js";
import { asksFor } from "../graphql/selection.js";
import { Team } from "../teams/node.js";

export const TicketStatus = builder.enumType("TicketStatus", {
  description:
    "NEW → OPEN ⇄ PENDING → SOLVED → CLOSED. NEW may also become PENDING, SOLVED or CLOSED; OPEN and PENDING may be CLOSED; SOLVED may be reopened (OPEN) or CLOSED. CLOSED is final; nothing goes back to NEW. A requester's reply reopens SOLVED and PENDING.",
  values: ["NEW", "OPEN", "PENDING", "SOLVED", "CLOSED"] as const,
});
export const TicketPriority = builder.enumType("TicketPriority", { values: ["LOW", "NORMAL", "HIGH", "URGENT"] as const });
export const Channel = builder.enumType("Channel", { values: ["EMAIL", "SMS", "WEB", "API", "PHONE", "CHAT"] as const });
const AuthorType = builder.enumType("AuthorType", { values: ["AGENT", "CONTACT", "SYSTEM"] as const });
const DELIVERY_STATUSES = ["QUEUED", "SENT", "DELIVERED", "FAILED", "UNDELIVERED"] as const;
const DeliveryStatus = builder.enumType("DeliveryStatus", {
  description: "Where a reply sent through an outbound channel (SMS…) stands, as its vendor reports it.",
  values: {
    QUEUED: { description: "Accepted by the vendor, not yet handed to the carrier" },
    SENT: { description: "Handed to the carrier" },
    DELIVERED: { description: "The carrier confirmed delivery" },
    FAILED: { description: "Not sent: refused before sending (see deliveryError) or rejected by the vendor" },
    UNDELIVERED: { description: "Sent, but the carrier could not deliver it" },
  },
});
const isDeliveryStatus = (s: string | null): s is (typeof DELIVERY_STATUSES)[number] =>
  (DELIVERY_STATUSES as readonly (string | null)[]).includes(s);
// Internal notes exist only for callers who may read them: the rule lives in visibility.ts.
import { Attachment } from "../attachments/node.js";

const Tag = builder.prismaNode("Tag", {
  id: { field: "id" },
  select: { id: true },
  authScopes: { permission: "tickets:read" },
  fields: (t) => ({ name: t.exposeString("name") }),
});

export const Message = builder.prismaNode("Message", {
  id: { field: "id" },
  // Only the columns a query asks for, and always those that say whose personal data a
  // message holds (its store's subject columns: subjectOf refuses an object without them).
  select: { id: true, authorType: true, authorContactId: true },
  description: "A public reply or an internal note on a ticket.",
  authScopes: { anyPermission: ["tickets:read", "portal:self"] },
  findUnique: (id, ctx) => ({ id, ...visibleMessages(ctx) }),
  fields: (t) => ({
    body: t.exposeString("body", { description: "Redacted when its author's data was erased", ...personal("user.content.message") }),
    redacted: t.boolean({ select: { redactedAt: true }, resolve: (m) => m.redactedAt !== null }),
    internal: t.exposeBoolean("internal", { description: "Internal notes are visible to agents and keys with notes:read only" }),
    authorType: t.expose("authorType", { type: AuthorType }),
    authorAgent: t.relation("authorAgent", { nullable: true }),
    authorContact: t.relation("authorContact", { nullable: true }),
    channel: t.expose("channel", { type: Channel }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    ticket: t.relation("ticket"),
    deliveryStatus: t.field({
      type: DeliveryStatus,
      nullable: true,
      description: "For replies sent through an outbound channel (SMS); null otherwise",
      select: { deliveryStatus: true },
      resolve: (m) => (isDeliveryStatus(m.deliveryStatus) ? m.deliveryStatus : null),
    }),
    deliveryError: t.exposeString("deliveryError", {
      nullable: true,
      description:
        "Why delivery failed, as a stable code: a gateway refusal (CONSENT_REQUIRED, PROCESSING_RESTRICTED, PLUGIN_DISABLED…) or the vendor's (TWILIO_21610…)",
    }),
    externalId: t.exposeString("externalId", {
      nullable: true,
      description: "The channel vendor's id for this message, e.g. a Twilio MessageSid",
    }),
  }),
});

export const Ticket = builder.prismaNode("Ticket", {
  id: { field: "id" },
  // As Message: the requester is the ticket store's subject column.
  select: { id: true, requesterId: true },
  authScopes: { anyPermission: ["tickets:read", "portal:self"] },
  fields: (t) => ({
    number: t.exposeInt("number", { description: "Sequential within the tenant" }),
    subject: t.exposeString("subject", personal("user.content.message")),
    status: t.expose("status", { type: TicketStatus }),
    priority: t.expose("priority", { type: TicketPriority }),
    channel: t.expose("channel", { type: Channel }),
    requester: t.relation("requester"),
    assignee: t.relation("assignee", { nullable: true }),
    tags: t.field({
      type: [Tag],
      select: (_args, _ctx, nestedSelection) => ({ tags: { select: { tag: nestedSelection() }, orderBy: { tag: { name: "asc" } } } }),
      resolve: (ticket) => ticket.tags.map((tt) => tt.tag),
    }),
    messages: t.relatedConnection("messages", {
      cursor: "id",
      totalCount: true,
      description: "Oldest first. Internal notes only for callers with notes:read.",
      query: (_args, ctx) => ({ where: visibleMessages(ctx), orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
    }),
    // Loaded with the ticket, in the same statement under relationJoins (a LATERAL
    // subquery): the newest visible message, with whatever the client asks of it.
    // If the same request also pages `messages`, one of the two loads on its own.
    lastMessage: t.field({
      type: Message,
      nullable: true,
      select: (_args, ctx, nestedSelection) => ({
        messages: nestedSelection({ where: visibleMessages(ctx), orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 1 }),
      }),
      resolve: (ticket) => ticket.messages[0] ?? null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    solvedAt: t.expose("solvedAt", { type: "DateTime", nullable: true }),
    lastMessageAt: t.expose("lastMessageAt", { type: "DateTime" }),
  }),
});

builder.queryField("ticket", (t) =>
  t.prismaField({
    type: "Ticket",
    description: "A ticket by global ID or by its number. NOT_FOUND when it does not exist in your tenant.",
    authScopes: { anyPermission: ["tickets:read", "portal:self"] },
    args: { id: t.arg.globalID({ for: Ticket }), number: t.arg.int({ validate: z.number().int().positive() }) },
    validate: z.object({ id: z.unknown().optional(), number: z.number().nullish() }).refine((a) => (a.id == null) !== (a.number == null), {
      message: "give exactly one of id and number",
      path: ["id"],
    }),
    resolve: async (query, _r, args, ctx) => {
      const where = args.id ? { id: args.id.id } : { number: args.number! };
      const ticket = await ctx.db.ticket.findFirst({ ...query, where });
      if (!ticket) throw notFound("Ticket");
      return ticket;
    },
  }),
);

const TicketOrderField = builder.enumType("TicketOrderField", {
  values: {
    CREATED_AT: {},
    UPDATED_AT: {},
    PRIORITY: {},
    NUMBER: {},
    STATUS: {},
    CUSTOM_FIELD: { description: "The value of the ticket custom field named by `customField` (tickets without one last)" },
    SLA_DUE_AT: { description: "The earliest running SLA due time (Ticket.sla.dueAt); tickets without one come last" },
  } as const,
});
export const TicketOrder = builder.inputType("TicketOrder", {
  fields: (t) => ({
    field: t.field({ type: TicketOrderField, required: true }),
    direction: t.field({ type: SortDirection, defaultValue: "DESC" }),
    customField: t.string({ description: "The key of a ticket custom field, with field: CUSTOM_FIELD" }),
  }),
});
export const TicketFilter = builder.inputType("TicketFilter", {
  description: "All given conditions must hold. Tickets merged into another are never listed (see Ticket.mergedInto).",
  fields: (t) => ({
    status: t.field({ type: [TicketStatus] }),
    priority: t.field({ type: [TicketPriority] }),
    assigneeId: t.globalID({ for: Agent }),
    unassigned: t.boolean(),
    tag: t.string({ validate: tagSchema }),
    requesterId: t.globalID({ for: Contact }),
    organizationId: t.globalID({ for: Organization, description: "Tickets whose requester belongs to it" }),
    updatedSince: t.field({ type: "DateTime" }),
    text: t.string({
      description: "Contained in the subject or a visible message, any case",
      validate: z.string().min(1).max(LIMITS.search),
    }),
    customFields: t.field({
      type: [CustomFieldCondition],
      description: "Conditions on ticket custom fields, by key (VALIDATION for a key of no active field)",
    }),
    teamId: t.globalID({ for: Team }),
    slaBreached: t.boolean({ description: "true: an SLA target was missed or a running one is overdue; false: neither" }),
    slaDueBefore: t.field({ type: "DateTime", description: "A running SLA target is due before this time (overdue ones included)" }),
  }),
});

/**
 * A page's count, started beside its rows: Pothos asks for totalCount only once
 * the rows are in, which would put the count's round trip after theirs. Keyed
 * by the field's arguments object, which Pothos hands to both the resolver and
 * totalCount of one field.
 */
const countsStarted = new WeakMap<object, Promise<number>>();

builder.queryField("tickets", (t) =>
  t.prismaConnection({
    type: "Ticket",
    cursor: "id",
    description: "Newest activity first unless orderBy says otherwise. A contact on the portal sees their own tickets only.",
    authScopes: { anyPermission: ["tickets:read", "portal:self"] },
    args: { filter: t.arg({ type: TicketFilter }), orderBy: t.arg({ type: TicketOrder }) },
    totalCount: async (_p, args, ctx) =>
      countsStarted.get(args) ?? countTickets(ctx, (await ticketListWhere(ctx, args.filter, "refuse")).where),
    resolve: async (query, _p, args, ctx, info) => {
      const { where } = await ticketListWhere(ctx, args.filter, "refuse");
      if (asksFor(info, "totalCount")) {
        // A native promise: Prisma's are lazy, and this one is to be sent now, once.
        const count = Promise.resolve(countTickets(ctx, where));
        // If the rows fail, totalCount never asks for the count: its own failure must not go unhandled.
        count.catch(() => {});
        countsStarted.set(args, count);
      }
      return findTickets(ctx, query, where, args.orderBy);
    },
  }),
);

builder.queryField("tags", (t) =>
  t.prismaField({
    type: ["Tag"],
    description: "All tags of the tenant, by name.",
    authScopes: { permission: "tickets:read" },
    args: { prefix: t.arg.string({ validate: z.string().max(LIMITS.tag) }) },
    resolve: (query, _r, args, ctx) =>
      ctx.db.tag.findMany({
        ...query,
        where: args.prefix ? { name: { startsWith: args.prefix.toLowerCase() } } : {},
        orderBy: { name: "asc" },
        take: 1000,
      }),
  }),
);

// ---- mutations ----

const FirstMessageFrom = builder.enumType("FirstMessageFrom", {
  values: {
    REQUESTER: { description: "The requester wrote it (a form, an email relayed by an integration)" },
    ME: { description: "The calling agent wrote it (or the system, for API keys)" },
  },
});
const MessageFrom = builder.enumType("MessageFrom", {
  values: {
    ME: { description: "The calling agent (or the system, for API keys)" },
    REQUESTER: { description: "The ticket's requester, relayed by an integration; reopens SOLVED and PENDING tickets" },
  },
});

const CreateTicketInput = builder.inputType("CreateTicketInput", {
  description: "Give either requesterId (an existing contact) or requester (a new one).",
  fields: (t) => ({
    subject: t.string({ required: true, validate: subjectSchema }),
    body: t.string({ required: true, description: "The first message", validate: bodySchema }),
    firstMessageFrom: t.field({ type: FirstMessageFrom, defaultValue: "REQUESTER" }),
    requesterId: t.globalID({ for: Contact }),
    requester: t.field({ type: ContactInput, description: "Creates the contact; needs contacts:write" }),
    priority: t.field({ type: TicketPriority, defaultValue: "NORMAL" }),
    channel: t.field({ type: Channel, defaultValue: "API" }),
    assigneeId: t.globalID({ for: Agent }),
    tags: t.stringList({ validate: tagsSchema }),
    customFields: t.field({ type: [CustomFieldValueInput], description: "Values of ticket custom fields, by key" }),
    teamId: t.globalID({
      for: Team,
      description: "Routes the ticket to a team; without assigneeId, the team's strategy picks the assignee",
    }),
  }),
});

const UpdateTicketInput = builder.inputType("UpdateTicketInput", {
  description: "Omitted fields stay as they are. assigneeId: null unassigns. tags replaces the whole set.",
  fields: (t) => ({
    subject: t.string({ validate: subjectSchema }),
    status: t.field({ type: TicketStatus }),
    priority: t.field({ type: TicketPriority }),
    assigneeId: t.globalID({ for: Agent }),
    tags: t.stringList({ validate: tagsSchema }),
    customFields: t.field({
      type: [CustomFieldValueInput],
      description: "Values to set (or, with no member given, remove), by key; other fields keep theirs",
    }),
    teamId: t.globalID({
      for: Team,
      description: "null takes the ticket off its team; another team without assigneeId picks the assignee by the team's strategy",
    }),
  }),
});

const AddMessageInput = builder.inputType("AddMessageInput", {
  fields: (t) => ({
    ticketId: t.globalID({ required: true, for: Ticket }),
    body: t.string({ required: true, validate: bodySchema }),
    internal: t.boolean({ defaultValue: false, description: "An internal note; needs notes:write" }),
    from: t.field({ type: MessageFrom, defaultValue: "ME" }),
    status: t.field({ type: TicketStatus, description: "Also move the ticket to this status" }),
    attachmentIds: t.globalIDList({
      for: Attachment,
      description:
        "Files uploaded with createAttachmentUpload (by the same caller, for this ticket, and for a note exactly when this is one) to put on the message",
    }),
  }),
});

builder.mutationField("createTicket", (t) =>
  t.prismaField({
    type: "Ticket",
    authScopes: { permission: "tickets:write" },
    args: { input: t.arg({ type: CreateTicketInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await tickets.createTicket(ctx, {
        ...input,
        firstMessageFrom: input.firstMessageFrom ?? "REQUESTER",
        priority: input.priority ?? "NORMAL",
        channel: input.channel ?? "API",
        requesterId: input.requesterId?.id,
        requester: input.requester
          ? {
              ...input.requester,
              organizationId: input.requester.organizationId?.id,
              customFields: toValueInputs(input.requester.customFields),
            }
          : null,
        assigneeId: input.assigneeId?.id,
        customFields: toValueInputs(input.customFields),
        teamId: input.teamId?.id,
      });
      return ctx.db.ticket.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateTicket", (t) =>
  t.prismaField({
    type: "Ticket",
    description:
      "Status changes follow TicketStatus's lifecycle (INVALID_TRANSITION otherwise); a CLOSED ticket cannot change (TICKET_CLOSED).",
    authScopes: { permission: "tickets:write" },
    args: { id: t.arg.globalID({ required: true, for: Ticket }), input: t.arg({ type: UpdateTicketInput, required: true }) },
    resolve: async (query, _r, args, ctx) => {
      const { input } = args;
      const { id } = await tickets.updateTicket(ctx, args.id.id, {
        ...input,
        assigneeId: input.assigneeId === null ? null : input.assigneeId?.id,
        customFields: toValueInputs(input.customFields),
        teamId: input.teamId === null ? null : input.teamId?.id,
      });
      return ctx.db.ticket.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("addMessage", (t) =>
  t.prismaField({
    type: "Message",
    description:
      "A public reply (needs tickets:write) or an internal note (needs notes:write). A contact on the portal replies to their own tickets as the requester. " +
      "Plugins hear of the message after the commit; the answer waits for them (5 s at most), so that what a channel records, such as an SMS reply's deliveryStatus, is in it.",
    authScopes: { anyPermission: ["tickets:write", "notes:write", "portal:self"] },
    args: { input: t.arg({ type: AddMessageInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await tickets.addMessage(ctx, {
        ...input,
        ticketId: input.ticketId.id,
        internal: input.internal ?? false,
        from: input.from ?? "ME",
        attachmentIds: input.attachmentIds?.map((a) => a.id),
      });
      // Plugins (an SMS channel, an assistant) hear of the message from its event, after the
      // commit; waiting for them (briefly) puts what they record, a reply's delivery status, in the answer.
      await ctx.realtime.settle(requireViewer(ctx).tenantId);
      return ctx.db.message.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
