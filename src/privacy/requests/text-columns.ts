import { Prisma } from "../../generated/prisma/client.js";
import { markedColumns } from "../stores/annotations.js";
import { phoneTarget, valuesOf, type Identifiers } from "./identifiers.js";

/**
 * A text column that can hold someone else's mention of the person: "Model.column",
 * one of the String columns marked `/// @personal` in the schema. The SQL names
 * come from the schema's marks, never from input; anything else is refused.
 */
export type TextColumn = `${string}.${string}`;

const MARKED_TEXT = new Map(
  markedColumns()
    .filter((c) => c.type === "String")
    .map((c) => [`${c.model}.${c.column}`, { table: Prisma.raw(`"${c.model}"`), column: Prisma.raw(`"${c.column}"`) }]),
);

export function sqlNames(target: TextColumn): { table: Prisma.Sql; column: Prisma.Sql } {
  const names = MARKED_TEXT.get(target);
  if (!names) throw new Error(`${target} is not a text column marked @personal in the schema`);
  return names;
}

type Raw = { $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Prisma.PrismaPromise<T> };

/**
 * The next rows (by id) of a text column that may hold an identifier, to be
 * confirmed with the matcher: the name or email anywhere in any case, or the
 * digits of the phone number among the text's digits (so every spelling of
 * the number is a candidate: "06-12345678", "+31 6 1234 5678"). Raw SQL passes
 * the tenant scope by, so the tenant is in the WHERE clause here.
 */
export async function candidateRows(
  tx: Raw,
  tenantId: string,
  target: TextColumn,
  ids: Identifiers,
  afterId: string | undefined,
  take: number,
): Promise<{ id: string; text: string }[]> {
  const { table, column } = sqlNames(target);
  const phone = phoneTarget(ids.phone);
  const conditions = valuesOf(ids)
    .filter((v) => !phone || v !== ids.phone?.trim())
    .map((v) => Prisma.sql`strpos(lower(${column}), lower(${v})) > 0`);
  if (phone) conditions.push(Prisma.sql`strpos(regexp_replace(${column}, '[^0-9]+', '', 'g'), ${phone.nationalNumber}) > 0`);
  if (!conditions.length) return [];
  return tx.$queryRaw<{ id: string; text: string }[]>`SELECT "id"::text AS id, ${column} AS text FROM ${table}
    WHERE "tenantId" = ${tenantId}::uuid ${afterId ? Prisma.sql`AND "id" > ${afterId}::uuid` : Prisma.empty}
      AND (${Prisma.join(conditions, " OR ")})
    ORDER BY "id" LIMIT ${take}`;
}
