import { parsePhoneNumberFromString } from "libphonenumber-js";
import { createContact } from "../../src/contacts/service.js";
import { isUniqueViolation } from "../../src/db/unique-violation.js";
import { recordEvents, type NewEvent } from "../../src/events/outbox.js";
import { nextTicketNumber } from "../../src/tickets/counter.js";
import type { Contact } from "../../src/generated/prisma/client.js";
import type { PluginHttpResponse } from "../../src/plugin-host/plugin.js";
import type { TwilioRuntime } from "./options.js";
import { recordConsent } from "../../src/privacy/consent.js";
import { statusChange } from "../../src/tickets/status.js";
import { keywordOf } from "./keywords.js";
import { badRequest, emptyTwiml, type WebhookParams } from "./webhook.js";

const SUBJECT_LENGTH = 80;

/**
 * POST …/sms: an SMS to the tenant's Twilio number. The sender becomes (or is
 * matched to) a contact by E.164 number; the message joins their open SMS
 * ticket or opens one. The same MessageSid delivered twice is stored once.
 * A restricted contact's message is stored and nothing else happens.
 */
export async function receiveSms(runtime: TwilioRuntime, params: WebhookParams): Promise<PluginHttpResponse> {
  const sid = params.MessageSid ?? params.SmsSid;
  const phone = e164(params.From);
  if (!sid) return badRequest("MessageSid is missing");
  if (!phone) return badRequest("From is not a phone number");
  const db = runtime.core.db;
  if (await db.message.findFirst({ where: { externalId: sid }, select: { id: true } })) return emptyTwiml();

  const contact = await contactFor(runtime, phone);
  const body = params.Body ?? "";
  const keyword = keywordOf(body, params.OptOutType);
  // Consent first: a STOP must hold even if storing the message then fails.
  await applyConsent(runtime, contact, keyword);

  // Other plugins hear of the message from its MESSAGE_ADDED event (none for a restricted contact).
  await storeMessage(runtime, contact, sid, body || "(empty message)");
  return emptyTwiml();
}

/** Any notation to E.164; null when it is not a phone number (a short code, an alphanumeric sender). */
function e164(from: string | undefined): string | null {
  const number = from ? parsePhoneNumberFromString(from.trim()) : undefined;
  return number?.isPossible() ? number.number : null;
}

async function contactFor(runtime: TwilioRuntime, phone: string): Promise<Contact> {
  const db = runtime.core.db;
  const existing = await db.contact.findFirst({ where: { phone } });
  if (existing) return existing;
  const name = `SMS ${parsePhoneNumberFromString(phone)?.formatInternational() ?? phone}`;
  try {
    return await createContact(runtime.core, { name, phone });
  } catch (err) {
    // Two first messages from one number at once: the other one created the contact.
    const again = await db.contact.findFirst({ where: { phone } });
    if (again) return again;
    throw err;
  }
}

/**
 * sms.messaging needs consent. STOP and its synonyms withdraw it, START and
 * its synonyms restore it; a first message from someone with no SMS consent
 * history asks to be answered by SMS, which we record as consent given by
 * texting in (INBOUND_SMS). A restricted contact's withdrawal is still
 * recorded (it only ever stops processing); nothing is granted for them.
 */
async function applyConsent(runtime: TwilioRuntime, contact: Contact, keyword: ReturnType<typeof keywordOf>): Promise<void> {
  const base = { contactId: contact.id, purpose: "sms.messaging" };
  if (keyword === "OPT_OUT") {
    await recordConsent(runtime.core, { ...base, action: "WITHDRAWN", method: "SMS_KEYWORD" });
    return;
  }
  if (contact.restrictedAt) return;
  if (keyword === "OPT_IN") {
    await recordConsent(runtime.core, { ...base, action: "GRANTED", method: "SMS_KEYWORD" });
    return;
  }
  const history = await runtime.core.db.consentEvent.count({ where: { contactId: contact.id, purpose: "sms.messaging" } });
  if (history === 0) await recordConsent(runtime.core, { ...base, action: "GRANTED", method: "INBOUND_SMS" });
}

/**
 * One transaction: the message with its MessageSid, and the ticket it joins or
 * opens. A MessageSid stored meanwhile by a concurrent delivery of the same
 * message trips the unique (tenantId, externalId) index: then nothing is kept
 * and null is returned.
 */
async function storeMessage(runtime: TwilioRuntime, contact: Contact, sid: string, body: string) {
  const db = runtime.core.db;
  const tenantId = runtime.tenantId;
  try {
    const open = await db.ticket.findFirst({
      where: { requesterId: contact.id, channel: "SMS", status: { in: ["NEW", "OPEN", "PENDING"] } },
      orderBy: [{ lastMessageAt: "desc" }, { createdAt: "desc" }],
    });
    // Taken before the transaction, in a statement of its own: see nextTicketNumber.
    const number = open ? null : await nextTicketNumber(db, tenantId);
    return await db.$transaction(async (tx) => {
      const ticket =
        open ??
        (await tx.ticket.create({
          data: {
            tenantId,
            number: number!,
            subject: subjectOf(body, contact),
            channel: "SMS",
            requesterId: contact.id,
          },
        }));
      const message = await tx.message.create({
        data: {
          tenantId,
          ticketId: ticket.id,
          body,
          channel: "SMS",
          internal: false,
          authorType: "CONTACT",
          authorContactId: contact.id,
          externalId: sid,
        },
      });
      // For a restricted contact: stored, and that is all (no activity, no status, no events).
      if (contact.restrictedAt) return { messageId: message.id, ticketId: ticket.id };
      const events: NewEvent[] = open ? [] : [{ type: "TICKET_CREATED", ticketId: ticket.id, data: { status: ticket.status } }];
      events.push({ type: "MESSAGE_ADDED", ticketId: ticket.id, messageId: message.id });
      if (open) {
        // Like addMessage(from: REQUESTER): activity, and a PENDING ticket opens again.
        const reopen = open.status === "PENDING";
        await tx.ticket.update({
          where: { id: open.id },
          data: { lastMessageAt: message.createdAt, ...(reopen ? statusChange(open.status, "OPEN") : {}) },
        });
        if (reopen) events.push({ type: "TICKET_STATUS_CHANGED", ticketId: open.id, data: { from: open.status, to: "OPEN" } });
      }
      await recordEvents(tx, tenantId, events);
      return { messageId: message.id, ticketId: ticket.id };
    });
  } catch (err) {
    if (isUniqueViolation(err) && (await db.message.findFirst({ where: { externalId: sid }, select: { id: true } }))) return null;
    throw err;
  }
}

function subjectOf(body: string, contact: Contact): string {
  const line = body.replace(/\s+/g, " ").trim();
  if (!line) return `SMS from ${contact.phone}`;
  return line.length > SUBJECT_LENGTH ? `${line.slice(0, SUBJECT_LENGTH - 1)}…` : line;
}
