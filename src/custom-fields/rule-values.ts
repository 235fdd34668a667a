import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { AppError } from "../errors.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import { formatDate } from "./literal.js";
import { prepareValues, type ValueInput } from "./values.js";

type Db = TenantClient | Tx;

/**
 * Ticket field values as automation rules see them (src/automations/seams.ts):
 * a rule stores a SET_CUSTOM_FIELD value as plain JSON, and compares
 * conditions on values read back as plain JSON. Writing goes through
 * updateTicket's `customFields`, so the field's own rules apply.
 */

/** JSON as a rule stores it → the API's value input for the field's type; a string is the problem. null clears the value. */
export function inputFor(field: Pick<CustomFieldDefinition, "key" | "type">, value: unknown): ValueInput | string {
  const { key } = field;
  if (value === null || value === undefined) return { key };
  const strings = Array.isArray(value) && value.every((v) => typeof v === "string");
  switch (field.type) {
    case "TEXT":
      return typeof value === "string" ? { key, text: value } : `${key} is TEXT: give a string`;
    case "NUMBER":
      return typeof value === "number" ? { key, number: value } : `${key} is NUMBER: give a number`;
    case "DATE":
      return typeof value === "string" ? { key, date: value } : `${key} is DATE: give "YYYY-MM-DD"`;
    case "BOOLEAN":
      return typeof value === "boolean" ? { key, boolean: value } : `${key} is BOOLEAN: give true or false`;
    case "SINGLE_SELECT":
      return typeof value === "string" ? { key, options: [value] } : `${key} is SINGLE_SELECT: give one option as a string`;
    case "MULTI_SELECT":
      if (typeof value === "string") return { key, options: [value] };
      return strings ? { key, options: value as string[] } : `${key} is MULTI_SELECT: give a list of options`;
  }
}

/** The plain value a condition compares: text, number, "YYYY-MM-DD", boolean, or the list of a MULTI_SELECT. */
function plainOf(
  type: CustomFieldDefinition["type"],
  v: { text: string | null; number: number | null; date: Date | null; boolean: boolean | null; options: string[] },
): unknown {
  switch (type) {
    case "NUMBER":
      return v.number;
    case "DATE":
      return v.date ? formatDate(v.date) : null;
    case "BOOLEAN":
      return v.boolean;
    case "MULTI_SELECT":
      return v.options;
    default:
      return v.text;
  }
}

/** The plain value an input writes (what plainOf reads back after it), to skip writes that change nothing. */
export function plainOfInput(type: CustomFieldDefinition["type"], input: ValueInput): unknown {
  if (type === "SINGLE_SELECT") return input.options?.[0] ?? null;
  if (type === "MULTI_SELECT") return input.options?.length ? input.options : null;
  return input.text ?? input.number ?? input.date ?? input.boolean ?? null;
}

/** The tenant's active ticket field of this key. */
export const ticketField = (db: Db, key: string) =>
  db.customFieldDefinition.findFirst({ where: { entity: "TICKET", key, active: true }, select: { key: true, type: true } });

/** Why `value` cannot be stored in ticket field `key` (no such active field, the wrong kind of value, a rule of the field); null when it can. */
export async function problemWith(db: Db, key: string, value?: unknown): Promise<string | null> {
  const field = await ticketField(db, key);
  if (!field) return `no ticket custom field with key ${key}`;
  if (value === undefined) return null;
  const input = inputFor(field, value);
  if (typeof input === "string") return input;
  try {
    await prepareValues(db, "TICKET", [input], []);
    return null;
  } catch (err) {
    if (err instanceof AppError && err.code === "VALIDATION") {
      const fields = (err.extensions?.fields ?? []) as { message: string }[];
      return fields.map((f) => f.message).join("; ") || err.message;
    }
    throw err;
  }
}

/** The tickets' values of these active fields: ticket id → key → plain value; one query. */
export async function valuesOf(db: Db, ticketIds: string[], keys: string[]): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!ticketIds.length || !keys.length) return out;
  const rows = await db.customFieldValue.findMany({
    where: { ticketId: { in: ticketIds }, field: { entity: "TICKET", active: true, key: { in: keys } } },
    select: {
      ticketId: true,
      text: true,
      number: true,
      date: true,
      boolean: true,
      options: true,
      field: { select: { key: true, type: true } },
    },
  });
  for (const r of rows) {
    if (!r.ticketId) continue;
    const values = out.get(r.ticketId) ?? {};
    values[r.field.key] = plainOf(r.field.type, r);
    out.set(r.ticketId, values);
  }
  return out;
}
