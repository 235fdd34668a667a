import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import type { PersonalDataStore } from "./store.js";

/** The audit log: who read or changed the person's data, and when. It names people by id only, so erasure keeps it. */
export const auditEntryStore: PersonalDataStore = {
  model: "AuditEntry",
  categories: ["system.operations", "user.consent"],
  columns: {
    subjectId: { erasedBy: "AuditEntry", notScanned: "an id" },
    subjectIds: { erasedBy: "AuditEntry", notScanned: "ids" },
    details: { erasedBy: "AuditEntry", notScanned: "ids, counts and field names: services never write values into it" },
  },
  rowsOf: (contactId) => ({ OR: [{ subjectId: contactId }, { subjectIds: { has: contactId } }] }),
  portal: null,
  export: {
    key: "accessLog",
    about: "Who accessed your data and when, from the audit log",
    counts: ["accessLog"],
    write: ({ db, contactId, out }) =>
      out.array(
        "accessLog",
        "accessLog",
        pages((c) =>
          db.auditEntry.findMany({
            ...c,
            where: auditEntryStore.rowsOf(contactId),
            orderBy: { seq: "asc" },
            take: EXPORT_BATCH,
            select: { id: true, actorType: true, actorId: true, action: true, categories: true, details: true, at: true },
          }),
        ),
        // A read of several subjects lists each one's categories in details.subjects: give this subject's own.
        (e) => ({ actorType: e.actorType, actorId: e.actorId, action: e.action, categories: categoriesOf(e, contactId), at: e.at }),
      ),
  },
  erasure: {
    lines: [
      {
        store: "AuditEntry",
        action: "kept",
        note: "The audit log names the person by id only (now the anonymous shell's); retention (AUDIT_ENTRIES) removes old entries.",
      },
    ],
    steps: [],
    report: async (e) => ({ AuditEntry: await e.db.auditEntry.count({ where: auditEntryStore.rowsOf(e.contactId) }) }),
  },
  scan: [],
  retention: { target: "AUDIT_ENTRIES" },
};

function categoriesOf(entry: { categories: string[]; details: unknown }, contactId: string): string[] {
  const own = (entry.details as { subjects?: Record<string, { categories?: string[] }> } | null)?.subjects?.[contactId]?.categories;
  return Array.isArray(own) ? own : entry.categories;
}
