import { getDatamodel } from "../../generated/pothos-prisma-types.js";
import { isDataCategory, type DataCategory } from "../taxonomy.js";

/**
 * The columns marked `/// @personal <category>, …` in prisma/schema.prisma, read
 * from the generated datamodel (the pothos generator copies field comments there).
 * The marks are the one source of truth for where a contact's personal data is
 * stored; the registry in this folder must handle each of them.
 */

export interface MarkedColumn {
  model: string;
  column: string;
  /** The Prisma type: String, Bytes, Json… */
  type: string;
  categories: DataCategory[];
}

const MARK = /@personal\s+([^\n]+)/;

export function markedColumns(): MarkedColumn[] {
  const out: MarkedColumn[] = [];
  for (const [model, m] of Object.entries(getDatamodel().datamodel.models)) {
    for (const f of m.fields) {
      const mark = f.documentation ? MARK.exec(f.documentation) : null;
      if (!mark) continue;
      const names = mark[1]!
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean);
      const unknown = names.filter((c) => !isDataCategory(c));
      // A typo would silently leave a column out of every check: fail loudly instead.
      if (unknown.length) throw new Error(`${model}.${f.name}: @personal names unknown categories ${unknown.join(", ")}`);
      out.push({ model, column: f.name, type: f.type, categories: names as DataCategory[] });
    }
  }
  return out;
}

/** Models with a foreign key to Contact: every row of them is about one contact. */
export function modelsReferencingContact(): string[] {
  return Object.entries(getDatamodel().datamodel.models)
    .filter(([, m]) => m.fields.some((f) => f.kind === "object" && f.type === "Contact" && (f.relationFromFields?.length ?? 0) > 0))
    .map(([name]) => name);
}
