import type { TenantClient } from "../../db/tenant-scope.js";
import { Prisma } from "../../generated/prisma/client.js";
import { attachmentFiles } from "./attachment-contents.js";
import { candidateFilter, contains, matcherFor, valuesOf, type Identifiers, type Matcher } from "./identifiers.js";
import { candidateRows, type TextColumn } from "./text-columns.js";

/** Where personal identifiers can be written down: the stores erasure cleans and the scan checks. */
export const SCANNED_STORES = ["Contact", "Ticket.subject", "Message.body", "Attachment.filename", "Attachment.content", "DataSubjectRequest.details"] as const;
export type ScannedStore = (typeof SCANNED_STORES)[number];

export interface ScanResult {
  stores: { store: ScannedStore; matches: number }[];
  total: number;
  /** Attachments that cannot be searched (not text): they may hold the identifiers, nobody can tell. */
  unsearchable: number;
}

const BATCH = 500;
type Row = { id: string; text: string };

/** Counts rows whose text holds an identifier, reading candidates in batches by id. */
async function count(matcher: Matcher, page: (afterId: string | undefined) => Promise<Row[]>): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await page(after);
    for (const r of rows) if (contains(matcher, r.text)) n++;
    if (rows.length < BATCH) return n;
    after = rows.at(-1)!.id;
  }
}

const after = (id: string | undefined) => (id ? { id: { gt: id } } : {});

/**
 * Counts, per store, the rows in which any of the identifiers still appears,
 * and the attachments that could not be searched. Counts only: the scan never
 * returns the text it found. With `nameOnlyOn`, the name is looked for on that
 * contact's row only.
 */
export async function scanForIdentifiers(db: TenantClient, tenantId: string, ids: Identifiers, opts: { nameOnlyOn?: string } = {}): Promise<ScanResult> {
  const matcher = matcherFor(ids);
  if (!matcher) return { stores: SCANNED_STORES.map((store) => ({ store, matches: 0 })), total: 0, unsearchable: 0 };
  const page = { orderBy: { id: "asc" as const }, take: BATCH };
  const column = (target: TextColumn) => count(matcher, (a) => candidateRows(db, tenantId, target, ids, a, BATCH));
  let contents = 0;
  let unsearchable = 0;
  for await (const files of attachmentFiles(db, BATCH)) {
    for (const f of files) {
      if (f.text === null) unsearchable++;
      else if (contains(matcher, f.text)) contents++;
    }
  }
  const counts: Record<ScannedStore, number> = {
    Contact: await count(matcher, async (a) =>
      (
        await db.contact.findMany({
          ...page,
          // Contacts hold the email and phone as stored (normalised, E.164): a substring finds them.
          where: { AND: [after(a), { OR: [candidateFilter("name", ids), candidateFilter("email", ids), candidateFilter("phone", ids)] }] },
          select: { id: true, name: true, email: true, phone: true },
        })
      ).map((c) => ({
        id: c.id,
        // After an erasure, another contact with the same name is a namesake, not a leftover: only their email and phone count.
        text: [opts.nameOnlyOn && c.id !== opts.nameOnlyOn ? null : c.name, c.email, c.phone].filter(Boolean).join("\n"),
      })),
    ),
    "Ticket.subject": await column("Ticket.subject"),
    "Message.body": await column("Message.body"),
    "Attachment.filename": await column("Attachment.filename"),
    "Attachment.content": contents,
    // JSON cannot be searched as text through Prisma; requests are few, so every one with details is read.
    "DataSubjectRequest.details": await count(matcher, async (a) =>
      (
        await db.dataSubjectRequest.findMany({
          ...page,
          where: { AND: [after(a), { details: { not: Prisma.DbNull } }] },
          select: { id: true, details: true },
        })
      ).map((r) => ({ id: r.id, text: JSON.stringify(r.details) })),
    ),
  };
  const stores = SCANNED_STORES.map((store) => ({ store, matches: counts[store] }));
  return { stores, total: stores.reduce((s, x) => s + x.matches, 0), unsearchable };
}

export const hasIdentifiers = (ids: Identifiers) => valuesOf(ids).length > 0;
