import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import type { PersonalDataStore } from "./store.js";

/** The append-only consent history: proof of consent (art. 7(1)), so erasure keeps it. */
export const consentEventStore: PersonalDataStore = {
  model: "ConsentEvent",
  categories: ["user.consent"],
  columns: {
    action: { erasedBy: "ConsentEvent", notScanned: "purposes, actions, methods and dates: no identifiers" },
  },
  rowsOf: (contactId) => ({ contactId }),
  subject: { graphqlType: "ConsentRecord", columns: ["contactId"], of: (c) => c.contactId as string },
  portal: (contactId) => ({ contactId }),
  export: {
    key: "consents",
    about: "Every consent and objection you gave or withdrew, and where each purpose stands now",
    counts: ["consentEvents"],
    async write({ db, contactId, out, consentStates }) {
      const current = consentStates.map((s) => ({ purpose: s.purpose, status: s.status, since: s.since?.createdAt ?? null }));
      await out.write(`,\n"consents": {\n"current": ${JSON.stringify(current)},\n"history": `);
      await out.list(
        "consentEvents",
        pages((c) =>
          db.consentEvent.findMany({ ...c, where: { contactId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: EXPORT_BATCH }),
        ),
        (e) => ({
          purpose: e.purpose,
          action: e.action,
          method: e.method,
          policyVersion: e.policyVersion,
          recordedBy: e.actorType,
          at: e.createdAt,
        }),
      );
      await out.write("}");
    },
  },
  erasure: {
    lines: [
      {
        store: "ConsentEvent",
        action: "kept",
        note: "The consent history holds purposes, actions, methods and dates, no identifiers; it is kept as proof of consent (art. 7(1)).",
      },
    ],
    steps: [],
    report: async (e) => ({ ConsentEvent: await e.db.consentEvent.count({ where: { contactId: e.contactId } }) }),
  },
  scan: [],
  retention: {
    none: "Proof of consent (art. 7(1)): kept as long as the contact's shell; the database refuses to change a recorded event.",
  },
};
