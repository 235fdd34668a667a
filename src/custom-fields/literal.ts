import type { CustomFieldType } from "../generated/prisma/enums.js";

/** The column a value of each type is stored in (CustomFieldValue). SINGLE_SELECT keeps its choice as text. */
export const COLUMN_OF: Record<CustomFieldType, "text" | "number" | "date" | "boolean" | "options"> = {
  TEXT: "text",
  NUMBER: "number",
  DATE: "date",
  BOOLEAN: "boolean",
  SINGLE_SELECT: "text",
  MULTI_SELECT: "options",
};

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date "YYYY-MM-DD" as the UTC midnight Prisma stores a DATE column as; null when not a real date. */
export function parseDate(s: string): Date | null {
  if (!DATE_PATTERN.test(s)) return null;
  const d = new Date(`${s}T00:00:00.000Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s ? null : d;
}

export const formatDate = (d: Date) => d.toISOString().slice(0, 10);

export type Literal = string | number | Date | boolean;

/**
 * A value written as text (a filter's operand, `key:value` in a search query)
 * read as the field's type; null when it is not one. Filters and search share
 * this, so `priority_score:3` and `{ key: "priority_score", equals: "3" }` mean the same.
 */
export function parseLiteral(type: CustomFieldType, s: string): Literal | null {
  switch (type) {
    case "NUMBER": {
      const n = s.trim() === "" ? Number.NaN : Number(s);
      return Number.isFinite(n) ? n : null;
    }
    case "DATE":
      return parseDate(s);
    case "BOOLEAN":
      return s === "true" ? true : s === "false" ? false : null;
    default:
      return s;
  }
}

export const EXPECTED: Record<CustomFieldType, string> = {
  TEXT: "text",
  NUMBER: "a number",
  DATE: "a date YYYY-MM-DD",
  BOOLEAN: "true or false",
  SINGLE_SELECT: "one of the field's options",
  MULTI_SELECT: "one of the field's options",
};
