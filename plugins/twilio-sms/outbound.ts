import { parsePhoneNumberFromString } from "libphonenumber-js";
import type { MessageCreatedEvent } from "../../src/plugin-host/plugin.js";
import type { TwilioRuntime } from "./options.js";
import { outboundGuard } from "../../src/outbound/guard.js";
import { failureCode, twilioClient } from "./client.js";
import { TWILIO_SMS } from "./manifest.js";
import { advanceDelivery, deliveryStatusOf } from "./status.js";

/**
 * Sends an agent's (or the system's) public reply on an SMS ticket to the
 * requester's phone. Nothing is thrown: whatever stops it (the gateway's
 * CONSENT_REQUIRED, PROCESSING_RESTRICTED, PLUGIN_DISABLED, or Twilio's own
 * error) ends up on the message as deliveryStatus FAILED with a deliveryError.
 */
export async function sendReply(runtime: TwilioRuntime, event: MessageCreatedEvent): Promise<void> {
  const db = runtime.core.db;
  const message = await db.message.findUnique({ where: { id: event.messageId }, include: { ticket: { include: { requester: true } } } });
  if (!message || message.internal || message.authorType === "CONTACT" || message.ticket.channel !== "SMS") return;
  if (message.externalId || message.deliveryStatus) return; // already on its way
  const requester = message.ticket.requester;

  const fail = (deliveryError: string) =>
    db.message.updateMany({ where: { id: message.id, deliveryStatus: null }, data: { deliveryStatus: "FAILED", deliveryError } });

  if (!requester.phone) {
    await fail("NO_PHONE_NUMBER");
    return;
  }
  try {
    const statusCallback = await statusCallbackUrl(runtime, message.id);
    const sent = await runtime.call(
      {
        operation: "send",
        purpose: "sms.messaging",
        categories: ["user.contact.phone", "user.content.message"],
        subjectIds: [requester.id],
      },
      () =>
        twilioClient(runtime.settings, outboundGuard(runtime.core.config)).messages.create({
          to: requester.phone!,
          from: sender(runtime.settings.fromNumber),
          body: message.body,
          ...(statusCallback ? { statusCallback } : {}),
        }),
    );
    // A status callback may have got here first; the status only moves forward.
    await db.message.updateMany({ where: { id: message.id, externalId: null }, data: { externalId: sent.sid } });
    await advanceDelivery(runtime, { id: message.id }, deliveryStatusOf(sent.status) ?? "QUEUED");
  } catch (err) {
    const code = failureCode(err);
    // The vendor's error text can quote phone numbers: log the code only.
    runtime.log.warn({ messageId: message.id, code }, "SMS reply not sent");
    await fail(code);
  }
}

/**
 * Where Twilio reports delivery: PUBLIC_URL/plugins/twilio-sms/<tenant>/status.
 * Without PUBLIC_URL Twilio cannot reach us, so no callback is asked for and
 * the status stays at what the send returned (QUEUED).
 */
async function statusCallbackUrl(runtime: TwilioRuntime, messageId: string): Promise<string | null> {
  const base = runtime.core.config.publicUrl;
  if (!base) {
    runtime.log.warn("PUBLIC_URL is not set: SMS delivery status will not be updated");
    return null;
  }
  const tenant = await runtime.core.db.tenant.findUniqueOrThrow({ where: { id: runtime.tenantId } });
  return `${base}/plugins/${TWILIO_SMS}/${encodeURIComponent(tenant.slug)}/status?message=${messageId}`;
}

/** The configured sender in E.164 when it is a number in any notation; an alphanumeric sender ID as it is. */
export function sender(fromNumber: string | undefined): string {
  const value = fromNumber?.trim() ?? "";
  return parsePhoneNumberFromString(value)?.number ?? value;
}
