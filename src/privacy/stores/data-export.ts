import type { PersonalDataStore } from "./store.js";

/** Copies made for access and portability requests: a full copy of the export, so erasure deletes them first. */
export const dataExportStore: PersonalDataStore = {
  model: "DataExport",
  // What an export holds: every category exported (a test keeps the two equal).
  categories: [
    "user.name",
    "user.contact.email",
    "user.contact.phone",
    "user.preference.locale",
    "user.organization",
    "user.content.message",
    "user.content.attachment",
    "user.consent",
    "system.operations",
    "user.custom",
  ],
  columns: {
    content: { erasedBy: "DataExport", notScanned: "gzip-compressed copies, deleted whole before anything else" },
  },
  rowsOf: (contactId) => ({ contactId }),
  portal: (contactId) => ({ contactId }),
  export: { omitted: "An export is a copy of the other stores; it is not exported again." },
  erasure: {
    lines: [{ store: "DataExport", action: "deleted", countsAs: "exportsDeleted" }],
    steps: [
      {
        phase: "credentials",
        run: async (e) => ({ DataExport: (await e.db.dataExport.deleteMany({ where: { contactId: e.contactId } })).count }),
      },
    ],
  },
  scan: [],
  retention: { target: "DATA_EXPORTS" },
};
