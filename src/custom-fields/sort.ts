import type { TenantClient } from "../db/tenant-scope.js";
import { AppError } from "../errors.js";
import { Prisma, type CustomFieldDefinition } from "../generated/prisma/client.js";
import { COLUMN_OF } from "./literal.js";

/**
 * How many records a list ordered by a custom field may match. Prisma cannot
 * order by a value in another table, so such a list is ordered in SQL over
 * the matching ids (one statement); the bound keeps that statement small.
 * Narrower filters, or a built-in order, lift it.
 */
export const MAX_SORTED_BY_FIELD = 10_000;

/** Ids of tickets ordered by one custom field's value (records without one last), then by id. */
export async function ticketIdsByField(
  db: TenantClient,
  tenantId: string,
  field: CustomFieldDefinition,
  direction: "asc" | "desc",
  ids: string[],
): Promise<string[]> {
  if (ids.length > MAX_SORTED_BY_FIELD) {
    throw new AppError("VALIDATION", `Ordering by a custom field needs a filter that matches at most ${MAX_SORTED_BY_FIELD} tickets`, {
      fields: [{ path: ["filter"], message: `matches more than ${MAX_SORTED_BY_FIELD} tickets` }],
    });
  }
  const column = COLUMN_OF[field.type];
  // MULTI_SELECT orders by its choices joined, so that equal sets sit together.
  const value = column === "options" ? Prisma.sql`array_to_string(v."options", ',')` : Prisma.raw(`v."${column}"`);
  const dir = Prisma.raw(direction === "asc" ? "ASC" : "DESC");
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT t.id::text AS id
    FROM unnest(${ids}::uuid[]) AS t(id)
    LEFT JOIN "CustomFieldValue" v ON v."tenantId" = ${tenantId}::uuid AND v."fieldId" = ${field.id}::uuid AND v."ticketId" = t.id
    ORDER BY ${value} ${dir} NULLS LAST, t.id ASC`;
  return rows.map((r) => r.id);
}

/**
 * A page of an ordered id list as Prisma's cursor arguments would cut it
 * (the shape Pothos' connections pass: cursor, skip, take, negative take for
 * pages before the cursor), so a connection can page it like any other.
 */
export function pageOf(ordered: string[], q: { cursor?: { id?: string }; skip?: number; take?: number }): string[] {
  let start = 0;
  if (q.cursor?.id) {
    start = ordered.indexOf(q.cursor.id);
    if (start < 0) return [];
  }
  const take = q.take ?? ordered.length;
  const skip = q.skip ?? 0;
  if (take >= 0) return ordered.slice(start + skip, start + skip + take);
  const end = q.cursor?.id ? start - skip + 1 : ordered.length - skip;
  return ordered.slice(Math.max(0, end + take), Math.max(0, end));
}
