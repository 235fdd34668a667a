import type { Tx } from "../db/tx.js";
import { AppError } from "../errors.js";
import { Prisma, type CustomFieldDefinition } from "../generated/prisma/client.js";
import type { CustomFieldType } from "../generated/prisma/enums.js";

type Def = Pick<CustomFieldDefinition, "id" | "type" | "options">;

interface Conversion {
  /** Values that cannot take the new type (SQL condition over a CustomFieldValue row "v"). */
  blocking: Prisma.Sql;
  /** How the columns change; null: nothing to rewrite. */
  set: Prisma.Sql | null;
}

const NUMBER_TEXT = "^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$";
const DATE_TEXT = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
const NONE = Prisma.sql`false`;
const ALL = Prisma.sql`true`;

/**
 * How stored values follow a type change, by (from, to). Anything becomes
 * TEXT; text becomes a number, a date or a choice when every value reads as
 * one; a single choice becomes a multiple one and back when there is at most
 * one. Any other change is allowed only while the field has no values.
 */
function conversion(from: CustomFieldType, to: CustomFieldType, options: string[]): Conversion {
  const opts = Prisma.sql`${options}::text[]`;
  const key = `${from}>${to}`;
  if (from === to) {
    if (to === "SINGLE_SELECT") return { blocking: Prisma.sql`NOT (v."text" = ANY(${opts}))`, set: null };
    if (to === "MULTI_SELECT") return { blocking: Prisma.sql`NOT (v."options" <@ ${opts})`, set: null };
    return { blocking: NONE, set: null };
  }
  switch (key) {
    case "NUMBER>TEXT":
      return { blocking: NONE, set: Prisma.sql`"text" = v."number"::text, "number" = NULL` };
    case "DATE>TEXT":
      return { blocking: NONE, set: Prisma.sql`"text" = to_char(v."date", 'YYYY-MM-DD'), "date" = NULL` };
    case "BOOLEAN>TEXT":
      return { blocking: NONE, set: Prisma.sql`"text" = v."boolean"::text, "boolean" = NULL` };
    case "SINGLE_SELECT>TEXT":
      return { blocking: NONE, set: null };
    case "MULTI_SELECT>TEXT":
      return { blocking: NONE, set: Prisma.sql`"text" = array_to_string(v."options", ', '), "options" = '{}'` };
    case "TEXT>NUMBER":
      return {
        blocking: Prisma.sql`v."text" !~ ${NUMBER_TEXT}`,
        set: Prisma.sql`"number" = trim(v."text")::double precision, "text" = NULL`,
      };
    case "TEXT>DATE":
      return { blocking: Prisma.sql`v."text" !~ ${DATE_TEXT}`, set: Prisma.sql`"date" = v."text"::date, "text" = NULL` };
    case "TEXT>SINGLE_SELECT":
      return { blocking: Prisma.sql`NOT (v."text" = ANY(${opts}))`, set: null };
    case "TEXT>MULTI_SELECT":
    case "SINGLE_SELECT>MULTI_SELECT":
      return { blocking: Prisma.sql`NOT (v."text" = ANY(${opts}))`, set: Prisma.sql`"options" = ARRAY[v."text"], "text" = NULL` };
    case "MULTI_SELECT>SINGLE_SELECT":
      return {
        blocking: Prisma.sql`cardinality(v."options") > 1 OR NOT (v."options" <@ ${opts})`,
        set: Prisma.sql`"text" = v."options"[1], "options" = '{}'`,
      };
    default:
      return { blocking: ALL, set: null };
  }
}

/**
 * Refuses a type or options change that the stored values cannot follow
 * (CONFLICT, extensions.blockingValues), or rewrites the values to the new
 * type, in the caller's transaction: either the definition and every value
 * change together or nothing does.
 */
export async function assertConvertible(tx: Tx, tenantId: string, current: Def, next: Def): Promise<void> {
  const optionsChanged = next.options.join("\u0000") !== current.options.join("\u0000");
  if (current.type === next.type && !optionsChanged) return;
  const c = conversion(current.type, next.type, next.options);
  const [row] = await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "CustomFieldValue" v
    WHERE v."tenantId" = ${tenantId}::uuid AND v."fieldId" = ${current.id}::uuid AND (${c.blocking})`;
  const blocking = row?.n ?? 0;
  if (blocking > 0) {
    const what = current.type === next.type ? "the options removed are still chosen" : `they cannot be read as ${next.type}`;
    throw new AppError("CONFLICT", `${blocking} stored value(s) stand in the way: ${what}`, {
      blockingValues: blocking,
      fields: [
        { path: ["input", current.type === next.type ? "options" : "type"], message: `${blocking} value(s) cannot follow this change` },
      ],
    });
  }
  if (c.set) {
    await tx.$executeRaw`
      UPDATE "CustomFieldValue" AS v SET ${c.set}, "updatedAt" = now()
      WHERE v."tenantId" = ${tenantId}::uuid AND v."fieldId" = ${current.id}::uuid`;
  }
}
