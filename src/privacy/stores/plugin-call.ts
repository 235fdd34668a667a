import type { PersonalDataStore } from "./store.js";

/** One call through the plugin gateway: which contacts it was about, never the payload. */
export const pluginCallStore: PersonalDataStore = {
  model: "PluginCall",
  categories: ["system.operations"],
  columns: {
    subjectIds: { erasedBy: "PluginCall", notScanned: "ids" },
  },
  rowsOf: (contactId) => ({ subjectIds: { has: contactId } }),
  portal: null,
  export: { omitted: "Each call is also written to the audit log (plugin.call), which the export lists as accessLog." },
  erasure: {
    lines: [
      {
        store: "PluginCall",
        action: "kept",
        note: "The record of calls to integrations names the person by id only; the integrations were asked to erase (see plugins).",
      },
    ],
    steps: [],
    report: async (e) => ({ PluginCall: await e.db.pluginCall.count({ where: pluginCallStore.rowsOf(e.contactId) }) }),
  },
  scan: [],
  retention: { none: "Not swept yet: plugin calls are kept until the tenant is deleted." },
};
