import { builder } from "../graphql/builder.js";
import { Message, Ticket } from "../tickets/schema.js";
import { subjectSchema } from "../validation.js";
import { mergeTickets } from "./merge.js";
import { splitTicket } from "./split.js";

builder.prismaObjectFields("Ticket", (t) => ({
  mergedInto: t.relation("mergedInto", {
    nullable: true,
    description: "Set when this ticket was merged into another: this one is a CLOSED tombstone, its messages are there",
  }),
  mergedAt: t.expose("mergedAt", { type: "DateTime", nullable: true }),
  followers: t.relation("followers", {
    description: "Contacts copied on the ticket (the requesters of tickets merged into it), oldest first",
    authScopes: { permission: "tickets:read" },
    query: { orderBy: [{ createdAt: "asc" }, { contactId: "asc" }], take: 100 },
  }),
}));

builder.prismaObject("TicketFollower", {
  description: "A contact copied on a ticket.",
  fields: (t) => ({
    contact: t.relation("contact"),
    since: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.mutationField("mergeTickets", (t) =>
  t.prismaField({
    type: "Ticket",
    description:
      "Moves the sources' messages, files and tags to the target in one transaction; the sources' requesters become followers; each source stays as a CLOSED tombstone (mergedInto). At most 20 sources. Merging a ticket into itself, into or from a merged ticket, or into a closed one is refused (VALIDATION, CONFLICT, TICKET_CLOSED) and changes nothing. Announced as TICKET_MERGED per source.",
    authScopes: { permission: "tickets:write" },
    args: {
      sourceIds: t.arg.globalIDList({ required: true, for: Ticket }),
      targetId: t.arg.globalID({ required: true, for: Ticket }),
    },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await mergeTickets(
        ctx,
        args.sourceIds.map((s) => s.id),
        args.targetId.id,
      );
      return ctx.db.ticket.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("splitTicket", (t) =>
  t.prismaField({
    type: "Ticket",
    description:
      "Moves the message and every later one of its ticket into a new ticket (same requester, priority, channel and assignee) and returns it. The first message cannot be split off. Announced as TICKET_CREATED and TICKET_SPLIT.",
    authScopes: { permission: "tickets:write" },
    args: {
      messageId: t.arg.globalID({ required: true, for: Message }),
      subject: t.arg.string({ validate: subjectSchema, description: "Default: the old subject with (split from #n)" }),
    },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await splitTicket(ctx, args.messageId.id, args.subject);
      return ctx.db.ticket.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
