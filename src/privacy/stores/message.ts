import { REDACTED } from "../../constants.js";
import { inBatches, scrubColumn } from "../requests/batches.js";
import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import { countInColumn } from "../requests/scan-count.js";
import type { PersonalDataStore } from "./store.js";

/**
 * What the person wrote, and what was written to them or about them on their
 * tickets. Erasure redacts their own messages whole; in everyone else's, only
 * their identifiers.
 */
export const messageStore: PersonalDataStore = {
  model: "Message",
  categories: ["user.content.message"],
  columns: {
    body: { erasedBy: "Message.body", scannedAs: "Message.body" },
  },
  rowsOf: (contactId) => ({ OR: [{ authorContactId: contactId }, { ticket: { requesterId: contactId } }] }),
  subject: {
    graphqlType: "Message",
    columns: ["authorType", "authorContactId"],
    of: (m) => (m.authorType === "CONTACT" ? (m.authorContactId as string | null) : null),
  },
  portal: (contactId) => ({ internal: false, ticket: { requesterId: contactId } }),
  export: {
    key: "messages",
    about: "Public replies on your tickets and every message you wrote",
    counts: ["messages"],
    write: ({ db, contactId, out }) =>
      out.array(
        "messages",
        "messages",
        pages((c) =>
          db.message.findMany({
            ...c,
            where: exportedMessages(contactId),
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
            take: EXPORT_BATCH,
            select: {
              id: true,
              ticketId: true,
              ticket: { select: { number: true } },
              authorType: true,
              authorContactId: true,
              body: true,
              channel: true,
              createdAt: true,
              redactedAt: true,
              attachments: { select: { id: true } },
            },
          }),
        ),
        (m) => ({
          id: m.id,
          ticketId: m.ticketId,
          ticketNumber: m.ticket.number,
          // Staff are named by role only: their names are their own personal data.
          from: m.authorContactId === contactId ? "YOU" : m.authorType,
          body: m.body,
          channel: m.channel,
          createdAt: m.createdAt,
          redacted: m.redactedAt !== null,
          attachmentIds: m.attachments.map((a) => a.id),
        }),
      ),
  },
  erasure: {
    lines: [
      { store: "Message", action: "bodies of the person's own messages replaced by [redacted]", countsAs: "messagesRedacted" },
      {
        store: "Message.body",
        action: "the person's name, email and phone replaced by [redacted] in other people's messages",
        countsAs: "bodiesScrubbed",
      },
    ],
    steps: [
      {
        phase: "own",
        run: async (e) => ({
          Message: await inBatches(
            e.db,
            async (tx) =>
              (
                await tx.message.findMany({
                  where: { authorContactId: e.contactId, redactedAt: null },
                  select: { id: true },
                  take: e.batch,
                })
              ).map((m) => m.id),
            async (tx, ids) =>
              (await tx.message.updateMany({ where: { id: { in: ids } }, data: { body: REDACTED, redactedAt: e.now } })).count,
          ),
        }),
      },
      // Other people's words stay; only the person's identifiers are taken out of them.
      { phase: "mentions", run: async (e) => ({ "Message.body": await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "Message.body") }) },
    ],
    // A message written while the batches ran is redacted with the shell, in the same commit.
    final: async (tx, e) => ({
      Message: (
        await tx.message.updateMany({
          where: { authorContactId: e.contactId, redactedAt: null },
          data: { body: REDACTED, redactedAt: e.now },
        })
      ).count,
    }),
  },
  scan: [{ store: "Message.body", count: async (s) => ({ matches: await countInColumn(s, "Message.body") }) }],
  retention: { target: "SOLVED_TICKET_MESSAGES" },
};

/**
 * What the person can see on the portal: public replies on their tickets, and
 * what they wrote anywhere. Never a note (nor a note's files), even one
 * recorded as theirs: the person sees no notes anywhere.
 */
export const exportedMessages = (contactId: string) => ({
  internal: false,
  OR: [{ authorContactId: contactId }, { ticket: { requesterId: contactId } }],
});
