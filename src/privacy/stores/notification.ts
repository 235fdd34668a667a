import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import type { PersonalDataStore } from "./store.js";

/** What the helpdesk told a person on its own (src/notifications/): kind, channel, outcome; never the text. */
export const notificationStore: PersonalDataStore = {
  model: "Notification",
  categories: ["system.operations"],
  columns: {
    contactId: { erasedBy: "Notification", notScanned: "an id: the row names the person by their contact only" },
  },
  rowsOf: (contactId) => ({ contactId }),
  portal: (contactId) => ({ contactId }),
  export: {
    key: "notifications",
    about:
      "The notifications we sent you on our own (acknowledgements, rating requests, notices about your requests, newsletters) and whether they left",
    counts: ["notifications"],
    write: ({ db, contactId, out }) =>
      out.array(
        "notifications",
        "notifications",
        pages((c) =>
          db.notification.findMany({
            ...c,
            where: { contactId },
            orderBy: { id: "asc" },
            take: EXPORT_BATCH,
            select: { id: true, kind: true, channel: true, status: true, ticketId: true, createdAt: true, sentAt: true },
          }),
        ),
        (n) => n,
      ),
  },
  erasure: {
    lines: [{ store: "Notification", action: "deleted", countsAs: "notificationsDeleted" }],
    steps: [
      {
        phase: "own",
        run: async (e) => ({ Notification: (await e.db.notification.deleteMany({ where: { contactId: e.contactId } })).count }),
      },
    ],
  },
  scan: [],
  retention: { none: "Kept with the person: deleted when they are erased." },
};
