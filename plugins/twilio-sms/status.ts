import type { PluginHttpResponse } from "../../src/plugin-host/plugin.js";
import type { TwilioRuntime } from "./options.js";
import type { WebhookParams } from "./webhook.js";

export type DeliveryStatus = "QUEUED" | "SENT" | "DELIVERED" | "FAILED" | "UNDELIVERED";

/** Twilio's message statuses, as the helpdesk shows them. Inbound ones (receiving, received) are not ours. */
const FROM_TWILIO: Record<string, DeliveryStatus> = {
  accepted: "QUEUED",
  scheduled: "QUEUED",
  queued: "QUEUED",
  sending: "QUEUED",
  sent: "SENT",
  delivered: "DELIVERED",
  read: "DELIVERED",
  undelivered: "UNDELIVERED",
  failed: "FAILED",
  canceled: "FAILED",
};

export const deliveryStatusOf = (twilioStatus: string | undefined): DeliveryStatus | null =>
  FROM_TWILIO[twilioStatus?.toLowerCase() ?? ""] ?? null;

/** Callbacks can arrive out of order: a status only ever moves forward, and a final one stays. */
const RANK: Record<DeliveryStatus, number> = { QUEUED: 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3 };
const below = (status: DeliveryStatus) => (Object.keys(RANK) as DeliveryStatus[]).filter((s) => RANK[s] < RANK[status]);

/**
 * Moves a message's delivery status forward, in one conditional update so that
 * two callbacks racing cannot move it back. Returns how many rows moved.
 */
export async function advanceDelivery(
  runtime: TwilioRuntime,
  where: Record<string, unknown>,
  status: DeliveryStatus,
  extra: { deliveryError?: string | null; externalId?: string } = {},
): Promise<number> {
  const { count } = await runtime.core.db.message.updateMany({
    where: { AND: [where, { OR: [{ deliveryStatus: null }, { deliveryStatus: { in: below(status) } }] }] },
    data: { deliveryStatus: status, ...extra },
  });
  return count;
}

/**
 * POST …/status: Twilio's status callback for a reply we sent. Found by
 * MessageSid; the ?message=<id> we put in the callback URL also finds it when
 * the callback overtakes our own write of the MessageSid.
 */
export async function receiveStatus(runtime: TwilioRuntime, url: string, params: WebhookParams): Promise<PluginHttpResponse> {
  const sid = params.MessageSid ?? params.SmsSid;
  const status = deliveryStatusOf(params.MessageStatus ?? params.SmsStatus);
  if (!sid || !status) return { status: 204 };
  const deliveryError =
    status === "FAILED" || status === "UNDELIVERED" ? (params.ErrorCode ? `TWILIO_${params.ErrorCode}` : null) : undefined;
  const extra = deliveryError === undefined ? {} : { deliveryError };
  let moved = await advanceDelivery(runtime, { externalId: sid }, status, extra);
  const messageId = new URL(url).searchParams.get("message");
  if (!moved && messageId && /^[0-9a-f-]{36}$/i.test(messageId)) {
    const reply = {
      id: messageId,
      channel: "SMS",
      internal: false,
      authorType: { not: "CONTACT" },
      OR: [{ externalId: null }, { externalId: sid }],
    };
    moved = await advanceDelivery(runtime, reply, status, { ...extra, externalId: sid });
  }
  runtime.log.debug({ sid, status, moved }, "SMS status callback");
  return { status: 204 };
}
