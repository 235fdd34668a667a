import type { TenantClient } from "../../db/tenant-scope.js";
import { Prisma } from "../../generated/prisma/client.js";
import { candidateFilter, contains, matcherFor, valuesOf, type Identifiers } from "./identifiers.js";

/** Where personal identifiers can be written down: the stores erasure cleans and the scan checks. */
export const SCANNED_STORES = ["Contact", "Ticket.subject", "Message.body", "Attachment.filename", "DataSubjectRequest.details"] as const;
export type ScannedStore = (typeof SCANNED_STORES)[number];

export interface ScanResult {
  stores: { store: ScannedStore; matches: number }[];
  total: number;
}

const BATCH = 500;
type Row = { id: string; text: string };

/** Counts rows whose text holds an identifier, reading candidates in batches by id. */
async function count(matcher: RegExp, page: (afterId: string | undefined) => Promise<Row[]>): Promise<number> {
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
 * Counts, per store, the rows in which any of the identifiers still appears.
 * Counts only: the scan never returns the text it found. With `nameOnlyOn`, the
 * name is looked for on that contact's row only.
 */
export async function scanForIdentifiers(db: TenantClient, ids: Identifiers, opts: { nameOnlyOn?: string } = {}): Promise<ScanResult> {
  const matcher = matcherFor(ids);
  if (!matcher) return { stores: SCANNED_STORES.map((store) => ({ store, matches: 0 })), total: 0 };
  const page = { orderBy: { id: "asc" as const }, take: BATCH };
  const counts: Record<ScannedStore, number> = {
    Contact: await count(matcher, async (a) =>
      (
        await db.contact.findMany({
          ...page,
          where: { AND: [after(a), { OR: [candidateFilter("name", ids), candidateFilter("email", ids), candidateFilter("phone", ids)] }] },
          select: { id: true, name: true, email: true, phone: true },
        })
      ).map((c) => ({
        id: c.id,
        // After an erasure, another contact with the same name is a namesake, not a leftover: only their email and phone count.
        text: [opts.nameOnlyOn && c.id !== opts.nameOnlyOn ? null : c.name, c.email, c.phone].filter(Boolean).join("\n"),
      })),
    ),
    "Ticket.subject": await count(matcher, async (a) =>
      (await db.ticket.findMany({ ...page, where: { AND: [after(a), candidateFilter("subject", ids)] }, select: { id: true, subject: true } })).map(
        (t) => ({ id: t.id, text: t.subject }),
      ),
    ),
    "Message.body": await count(matcher, async (a) =>
      (await db.message.findMany({ ...page, where: { AND: [after(a), candidateFilter("body", ids)] }, select: { id: true, body: true } })).map((m) => ({
        id: m.id,
        text: m.body,
      })),
    ),
    "Attachment.filename": await count(matcher, async (a) =>
      (
        await db.attachment.findMany({ ...page, where: { AND: [after(a), candidateFilter("filename", ids)] }, select: { id: true, filename: true } })
      ).map((x) => ({ id: x.id, text: x.filename })),
    ),
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
  return { stores, total: stores.reduce((s, x) => s + x.matches, 0) };
}

export const hasIdentifiers = (ids: Identifiers) => valuesOf(ids).length > 0;
