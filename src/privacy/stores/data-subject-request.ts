import type { TenantClient } from "../../db/tenant-scope.js";
import { Prisma } from "../../generated/prisma/client.js";
import { EXPORT_BATCH, pages } from "../requests/export-writer.js";
import { afterId, countMatches, SCAN_BATCH } from "../requests/scan-count.js";
import type { PersonalDataStore } from "./store.js";

/** The requests the person made about their data. A rectification holds the corrected values until the person is erased. */
export const dataSubjectRequestStore: PersonalDataStore = {
  model: "DataSubjectRequest",
  categories: ["user.consent", "user.name", "user.contact.email", "user.contact.phone", "user.preference.locale"],
  columns: {
    details: { erasedBy: "DataSubjectRequest.details", scannedAs: "DataSubjectRequest.details" },
  },
  rowsOf: (contactId) => ({ contactId }),
  subject: { graphqlType: "DataSubjectRequest", columns: ["contactId"], of: (r) => r.contactId as string },
  portal: (contactId) => ({ contactId }),
  export: {
    key: "dataSubjectRequests",
    about: "The requests about your data you made, and what was done",
    counts: ["dataSubjectRequests"],
    write: ({ db, contactId, out }) =>
      out.array(
        "dataSubjectRequests",
        "dataSubjectRequests",
        pages((c) =>
          db.dataSubjectRequest.findMany({
            ...c,
            where: { contactId },
            orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
            take: EXPORT_BATCH,
          }),
        ),
        (r) => ({
          id: r.id,
          type: r.type,
          status: r.status,
          receivedAt: r.receivedAt,
          dueAt: r.dueAt,
          extensionReason: r.extensionReason,
          refusalReason: r.refusalReason,
          completedAt: r.completedAt,
          details: r.details,
          receipt: r.receipt,
        }),
      ),
  },
  erasure: {
    lines: [
      { store: "DataSubjectRequest.details", action: "corrected values removed, field names kept", countsAs: "requestDetailsScrubbed" },
    ],
    steps: [{ phase: "mentions", run: async (e) => ({ "DataSubjectRequest.details": await scrubRequestDetails(e.db, e.contactId) }) }],
  },
  scan: [
    {
      store: "DataSubjectRequest.details",
      // JSON cannot be searched as text through Prisma; requests are few, so every one with details is read.
      count: async (s) => ({
        matches: await countMatches(s.matcher, async (after) =>
          (
            await s.db.dataSubjectRequest.findMany({
              orderBy: { id: "asc" },
              take: SCAN_BATCH,
              where: { AND: [afterId(after), { details: { not: Prisma.DbNull } }] },
              select: { id: true, details: true },
            })
          ).map((r) => ({ id: r.id, text: JSON.stringify(r.details) })),
        ),
      }),
    },
  ],
  retention: { none: "The record of how the tenant answered the person's rights: kept as long as the contact's shell." },
};

/** A rectification request keeps the corrected values while open; once the person is erased, only the field names stay. */
async function scrubRequestDetails(db: TenantClient, contactId: string): Promise<number> {
  const requests = await db.dataSubjectRequest.findMany({ where: { contactId }, select: { id: true, details: true } });
  let n = 0;
  for (const r of requests) {
    const details = r.details as { corrections?: Record<string, unknown> } | null;
    if (!details?.corrections) continue;
    const { corrections, ...rest } = details;
    await db.dataSubjectRequest.update({
      where: { id: r.id },
      data: { details: { ...rest, correctedFields: Object.keys(corrections) } as object },
    });
    n++;
  }
  return n;
}
