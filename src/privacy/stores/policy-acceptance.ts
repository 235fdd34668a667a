import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import type { PersonalDataStore } from "./store.js";

/** Which privacy policy versions the person accepted on the portal, and when. */
export const policyAcceptanceStore: PersonalDataStore = {
  model: "PolicyAcceptance",
  categories: ["user.consent"],
  columns: {
    contactId: { erasedBy: "PolicyAcceptance", notScanned: "an id: the acceptance names the person by their (anonymised) contact only" },
  },
  rowsOf: (contactId) => ({ contactId }),
  portal: (contactId) => ({ contactId }),
  export: {
    key: "policyAcceptances",
    about: "The versions of the privacy policy you accepted, and when",
    counts: ["policyAcceptances"],
    write: ({ db, contactId, out }) =>
      out.array(
        "policyAcceptances",
        "policyAcceptances",
        pages((c) =>
          db.policyAcceptance.findMany({
            ...c,
            where: { contactId },
            orderBy: [{ acceptedAt: "asc" }, { id: "asc" }],
            take: EXPORT_BATCH,
            select: { id: true, acceptedAt: true, policyVersion: { select: { version: true, url: true } } },
          }),
        ),
        (a) => ({ version: a.policyVersion.version, url: a.policyVersion.url, acceptedAt: a.acceptedAt }),
      ),
  },
  erasure: {
    lines: [
      {
        store: "PolicyAcceptance",
        action: "kept",
        note: "Which policy versions were accepted and when, no identifiers; kept as proof of what the person was told.",
      },
    ],
    steps: [],
    report: async (e) => ({ PolicyAcceptance: await e.db.policyAcceptance.count({ where: { contactId: e.contactId } }) }),
  },
  scan: [],
  retention: { none: "Proof of what the person was told: kept as long as the contact's shell." },
};
