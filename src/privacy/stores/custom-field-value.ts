import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import { countInColumn } from "../requests/scan-count.js";
import type { PersonalDataStore } from "./store.js";

/** Values of custom fields the tenant marked personalData, about a contact directly or on the tickets they requested. */
const personalValuesOf = (contactId: string) => ({
  field: { personalData: true },
  OR: [{ contactId }, { ticket: { requesterId: contactId } }],
});

const typed = { erasedBy: "CustomFieldValue", notScanned: "a number, date, yes/no or choice among the field's options: not free text" };

export const customFieldValueStore: PersonalDataStore = {
  model: "CustomFieldValue",
  categories: ["user.custom"],
  columns: {
    text: { erasedBy: "CustomFieldValue", scannedAs: "CustomFieldValue.text" },
    number: typed,
    date: typed,
    boolean: typed,
    options: typed,
  },
  rowsOf: personalValuesOf,
  // Custom fields are the support team's: the portal shows none of them.
  portal: null,
  export: {
    key: "customFields",
    about: "What the support team recorded about you in fields of their own",
    counts: ["customFields"],
    write: ({ db, contactId, out }) =>
      out.array(
        "customFields",
        "customFields",
        pages((c) =>
          db.customFieldValue.findMany({
            ...c,
            where: personalValuesOf(contactId),
            orderBy: { id: "asc" },
            take: EXPORT_BATCH,
            select: {
              id: true,
              ticketId: true,
              text: true,
              number: true,
              date: true,
              boolean: true,
              options: true,
              updatedAt: true,
              field: { select: { key: true, label: true, type: true } },
            },
          }),
        ),
        (v) => ({
          field: v.field.label,
          key: v.field.key,
          onTicket: v.ticketId,
          value: v.text ?? v.number ?? v.date ?? v.boolean ?? v.options,
          updatedAt: v.updatedAt,
        }),
      ),
  },
  erasure: {
    lines: [
      {
        store: "CustomFieldValue",
        action: "deleted: the values of fields marked personal data, on the contact and on the tickets they requested",
        countsAs: "customFieldValuesDeleted",
      },
    ],
    steps: [
      {
        phase: "mentions",
        run: async (e) => ({ CustomFieldValue: (await e.db.customFieldValue.deleteMany({ where: personalValuesOf(e.contactId) })).count }),
      },
    ],
  },
  scan: [{ store: "CustomFieldValue.text", count: async (s) => ({ matches: await countInColumn(s, "CustomFieldValue.text") }) }],
  retention: { none: "Kept with the ticket or contact they describe, and erased with the person." },
};
