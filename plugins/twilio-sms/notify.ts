import type { Notifier, OutgoingNotification } from "../../src/notifications/contract.js";
import { outboundGuard } from "../../src/outbound/guard.js";
import { failureCode, twilioClient } from "./client.js";
import type { TwilioRuntime } from "./options.js";
import { sender } from "./outbound.js";

/**
 * The smsNotifier capability: a notification (the satisfaction request of an
 * SMS ticket) as a text to the contact's phone, for `sms.messaging` whatever
 * the core's purpose: the gateway then asks for the person's SMS consent, and
 * a restriction stops it, as for agents' replies.
 */
export async function smsNotifier(runtime: TwilioRuntime): Promise<Notifier | null> {
  if (!runtime.settings.fromNumber) return null;
  return { send: (n) => send(runtime, n) };
}

async function send(runtime: TwilioRuntime, n: OutgoingNotification): Promise<{ externalId: string }> {
  const contact = await runtime.core.db.contact.findUnique({ where: { id: n.contactId }, select: { id: true, phone: true } });
  if (!contact?.phone) throw Object.assign(new Error("NO_PHONE_NUMBER"), { code: "NO_PHONE_NUMBER" });
  try {
    const sent = await runtime.call(
      {
        operation: "notify",
        purpose: "sms.messaging",
        categories: ["user.contact.phone", "user.content.message"],
        subjectIds: [contact.id],
      },
      () =>
        twilioClient(runtime.settings, outboundGuard(runtime.core.config)).messages.create({
          to: contact.phone!,
          from: sender(runtime.settings.fromNumber),
          body: n.content.text,
        }),
    );
    return { externalId: sent.sid };
  } catch (err) {
    // The vendor's error text can quote phone numbers: the code only.
    throw Object.assign(new Error("SMS not sent"), { code: failureCode(err) });
  }
}
