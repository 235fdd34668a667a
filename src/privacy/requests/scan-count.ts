import { contains, type Matcher } from "./identifiers.js";
import { candidateRows, type TextColumn } from "./text-columns.js";
import type { ScanRun } from "../stores/store.js";

/** How the scan counts leftovers: rows read in batches by id, each confirmed with the matcher. Counts only, never the text. */

export const SCAN_BATCH = 500;
export type ScanRow = { id: string; text: string };

/** Counts rows whose text holds an identifier, reading candidates in batches by id. */
export async function countMatches(matcher: Matcher, page: (afterId: string | undefined) => Promise<ScanRow[]>): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await page(after);
    for (const r of rows) if (contains(matcher, r.text)) n++;
    if (rows.length < SCAN_BATCH) return n;
    after = rows.at(-1)!.id;
  }
}

/** The rows of a text column that hold an identifier. */
export const countInColumn = (s: ScanRun, target: TextColumn) =>
  countMatches(s.matcher, (after) => candidateRows(s.db, s.tenantId, target, s.ids, after, SCAN_BATCH));

/** Prisma's filter for the next page after `id`. */
export const afterId = (id: string | undefined) => (id ? { id: { gt: id } } : {});
