import type { Tx } from "../../src/db/tx.js";
import type { Prisma } from "../../src/generated/prisma/client.js";

/**
 * Message.deliveryStatus of our replies, as for SMS: QUEUED once claimed for
 * sending, SENT when the mailbox's SMTP server took it, DELIVERED or
 * UNDELIVERED when a delivery report comes back, FAILED when it could not be
 * sent at all (deliveryError says why).
 */
export type DeliveryStatus = "QUEUED" | "SENT" | "DELIVERED" | "FAILED" | "UNDELIVERED";

/** Reports can arrive late or twice: a status only moves forward, and a final one stays. */
const RANK: Record<DeliveryStatus, number> = { QUEUED: 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3 };
const below = (status: DeliveryStatus) => (Object.keys(RANK) as DeliveryStatus[]).filter((s) => RANK[s] < RANK[status]);

/** Moves the delivery status of the messages matching `where` forward, in one conditional update; returns how many moved. */
export async function advanceDelivery(
  db: Pick<Tx, "message">,
  where: Prisma.MessageWhereInput,
  status: DeliveryStatus,
  extra: { deliveryError?: string | null } = {},
): Promise<number> {
  const { count } = await db.message.updateMany({
    where: { AND: [where, { OR: [{ deliveryStatus: null }, { deliveryStatus: { in: below(status) } }] }] },
    data: { deliveryStatus: status, ...extra },
  });
  return count;
}
