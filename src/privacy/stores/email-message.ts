import { REDACTED } from "../../constants.js";
import { inBatches, scrubColumn } from "../requests/batches.js";
import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import { countInColumn } from "../requests/scan-count.js";
import { exportedMessages } from "./message.js";
import type { PersonalDataStore } from "./store.js";

/** The person's own mails whose email part still holds anything. */
const notYet = (contactId: string) => ({
  message: { authorContactId: contactId },
  OR: [
    { fromHeader: { not: REDACTED } },
    { toHeader: { not: null } },
    { ccHeader: { not: null } },
    { html: { not: null } },
    { quoted: { not: null } },
  ],
});
const REDACT = { fromHeader: REDACTED, toHeader: null, ccHeader: null, html: null, quoted: null };

/**
 * The email part of messages (the email plugin): the headers as written, the
 * HTML and the quoted history. Erasure removes all of it from the person's
 * own mails (their body is redacted by the Message store), and takes their
 * name, address and phone out of everyone else's.
 */
export const emailMessageStore: PersonalDataStore = {
  model: "EmailMessage",
  categories: ["user.name", "user.contact.email", "user.content.message"],
  columns: {
    fromHeader: { erasedBy: "EmailMessage", scannedAs: "EmailMessage.fromHeader" },
    toHeader: { erasedBy: "EmailMessage.headers", scannedAs: "EmailMessage.toHeader" },
    ccHeader: { erasedBy: "EmailMessage.headers", scannedAs: "EmailMessage.ccHeader" },
    html: { erasedBy: "EmailMessage.content", scannedAs: "EmailMessage.html" },
    quoted: { erasedBy: "EmailMessage.content", scannedAs: "EmailMessage.quoted" },
  },
  rowsOf: (contactId) => ({ message: { OR: [{ authorContactId: contactId }, { ticket: { requesterId: contactId } }] } }),
  portal: null,
  export: {
    key: "emails",
    about: "The mails you sent and the replies sent to you by email: their From, To and Cc, their HTML and the quoted history",
    counts: ["emails"],
    write: ({ db, contactId, out }) =>
      out.array(
        "emails",
        "emails",
        pages((c) =>
          db.message.findMany({
            ...c,
            where: { ...exportedMessages(contactId), email: { isNot: null } },
            orderBy: { id: "asc" },
            take: EXPORT_BATCH,
            select: {
              id: true,
              email: {
                select: { direction: true, fromHeader: true, toHeader: true, ccHeader: true, html: true, quoted: true, sentAt: true },
              },
            },
          }),
        ),
        (m) => ({ messageId: m.id, ...m.email! }),
      ),
  },
  erasure: {
    lines: [
      {
        store: "EmailMessage",
        action: "the headers, HTML and quoted history of the person's own mails removed",
        countsAs: "emailsRedacted",
      },
      {
        store: "EmailMessage.headers",
        action: "the person's name, email and phone replaced by [redacted] in the From, To and Cc of other people's mails",
        countsAs: "emailHeadersScrubbed",
      },
      {
        store: "EmailMessage.content",
        action: "the person's name, email and phone replaced by [redacted] in the HTML and quoted history of other people's mails",
        countsAs: "emailContentScrubbed",
      },
    ],
    steps: [
      {
        phase: "own",
        run: async (e) => ({
          EmailMessage: await inBatches(
            e.db,
            async (tx) =>
              (await tx.emailMessage.findMany({ where: notYet(e.contactId), select: { messageId: true }, take: e.batch })).map(
                (m) => m.messageId,
              ),
            async (tx, ids) => (await tx.emailMessage.updateMany({ where: { messageId: { in: ids } }, data: REDACT })).count,
          ),
        }),
      },
      {
        phase: "mentions",
        run: async (e) => ({
          "EmailMessage.headers":
            (await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "EmailMessage.fromHeader")) +
            (await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "EmailMessage.toHeader")) +
            (await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "EmailMessage.ccHeader")),
          "EmailMessage.content":
            (await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "EmailMessage.html")) +
            (await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "EmailMessage.quoted")),
        }),
      },
    ],
    // A mail of theirs stored while the batches ran goes with the shell, in the same commit.
    final: async (tx, e) => ({ EmailMessage: (await tx.emailMessage.updateMany({ where: notYet(e.contactId), data: REDACT })).count }),
  },
  scan: [
    { store: "EmailMessage.fromHeader", count: async (s) => ({ matches: await countInColumn(s, "EmailMessage.fromHeader") }) },
    { store: "EmailMessage.toHeader", count: async (s) => ({ matches: await countInColumn(s, "EmailMessage.toHeader") }) },
    { store: "EmailMessage.ccHeader", count: async (s) => ({ matches: await countInColumn(s, "EmailMessage.ccHeader") }) },
    { store: "EmailMessage.html", count: async (s) => ({ matches: await countInColumn(s, "EmailMessage.html") }) },
    { store: "EmailMessage.quoted", count: async (s) => ({ matches: await countInColumn(s, "EmailMessage.quoted") }) },
  ],
  retention: { target: "SOLVED_TICKET_MESSAGES" },
};
