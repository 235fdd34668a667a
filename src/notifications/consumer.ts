import type { EventConsumer } from "../events/consumers/consumer.js";
import { wakeAfterCommit } from "../events/consumers/wake-after-commit.js";
import type { Tx } from "../db/tx.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { SealedEvent } from "../events/outbox.js";
import { queueNotifications, type NotificationRequest } from "./queue.js";

/**
 * Queues the ticket notifications that follow committed events, in the
 * transaction that moves the consumer's cursor (exactly once):
 * - TICKET_CREATED of an EMAIL ticket a person wrote in: the acknowledgement
 *   (mail that is auto-submitted or a bounce never opens a ticket);
 * - TICKET_STATUS_CHANGED to SOLVED: the satisfaction request, by email for
 *   EMAIL tickets and by SMS for SMS tickets, none for other channels; its key
 *   names the solve, so a ticket solved again after reopening asks again, and
 *   one solve asks once.
 * The worker is woken after the commit of a batch that queued any (`wake`).
 */
export function notificationConsumer(wake: () => void): EventConsumer {
  const worker = wakeAfterCommit(wake);
  return {
    name: "notifications",
    types: ["TICKET_CREATED", "TICKET_STATUS_CHANGED"],
    transactional: true,
    async handle({ tenantId, events, tx }) {
      const tickets = await ticketsOf(tx!, events);
      const requests: NotificationRequest[] = [];
      for (const event of events) {
        const request = requestFor(event, event.ticketId ? tickets.get(event.ticketId) : undefined);
        if (request) requests.push(request);
      }
      if (await queueNotifications(tx!, tenantId, requests)) worker.queued(tenantId);
    },
    afterCommit: worker.afterCommit,
  };
}

/** What a notification depends on: the ticket as it is now. */
const TICKET_NOW = {
  id: true,
  channel: true,
  status: true,
  solvedAt: true,
  mergedIntoId: true,
  requesterId: true,
  messages: { orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: 1, select: { authorType: true } },
} satisfies Prisma.TicketSelect;
type TicketNow = Prisma.TicketGetPayload<{ select: typeof TICKET_NOW }>;

/** The batch's tickets, in one statement. */
async function ticketsOf(tx: Tx, events: SealedEvent[]): Promise<Map<string, TicketNow>> {
  const ids = [...new Set(events.flatMap((e) => (e.ticketId ? [e.ticketId] : [])))];
  if (!ids.length) return new Map();
  const rows = await tx.ticket.findMany({ where: { id: { in: ids } }, select: TICKET_NOW });
  return new Map(rows.map((t) => [t.id, t]));
}

function requestFor(event: SealedEvent, ticket: TicketNow | undefined): NotificationRequest | null {
  if (!ticket || ticket.mergedIntoId) return null;
  if (event.type === "TICKET_CREATED") {
    if (ticket.channel !== "EMAIL" || ticket.messages[0]?.authorType !== "CONTACT") return null;
    return {
      kind: "TICKET_ACKNOWLEDGEMENT",
      channel: "EMAIL",
      key: `ack:${ticket.id}`,
      contactId: ticket.requesterId,
      ticketId: ticket.id,
    };
  }
  const to = (event.data as { to?: string } | null)?.to;
  // Reopened (or solved and reopened) before this ran: there is nothing to rate now.
  if (to !== "SOLVED" || ticket.status !== "SOLVED" || !ticket.solvedAt) return null;
  if (ticket.channel !== "EMAIL" && ticket.channel !== "SMS") return null;
  return {
    kind: "SATISFACTION_REQUEST",
    channel: ticket.channel,
    key: `csat:${ticket.id}:${ticket.solvedAt.getTime()}`,
    contactId: ticket.requesterId,
    ticketId: ticket.id,
  };
}
