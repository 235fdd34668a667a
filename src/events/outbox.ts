import type { TenantClient } from "../db/tenant-scope.js";
import { queueDeliveries } from "../webhooks/fanout.js";

type Tx = Parameters<Parameters<TenantClient["$transaction"]>[0]>[0];

export const EVENT_TYPES = [
  "TICKET_CREATED",
  "TICKET_UPDATED",
  "TICKET_STATUS_CHANGED",
  "TICKET_ASSIGNED",
  "MESSAGE_ADDED",
  /** Tombstone: the ticket's requester was erased; partners should erase their copies. */
  "TICKET_ERASED",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  ticketId?: string;
  messageId?: string;
  internal?: boolean;
  /** Field names and small non-personal values (statuses), never content. */
  data?: Record<string, unknown>;
}

/**
 * Writes events in the transaction of the change they announce (the outbox):
 * if the change rolls back, so do they, and nothing is ever announced. The
 * tenant row lock taken by the counter numbers events in commit order.
 * Partners' webhook deliveries are queued in the same transaction.
 */
export async function recordEvents(tx: Tx, tenantId: string, events: NewEvent[]): Promise<void> {
  if (!events.length) return;
  const { eventSeq } = await tx.tenant.update({ where: { id: tenantId }, data: { eventSeq: { increment: events.length } } });
  const first = eventSeq - events.length + 1;
  await tx.event.createMany({
    data: events.map((e, i) => ({
      tenantId,
      seq: first + i,
      type: e.type,
      ticketId: e.ticketId ?? null,
      messageId: e.messageId ?? null,
      internal: e.internal ?? false,
      data: (e.data ?? {}) as object,
    })),
  });
  await queueDeliveries(
    tx,
    tenantId,
    events.map((e, i) => ({ seq: first + i, type: e.type, internal: e.internal ?? false })),
  );
}
