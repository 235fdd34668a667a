import type { Tx } from "../db/tx.js";
import type { NotificationChannel, Prisma } from "../generated/prisma/client.js";
import type { NotificationKind } from "./kinds.js";
import { enabledKinds } from "./settings.js";

export interface NotificationRequest {
  kind: NotificationKind;
  channel: NotificationChannel;
  /** What it is for, unique in the tenant: queueing the same key again does nothing. */
  key: string;
  contactId: string;
  ticketId?: string | null;
  requestId?: string | null;
  data?: Prisma.InputJsonObject;
}

/**
 * Queues notifications in the caller's transaction (the outbox): they exist
 * only if the change that called for them commits, and the notification
 * worker (worker.ts) sends each once. Kinds the tenant turned off are left
 * out; a key already queued is skipped. Returns how many were queued.
 */
export async function queueNotifications(tx: Tx, tenantId: string, requests: NotificationRequest[]): Promise<number> {
  if (!requests.length) return 0;
  const enabled = await enabledKinds(tx);
  const wanted = requests.filter((r) => enabled.has(r.kind));
  if (!wanted.length) return 0;
  const { count } = await tx.notification.createMany({
    data: wanted.map((r) => ({
      tenantId,
      kind: r.kind,
      channel: r.channel,
      key: r.key,
      contactId: r.contactId,
      ticketId: r.ticketId ?? null,
      requestId: r.requestId ?? null,
      ...(r.data ? { data: r.data } : {}),
    })),
    skipDuplicates: true,
  });
  return count;
}
