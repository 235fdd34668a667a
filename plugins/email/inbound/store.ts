import type { Tx } from "../../../src/db/tx.js";
import { isUniqueViolation } from "../../../src/db/unique-violation.js";
import { recordEvents, type NewEvent } from "../../../src/events/outbox.js";
import type { Contact, Mailbox } from "../../../src/generated/prisma/client.js";
import { nextTicketNumber } from "../../../src/tickets/counter.js";
import { statusChange } from "../../../src/tickets/status.js";
import { LIMITS } from "../../../src/validation.js";
import type { EmailRuntime } from "../options.js";
import { LeaseLost, type Claimed } from "../sync/lease.js";
import { newReplyToken } from "../tokens.js";
import type { Content } from "./content.js";
import type { Mail } from "./parse.js";

/** A mail's place in the synced folder, and the lease the session that read it holds. */
interface FolderPlace {
  claimed: Claimed;
  uidValidity: bigint;
  uid: bigint;
}

/** How a mail reached a mailbox: read from its folder over IMAP, or delivered to the inbound SMTP endpoint. */
interface Delivery {
  /** The mailbox's forwarding addresses: a plus address of one carries a reply token, like one of the mailbox's own. */
  forwardingAddresses: string[];
  /** The envelope's recipients (RCPT TO), which a forwarded mail's headers do not name. */
  envelopeTo: string[];
}

/** Where a mail came from: the mailbox, and its place in the folder (IMAP) or its delivery (SMTP). */
export type Source = { mailbox: Mailbox } & ({ folder: FolderPlace; delivery?: undefined } | { folder?: undefined; delivery: Delivery });

/**
 * Moves the mailbox's position past a mail read from its folder, on condition
 * that the session still holds the lease: once the mailbox is disconnected
 * (its sync row deleted) or taken over, this throws, and with it the
 * transaction it is in. A mail delivered over SMTP has no place to move past.
 */
export async function recordProgress(tx: Pick<Tx, "mailboxSync">, source: Source): Promise<void> {
  const place = source.folder;
  if (!place) return;
  const { count } = await tx.mailboxSync.updateMany({
    where: { mailboxId: source.mailbox.id, leaseToken: place.claimed.token },
    data: { lastUid: place.uid, uidValidity: place.uidValidity, lastSyncAt: new Date(), lastError: null },
  });
  if (count !== 1) throw new LeaseLost(source.mailbox.id);
}

export interface Stored {
  ticketId: string;
  messageId: string;
  /** A new ticket (rather than a reply joining one). */
  opened: boolean;
}

/**
 * One transaction: the message with its Message-ID (externalId) and its email
 * part, the ticket it joins or opens with its email thread, the events, and
 * the mailbox's position. A reply reopens a SOLVED or PENDING ticket like a
 * requester's addMessage does; one to a CLOSED ticket opens a follow-up. A
 * restricted contact's mail is stored and nothing else happens (no events,
 * no activity, no status change), as with SMS. Null when the same mail was
 * stored meanwhile (its Message-ID, or its UID by another instance).
 */
export async function storeMail(
  runtime: EmailRuntime,
  source: Source,
  mail: Mail,
  messageId: string,
  contact: Contact,
  joining: { id: string; status: string; emailThread: { ticketId: string } | null } | null,
  content: Content,
): Promise<Stored | null> {
  const db = runtime.core.db;
  const tenantId = runtime.tenantId;
  const open = joining && joining.status !== "CLOSED" ? (joining as { id: string; status: "NEW" | "OPEN" | "PENDING" | "SOLVED" }) : null;
  // Taken before the transaction, in a statement of its own: see nextTicketNumber.
  const number = open ? null : await nextTicketNumber(db, tenantId);
  try {
    return await db.$transaction(async (tx) => {
      const ticketId =
        open?.id ??
        (
          await tx.ticket.create({
            data: {
              tenantId,
              number: number!,
              subject: (mail.subject || "(no subject)").slice(0, LIMITS.subject),
              channel: "EMAIL",
              requesterId: contact.id,
            },
            select: { id: true },
          })
        ).id;
      const message = await tx.message.create({
        data: {
          tenantId,
          ticketId,
          body: content.body,
          channel: "EMAIL",
          internal: false,
          authorType: "CONTACT",
          authorContactId: contact.id,
          externalId: messageId,
        },
        select: { id: true, createdAt: true },
      });
      await tx.emailMessage.create({
        data: {
          messageId: message.id,
          tenantId,
          mailboxId: source.mailbox.id,
          direction: "INBOUND",
          inReplyTo: mail.inReplyTo.join(" ") || null,
          references: mail.references.join(" ") || null,
          fromHeader: mail.fromHeader,
          toHeader: mail.toHeader,
          ccHeader: mail.ccHeader,
          html: content.html,
          quoted: content.quoted,
          sentAt: mail.date,
          uidValidity: source.folder?.uidValidity ?? null,
          uid: source.folder?.uid ?? null,
          attachmentsPending: content.files.length > 0,
        },
      });
      // A new ticket's thread, or that of a ticket answered by mail for the first time (opened elsewhere).
      if (!open || !joining?.emailThread) {
        await tx.emailThread.create({ data: { ticketId, tenantId, mailboxId: source.mailbox.id, replyToken: newReplyToken() } });
      }
      await recordProgress(tx, source);
      if (contact.restrictedAt) return { ticketId, messageId: message.id, opened: !open };

      const events: NewEvent[] = open ? [] : [{ type: "TICKET_CREATED", ticketId, data: { status: "NEW" } }];
      events.push({ type: "MESSAGE_ADDED", ticketId, messageId: message.id });
      if (open) {
        const reopen = open.status === "SOLVED" || open.status === "PENDING";
        await tx.ticket.update({
          where: { id: open.id },
          data: { lastMessageAt: message.createdAt, ...(reopen ? statusChange(open.status, "OPEN") : {}) },
        });
        if (reopen) events.push({ type: "TICKET_STATUS_CHANGED", ticketId, data: { from: open.status, to: "OPEN" } });
      }
      await recordEvents(tx, tenantId, events);
      return { ticketId, messageId: message.id, opened: !open };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}
