import type { MarkedColumn } from "./annotations.js";
import type { PersonalDataStore } from "./store.js";

/**
 * What is wrong between the `@personal` marks of the schema and a registry of
 * stores, one sentence per problem; none when they agree. A marked column no
 * store handles, a store column whose receipt line or scan does not exist, a
 * model pointing at Contact without a store: each would let data escape
 * erasure, export or the scan.
 */
export function coverageProblems(
  stores: readonly PersonalDataStore[],
  marked: readonly MarkedColumn[],
  referencingContact: readonly string[],
): string[] {
  const problems: string[] = [];
  const byModel = new Map<string, PersonalDataStore>();
  for (const s of stores) {
    if (byModel.has(s.model)) problems.push(`${s.model}: registered twice`);
    byModel.set(s.model, s);
  }

  for (const m of marked) {
    const store = byModel.get(m.model);
    if (!store) problems.push(`${m.model}.${m.column}: marked @personal, but ${m.model} has no store in src/privacy/stores/`);
    else if (!store.columns[m.column])
      problems.push(`${m.model}.${m.column}: marked @personal, but the ${m.model} store does not say how it is erased and scanned`);
  }
  for (const model of referencingContact) {
    if (!byModel.has(model)) problems.push(`${model}: its rows belong to a contact, but it has no store in src/privacy/stores/`);
  }

  for (const s of stores) {
    const own = marked.filter((m) => m.model === s.model);
    if (!own.length) problems.push(`${s.model}: a store, but none of its columns is marked @personal`);
    const lines = new Set(s.erasure.lines.map((l) => l.store));
    const scans = new Set(s.scan.map((p) => p.store));
    for (const [column, handling] of Object.entries(s.columns)) {
      if (!own.some((m) => m.column === column))
        problems.push(`${s.model}.${column}: handled by the store, but not marked @personal in the schema`);
      if (!lines.has(handling.erasedBy))
        problems.push(`${s.model}.${column}: erased by "${handling.erasedBy}", which is not a receipt line of the store`);
      if ("scannedAs" in handling && !scans.has(handling.scannedAs)) {
        problems.push(`${s.model}.${column}: scanned as "${handling.scannedAs}", which is not a scan of the store`);
      }
    }
    const marks = new Set(own.flatMap((m) => m.categories));
    const declared = new Set(s.categories);
    const missing = [...marks].filter((c) => !declared.has(c));
    const extra = [...declared].filter((c) => !marks.has(c));
    if (missing.length || extra.length) {
      problems.push(
        `${s.model}: categories differ from its marks (missing ${missing.join(", ") || "none"}; not marked ${extra.join(", ") || "none"})`,
      );
    }
  }

  const names = stores.flatMap((s) => [...s.erasure.lines.map((l) => l.store), ...s.scan.map((p) => `scan ${p.store}`)]);
  for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`${dup}: named twice`);
  return problems;
}
