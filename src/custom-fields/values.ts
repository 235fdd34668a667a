import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { AppError, validationError, type FieldProblem } from "../errors.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import type { CustomFieldEntity } from "../generated/prisma/enums.js";
import { COLUMN_OF, EXPECTED, parseDate } from "./literal.js";

/** One value as an API caller writes it: the member matching the field's type, or none to clear it. */
export interface ValueInput {
  key: string;
  text?: string | null;
  number?: number | null;
  date?: string | null;
  boolean?: boolean | null;
  options?: string[] | null;
}

/** The record a value belongs to: one of the three owner columns. */
export type Owner = { ticketId: string } | { contactId: string } | { organizationId: string };

export const MAX_TEXT = 10_000;
const MAX_VALUES_PER_WRITE = 100;

type Row = { text: string | null; number: number | null; date: Date | null; boolean: boolean | null; options: string[] };

const EMPTY: Row = { text: null, number: null, date: null, boolean: null, options: [] };
const MEMBERS = ["text", "number", "date", "boolean", "options"] as const;

/** The stored row for one input, or the problem with it; null row: clear the value. */
function rowOf(field: CustomFieldDefinition, input: ValueInput, at: (string | number)[]): { row: Row | null } | { problem: FieldProblem } {
  const given = MEMBERS.filter((m) => input[m] !== undefined && input[m] !== null);
  const fail = (message: string) => ({ problem: { path: at, message } });
  if (!given.length) return { row: null };
  const member = field.type === "SINGLE_SELECT" ? "options" : COLUMN_OF[field.type];
  if (given.length > 1 || given[0] !== member) return fail(`${field.key} is ${field.type}: give \`${member}\` only`);
  const { min, max } = field;
  switch (field.type) {
    case "TEXT": {
      const text = input.text!;
      if (text.length > MAX_TEXT) return fail(`at most ${MAX_TEXT} characters`);
      if (min != null && text.length < min) return fail(`at least ${min} characters`);
      if (max != null && text.length > max) return fail(`at most ${max} characters`);
      if (field.pattern != null && !new RegExp(`^(?:${field.pattern})$`, "u").test(text)) return fail(`must match ${field.pattern}`);
      return { row: { ...EMPTY, text } };
    }
    case "NUMBER": {
      const n = input.number!;
      if (!Number.isFinite(n)) return fail(EXPECTED.NUMBER);
      if (min != null && n < min) return fail(`must be at least ${min}`);
      if (max != null && n > max) return fail(`must be at most ${max}`);
      return { row: { ...EMPTY, number: n } };
    }
    case "DATE": {
      const d = parseDate(input.date!);
      return d ? { row: { ...EMPTY, date: d } } : fail(EXPECTED.DATE);
    }
    case "BOOLEAN":
      return { row: { ...EMPTY, boolean: input.boolean! } };
    case "SINGLE_SELECT": {
      const [one, ...more] = input.options!;
      if (one === undefined || more.length) return fail("choose exactly one option");
      return field.options.includes(one) ? { row: { ...EMPTY, text: one } } : fail(`not an option: ${one}`);
    }
    case "MULTI_SELECT": {
      const chosen = input.options!;
      const unknown = chosen.filter((o) => !field.options.includes(o));
      if (unknown.length) return fail(`not an option: ${unknown.join(", ")}`);
      if (new Set(chosen).size !== chosen.length) return fail("options must not repeat");
      if (min != null && chosen.length < min) return fail(`choose at least ${min}`);
      if (max != null && chosen.length > max) return fail(`choose at most ${max}`);
      return chosen.length ? { row: { ...EMPTY, options: chosen } } : { row: null };
    }
  }
}

/** Values checked against their fields, ready to store on a record. */
export interface PreparedValues {
  fieldIds: string[];
  rows: (Row & { fieldId: string })[];
}

/**
 * Checks values of one kind of record against the active fields (one query),
 * reporting every problem at once at `path`.<index>. Keys of deleted fields,
 * or of another kind of record, are refused like unknown ones. Reads only, so
 * a caller can check before it takes anything (a ticket number).
 */
export async function prepareValues(
  db: TenantClient | Tx,
  entity: CustomFieldEntity,
  inputs: ValueInput[],
  path: (string | number)[],
): Promise<PreparedValues> {
  if (inputs.length > MAX_VALUES_PER_WRITE) {
    throw validationError([{ path, message: `at most ${MAX_VALUES_PER_WRITE} values at once` }]);
  }
  if (!inputs.length) return { fieldIds: [], rows: [] };
  const fields = await db.customFieldDefinition.findMany({ where: { entity, key: { in: inputs.map((i) => i.key) }, active: true } });
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const problems: FieldProblem[] = [];
  const prepared: PreparedValues = { fieldIds: [], rows: [] };
  for (const [i, input] of inputs.entries()) {
    const at = [...path, i];
    const field = byKey.get(input.key);
    if (!field) {
      problems.push({ path: [...at, "key"], message: `no ${entity} field with key ${input.key}` });
      continue;
    }
    if (prepared.fieldIds.includes(field.id)) {
      problems.push({ path: [...at, "key"], message: `${input.key} is given twice` });
      continue;
    }
    prepared.fieldIds.push(field.id);
    const r = rowOf(field, input, at);
    if ("problem" in r) problems.push(r.problem);
    else if (r.row) prepared.rows.push({ ...r.row, fieldId: field.id });
  }
  if (problems.length) throw validationError(problems);
  return prepared;
}

/** Replaces the prepared fields' values of one record: two set-based statements in the caller's transaction. */
export async function storeValues(tx: Tx, tenantId: string, owner: Owner, prepared: PreparedValues): Promise<void> {
  if (!prepared.fieldIds.length) return;
  await tx.customFieldValue.deleteMany({ where: { ...owner, fieldId: { in: prepared.fieldIds } } });
  if (prepared.rows.length) await tx.customFieldValue.createMany({ data: prepared.rows.map((r) => ({ tenantId, ...owner, ...r })) });
}

/** prepareValues then storeValues, in the caller's transaction. */
export async function writeValues(
  tx: Tx,
  tenantId: string,
  entity: CustomFieldEntity,
  owner: Owner,
  inputs: ValueInput[],
  path: (string | number)[],
): Promise<void> {
  await storeValues(tx, tenantId, owner, await prepareValues(tx, entity, inputs, path));
}

/**
 * The ticket fields that must have a value before a ticket is SOLVED and
 * have none on this ticket: one statement. VALIDATION names each at
 * input.customFields.<key>, where the caller can give it.
 */
export async function assertSolvable(db: TenantClient | Tx, ticketId: string): Promise<void> {
  const missing = await db.customFieldDefinition.findMany({
    where: { entity: "TICKET", active: true, requiredOnSolve: true, values: { none: { ticketId } } },
    select: { key: true, label: true },
    orderBy: [{ position: "asc" }, { key: "asc" }],
  });
  if (!missing.length) return;
  throw new AppError("VALIDATION", `Fill in before solving: ${missing.map((m) => m.label).join(", ")}`, {
    fields: missing.map((m) => ({ path: ["input", "customFields", m.key], message: "required to solve the ticket" })),
  });
}
