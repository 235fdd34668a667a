import { recordEvents } from "../../events/outbox.js";
import { scrubColumn } from "../requests/batches.js";
import { pages, EXPORT_BATCH } from "../requests/export-writer.js";
import { countInColumn } from "../requests/scan-count.js";
import type { PersonalDataStore } from "./store.js";

/** The support requests a contact made. Erasure keeps them with the tenant; only mentions of the person in subjects go. */
export const ticketStore: PersonalDataStore = {
  model: "Ticket",
  categories: ["user.content.message"],
  columns: {
    subject: { erasedBy: "Ticket.subject", scannedAs: "Ticket.subject" },
  },
  rowsOf: (contactId) => ({ requesterId: contactId }),
  subject: { graphqlType: "Ticket", columns: ["requesterId"], of: (t) => t.requesterId as string },
  portal: (contactId) => ({ requesterId: contactId }),
  export: {
    key: "tickets",
    about: "The support requests you made",
    counts: ["tickets"],
    write: ({ db, contactId, out }) =>
      out.array(
        "tickets",
        "tickets",
        pages((c) =>
          db.ticket.findMany({
            ...c,
            where: { requesterId: contactId },
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
            take: EXPORT_BATCH,
            select: {
              id: true,
              number: true,
              subject: true,
              status: true,
              priority: true,
              channel: true,
              createdAt: true,
              updatedAt: true,
              solvedAt: true,
            },
          }),
        ),
        (t) => t,
      ),
  },
  erasure: {
    lines: [
      { store: "Ticket.subject", action: "the person's name, email and phone replaced by [redacted]", countsAs: "subjectsScrubbed" },
      { store: "Ticket", action: "kept", note: "Tickets stay with the tenant; their requester is now the anonymous shell." },
    ],
    steps: [
      {
        phase: "mentions",
        run: async (e) => ({ "Ticket.subject": await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "Ticket.subject") }),
      },
    ],
    // Tombstones in the same commit as the shell: partners on the event stream erase their copies.
    async final(tx, e) {
      if (e.erasedBefore) return {};
      const tickets = await tx.ticket.findMany({ where: { requesterId: e.contactId }, select: { id: true }, orderBy: { id: "asc" } });
      await recordEvents(
        tx,
        e.tenantId,
        tickets.map((t) => ({ type: "TICKET_ERASED" as const, ticketId: t.id, data: { reason: "requester erased" } })),
      );
      return {};
    },
    report: async (e) => ({ Ticket: await e.db.ticket.count({ where: { requesterId: e.contactId } }) }),
  },
  scan: [{ store: "Ticket.subject", count: async (s) => ({ matches: await countInColumn(s, "Ticket.subject") }) }],
  retention: { none: "Tickets are kept with the tenant; their messages have SOLVED_TICKET_MESSAGES, their requester INACTIVE_CONTACTS." },
};
