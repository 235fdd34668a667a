import type { Context } from "../context.js";
import { activeFields } from "../custom-fields/filter.js";
import { EXPECTED, formatDate, parseLiteral } from "../custom-fields/literal.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import type { CustomFieldFilter } from "./contract.js";
import { BUILT_IN_FILTERS, queryError, type ParsedSearch, type RawFieldFilter } from "./query.js";

const COMPARISONS: Record<string, CustomFieldFilter["op"]> = { ">": "GT", ">=": "GTE", "<": "LT", "<=": "LTE" };
const ORDERED = new Set(["NUMBER", "DATE"]);

/**
 * `<key>:value` filters as the tenant's active ticket custom fields, typed by
 * each field's definition (the same reading as `tickets(filter: { customFields })`):
 * `plan:pro,enterprise` (any of the options), `trial:true`, `seats>=10`,
 * `renewal<2026-07-01`, `order:A-1001` (text, ignoring case). A name that is no
 * built-in filter and no field is refused (VALIDATION, reason UNKNOWN_FIELD),
 * as is a value the field cannot hold, with the filter's position.
 */
export async function resolveCustomFields(ctx: Context, parsed: ParsedSearch): Promise<void> {
  if (!parsed.customFields.length) return;
  const fields = await activeFields(
    ctx.db,
    "TICKET",
    parsed.customFields.map((f) => f.key),
  );
  parsed.filters.customFields = parsed.customFields.map((raw) => {
    const field = fields.get(raw.key);
    if (!field) {
      throw queryError(
        `unknown filter "${raw.key}${raw.op}"; use ${BUILT_IN_FILTERS} or a ticket custom field's key (or put it in quotes to search for it)`,
        raw.pos,
        { reason: "UNKNOWN_FIELD", field: raw.key },
      );
    }
    return typed(field, raw);
  });
}

function typed(field: CustomFieldDefinition, raw: RawFieldFilter): CustomFieldFilter {
  const { key, pos } = raw;
  const op = raw.op === ":" ? "EQ" : COMPARISONS[raw.op]!;
  if (op !== "EQ") {
    if (!ORDERED.has(field.type)) throw queryError(`${key} is ${field.type}: it takes "${key}:value", not a comparison`, pos);
    if (raw.values.length !== 1) throw queryError(`${key}${raw.op} takes one value`, pos);
  }
  if (field.type === "BOOLEAN" && raw.values.length !== 1) throw queryError(`${key} takes true or false`, pos);
  const values = raw.values.map((v) => {
    if (field.type === "SINGLE_SELECT" || field.type === "MULTI_SELECT") {
      // Options as defined, whatever the case typed.
      const option = field.options.find((o) => o.toLowerCase() === v.toLowerCase());
      if (!option) throw queryError(`${key} "${v}" is not an option; use one of ${field.options.join(", ")}`, pos);
      return option;
    }
    const literal = parseLiteral(field.type, field.type === "BOOLEAN" ? v.toLowerCase() : v);
    if (literal === null) throw queryError(`${key} is ${field.type}: expected ${EXPECTED[field.type]}, not "${v}"`, pos);
    if (literal instanceof Date) return formatDate(literal);
    return typeof literal === "string" ? literal.toLowerCase() : literal;
  });
  return { fieldId: field.id, type: field.type, op, values };
}
