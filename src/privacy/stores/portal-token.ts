import type { PersonalDataStore } from "./store.js";

/** The person's credentials for the portal: deleted first, so nobody can act as them while the erasure runs. */
export const portalTokenStore: PersonalDataStore = {
  model: "PortalToken",
  categories: ["system.operations"],
  columns: {
    tokenHash: { erasedBy: "PortalToken", notScanned: "a hash of a credential, deleted with the row" },
  },
  rowsOf: (contactId) => ({ contactId }),
  portal: (contactId) => ({ contactId }),
  export: { omitted: "Credentials (hashes of portal links) are not part of the export." },
  erasure: {
    lines: [{ store: "PortalToken", action: "deleted", countsAs: "portalTokensDeleted" }],
    steps: [
      {
        phase: "credentials",
        run: async (e) => ({ PortalToken: (await e.db.portalToken.deleteMany({ where: { contactId: e.contactId } })).count }),
      },
    ],
  },
  scan: [],
  retention: { target: "PORTAL_TOKENS" },
};
