import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import { countInColumn } from "../requests/scan-count.js";
import type { PersonalDataStore } from "./store.js";

/** Ratings of solved tickets; the comment is what the requester wrote. */
export const satisfactionStore: PersonalDataStore = {
  model: "SatisfactionResponse",
  categories: ["user.content.message"],
  columns: {
    comment: { erasedBy: "SatisfactionResponse.comment", scannedAs: "SatisfactionResponse.comment" },
  },
  rowsOf: (contactId) => ({ contactId }),
  subject: { graphqlType: "Satisfaction", columns: ["contactId"], of: (r) => r.contactId as string },
  portal: (contactId) => ({ contactId }),
  export: {
    key: "satisfaction",
    about: "How you rated the help you got, and what you wrote with it",
    counts: ["satisfaction"],
    write: ({ db, contactId, out }) =>
      out.array(
        "satisfaction",
        "satisfaction",
        pages((c) =>
          db.satisfactionResponse.findMany({
            ...c,
            where: { contactId },
            orderBy: { id: "asc" },
            take: EXPORT_BATCH,
            select: { id: true, ticketId: true, rating: true, scale: true, comment: true, createdAt: true, updatedAt: true },
          }),
        ),
        (s) => s,
      ),
  },
  erasure: {
    lines: [
      { store: "SatisfactionResponse.comment", action: "removed", countsAs: "satisfactionCommentsRemoved" },
      {
        store: "SatisfactionResponse",
        action: "kept",
        note: "The rating stays with the ticket, without the comment, for the tenant's statistics.",
      },
    ],
    steps: [
      {
        phase: "own",
        run: async (e) => ({
          "SatisfactionResponse.comment": (
            await e.db.satisfactionResponse.updateMany({
              where: { contactId: e.contactId, comment: { not: null } },
              data: { comment: null },
            })
          ).count,
        }),
      },
    ],
    report: async (e) => ({ SatisfactionResponse: await e.db.satisfactionResponse.count({ where: { contactId: e.contactId } }) }),
  },
  scan: [
    { store: "SatisfactionResponse.comment", count: async (s) => ({ matches: await countInColumn(s, "SatisfactionResponse.comment") }) },
  ],
  retention: { none: "A rating without its comment is no one's personal data once the requester is erased; kept with the ticket." },
};
