import type { Prisma, Event } from "../generated/prisma/client.js";

/** What recording needs of a transaction: a tenant-scoped one's or the unscoped client's. */
export interface EventTx {
  event: { createMany(args: { data: Prisma.EventCreateManyInput[] }): PromiseLike<unknown> };
}

export const EVENT_TYPES = [
  "TICKET_CREATED",
  "TICKET_UPDATED",
  "TICKET_STATUS_CHANGED",
  "TICKET_ASSIGNED",
  "MESSAGE_ADDED",
  /** A file on a message got its malware scan's verdict (data: attachmentId, scanStatus, scannedBy, scanSignature, scanError). */
  "ATTACHMENT_SCANNED",
  /** Tombstone: the ticket's requester was erased, or the ticket deleted with a disconnected mailbox's data; partners should erase their copies. */
  "TICKET_ERASED",
  /** A custom field was deleted (data: fieldId, entity, key): rules and views naming it should stop using it. */
  "CUSTOM_FIELD_DEACTIVATED",
  /** The ticket was merged into another (ticketId: the source, now a tombstone; data: targetId, messagesMoved). */
  "TICKET_MERGED",
  /** Messages were split off into a new ticket (ticketId: the new one; data: fromTicketId, messagesMoved). */
  "TICKET_SPLIT",
  /** The requester rated the solved ticket (data: rating 1..5, scale, updated); the comment stays out of events. */
  "SATISFACTION_RECEIVED",
  /** A running SLA target of the ticket nears its due time (data: target, dueAt); from the scheduler, once per target and cycle. */
  "SLA_WARNING",
  /** A running SLA target of the ticket passed its due time unmet (data: target, dueAt); once per target and cycle. */
  "SLA_BREACHED",
  /** An automation rule's timer came due for the ticket (data: ruleId, since, key): the rule runs on it if the ticket still qualifies. */
  "TIME_ELAPSED",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** An event the sequencer has numbered: the only kind the feed, subscriptions and webhooks read. */
export type SealedEvent = Event & { seq: number };

export interface NewEvent {
  type: EventType;
  ticketId?: string;
  messageId?: string;
  internal?: boolean;
  /** Field names and small non-personal values (statuses), never content. */
  data?: Record<string, unknown>;
}

/**
 * Writes events in the transaction of the change they announce (the outbox),
 * with one INSERT and no lock: if the change rolls back, so do they, and
 * nothing is ever announced. Once committed, the tenant's sequencer numbers
 * them in commit order (src/sequencer/), and then their consumers act on them
 * (src/events/consumers/: webhook deliveries, plugins' hooks).
 */
export async function recordEvents(tx: EventTx, tenantId: string, events: NewEvent[]): Promise<void> {
  if (!events.length) return;
  await tx.event.createMany({
    data: events.map((e) => ({
      tenantId,
      type: e.type,
      ticketId: e.ticketId ?? null,
      messageId: e.messageId ?? null,
      internal: e.internal ?? false,
      data: (e.data ?? {}) as object,
    })),
  });
}
