import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { recordEvents } from "../events/outbox.js";
import { nextTicketNumber } from "../tickets/counter.js";
import { assertNotClosed } from "../tickets/status.js";
import { assertContactProcessable } from "../privacy/restriction.js";
import { visibleMessages } from "../auth/visibility.js";

/**
 * Moves a message and every later one of its ticket (oldest first by
 * createdAt, then id) into a new ticket with the same requester, priority and
 * channel: the conversation that went off on a tangent continues there. The
 * first message cannot be split off (nothing would remain). The new ticket
 * is announced as TICKET_CREATED and TICKET_SPLIT; the old one as TICKET_UPDATED.
 */
export async function splitTicket(ctx: Context, messageId: string, subject?: string | null) {
  const viewer = requireViewer(ctx);
  const message = await ctx.db.message.findFirst({ where: { id: messageId, ...visibleMessages(ctx) } });
  if (!message) throw notFound("Message");
  const source = await ctx.db.ticket.findUnique({ where: { id: message.ticketId } });
  if (!source) throw notFound("Ticket");
  assertNotClosed(source.status);
  const later = { OR: [{ createdAt: { gt: message.createdAt } }, { createdAt: message.createdAt, id: { gte: message.id } }] };
  const earlier = await ctx.db.message.count({ where: { ticketId: source.id, NOT: later } });
  if (earlier === 0) {
    throw new AppError("VALIDATION", "The first message cannot be split off: nothing would remain", {
      fields: [{ path: ["messageId"], message: "is the ticket's first message" }],
    });
  }
  // The number is taken in a statement of its own, before the transaction (see nextTicketNumber).
  const number = await nextTicketNumber(ctx.db, viewer.tenantId);
  return ctx.db.$transaction(async (tx) => {
    await assertContactProcessable(tx, source.requesterId);
    const created = await tx.ticket.create({
      data: {
        tenantId: viewer.tenantId,
        number,
        subject: subject ?? `${source.subject} (split from #${source.number})`,
        priority: source.priority,
        channel: source.channel,
        requesterId: source.requesterId,
        assigneeId: source.assigneeId,
        status: "OPEN",
      },
    });
    const moved = await tx.message.updateMany({ where: { ticketId: source.id, ...later }, data: { ticketId: created.id } });
    await tx.attachment.updateMany({ where: { ticketId: source.id, message: { ticketId: created.id } }, data: { ticketId: created.id } });
    // Both tickets' last public activity follow their messages.
    for (const id of [source.id, created.id]) {
      const latest = await tx.message.aggregate({ where: { ticketId: id, internal: false }, _max: { createdAt: true } });
      if (latest._max.createdAt) await tx.ticket.update({ where: { id }, data: { lastMessageAt: latest._max.createdAt } });
    }
    await recordEvents(tx, viewer.tenantId, [
      { type: "TICKET_CREATED", ticketId: created.id, data: { status: created.status } },
      {
        type: "TICKET_SPLIT",
        ticketId: created.id,
        data: { fromTicketId: encodeGlobalID("Ticket", source.id), messagesMoved: moved.count },
      },
      { type: "TICKET_UPDATED", ticketId: source.id, data: { changed: ["messages"] } },
    ]);
    return created;
  });
}
