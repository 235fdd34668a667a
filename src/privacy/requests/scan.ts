import type { TenantClient } from "../../db/tenant-scope.js";
import { STORES } from "../stores/index.js";
import { matcherFor, valuesOf, type Identifiers } from "./identifiers.js";

/** Where personal identifiers can be written down: the stores erasure cleans and the scan checks, each declared by its store. */
export const SCANNED_STORES: readonly string[] = STORES.flatMap((s) => s.scan.map((p) => p.store));
export type ScannedStore = string;

export interface ScanResult {
  stores: { store: ScannedStore; matches: number }[];
  total: number;
  /** Attachments that cannot be searched (not text): they may hold the identifiers, nobody can tell. */
  unsearchable: number;
}

/**
 * Counts, per store, the rows in which any of the identifiers still appears,
 * and the attachments that could not be searched. Counts only: the scan never
 * returns the text it found. With `nameOnlyOn`, the name is looked for on that
 * contact's row only.
 */
export async function scanForIdentifiers(
  db: TenantClient,
  tenantId: string,
  ids: Identifiers,
  opts: { nameOnlyOn?: string } = {},
): Promise<ScanResult> {
  const matcher = matcherFor(ids);
  if (!matcher) return { stores: SCANNED_STORES.map((store) => ({ store, matches: 0 })), total: 0, unsearchable: 0 };
  const run = { db, tenantId, ids, matcher, nameOnlyOn: opts.nameOnlyOn };
  const stores: ScanResult["stores"] = [];
  let unsearchable = 0;
  for (const part of STORES.flatMap((s) => s.scan)) {
    const counted = await part.count(run);
    stores.push({ store: part.store, matches: counted.matches });
    unsearchable += counted.unsearchable ?? 0;
  }
  return { stores, total: stores.reduce((s, x) => s + x.matches, 0), unsearchable };
}

export const hasIdentifiers = (ids: Identifiers) => valuesOf(ids).length > 0;
