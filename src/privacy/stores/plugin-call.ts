import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import type { PersonalDataStore } from "./store.js";

/** One call through the plugin gateway or to an AI model: which contacts it was about, never the payload. */
export const pluginCallStore: PersonalDataStore = {
  model: "PluginCall",
  categories: ["system.operations"],
  columns: {
    subjectIds: { erasedBy: "PluginCall", notScanned: "ids" },
  },
  rowsOf: (contactId) => ({ subjectIds: { has: contactId } }),
  portal: null,
  export: {
    key: "processingCalls",
    about:
      "Every call to an integration or an AI model that carried your data: when, which service and model, what for, and with what outcome (never what was sent)",
    counts: ["processingCalls"],
    async write({ db, contactId, out }) {
      await out.array(
        "processingCalls",
        "processingCalls",
        pages((c) =>
          db.pluginCall.findMany({
            ...c,
            where: pluginCallStore.rowsOf(contactId),
            orderBy: [{ at: "asc" }, { id: "asc" }],
            take: EXPORT_BATCH,
          }),
        ),
        (call) => ({
          at: call.at,
          service: call.pluginId,
          model: call.model,
          operation: call.operation,
          purpose: call.purpose,
          categories: call.categories,
          outcome: call.outcome,
          errorCode: call.errorCode,
          ...(call.model ? { promptSha256: call.promptSha256, answerSha256: call.answerSha256 } : {}),
        }),
      );
    },
  },
  erasure: {
    lines: [
      {
        store: "PluginCall",
        action: "kept",
        note: "The record of calls to integrations and AI models names the person by id only; the integrations were asked to erase (see plugins).",
      },
    ],
    steps: [],
    report: async (e) => ({ PluginCall: await e.db.pluginCall.count({ where: pluginCallStore.rowsOf(e.contactId) }) }),
  },
  scan: [],
  retention: { target: "PLUGIN_CALLS" },
};
