import type { PersonalDataStore } from "./store.js";

/** Who is copied on which ticket (requesters of tickets merged into it). */
export const ticketFollowerStore: PersonalDataStore = {
  model: "TicketFollower",
  categories: ["system.operations"],
  columns: {
    contactId: { erasedBy: "TicketFollower", notScanned: "an id: the row names the person by their contact only" },
  },
  rowsOf: (contactId) => ({ contactId }),
  portal: (contactId) => ({ contactId }),
  export: { omitted: "Which tickets you are copied on is in the tickets section's own export of your requests" },
  erasure: {
    lines: [
      { store: "TicketFollower", action: "deleted: the person is no longer copied on others' tickets", countsAs: "followingsDeleted" },
    ],
    steps: [
      {
        phase: "own",
        run: async (e) => ({ TicketFollower: (await e.db.ticketFollower.deleteMany({ where: { contactId: e.contactId } })).count }),
      },
    ],
  },
  scan: [],
  retention: { none: "Follows the ticket it belongs to." },
};
