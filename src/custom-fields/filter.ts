import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { validationError, type FieldProblem } from "../errors.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import type { CustomFieldEntity } from "../generated/prisma/enums.js";
import { COLUMN_OF, EXPECTED, parseLiteral, type Literal } from "./literal.js";

/** A condition on one custom field; operands are written as text and read as the field's type. */
export interface FieldCondition {
  key: string;
  equals?: string | null;
  in?: string[] | null;
  gt?: string | null;
  lt?: string | null;
  isSet?: boolean | null;
}

const MAX_CONDITIONS = 20;

/** The active fields of a kind of record among `keys`, by key: one query. */
export async function activeFields(db: TenantClient | Tx, entity: CustomFieldEntity, keys: string[]) {
  if (!keys.length) return new Map<string, CustomFieldDefinition>();
  const fields = await db.customFieldDefinition.findMany({ where: { entity, active: true, key: { in: [...new Set(keys)] } } });
  return new Map(fields.map((f) => [f.key, f]));
}

/**
 * The keys among `keys` that name no active field of that kind of record:
 * what a saved view or a rule that names them should report. Rules
 * (automations) call this when they are saved and when CUSTOM_FIELD_DEACTIVATED
 * arrives.
 */
export async function missingFields(db: TenantClient | Tx, entity: CustomFieldEntity, keys: string[]): Promise<string[]> {
  const found = await activeFields(db, entity, keys);
  return [...new Set(keys)].filter((k) => !found.has(k));
}

const ORDERED = new Set(["NUMBER", "DATE", "TEXT"]);

/** One condition as a Prisma `where` on the record, or the problems with it. */
function whereOf(field: CustomFieldDefinition, c: FieldCondition, at: (string | number)[], problems: FieldProblem[]): object[] {
  const column = COLUMN_OF[field.type];
  const read = (s: string, op: string): Literal | undefined => {
    const v = parseLiteral(field.type, s);
    if (v === null) problems.push({ path: [...at, op], message: `${field.key} is ${field.type}: expected ${EXPECTED[field.type]}` });
    return v ?? undefined;
  };
  const some = (cond: object) => ({ customValues: { some: { fieldId: field.id, ...cond } } });
  const out: object[] = [];
  if (c.isSet === true) out.push(some({}));
  if (c.isSet === false) out.push({ customValues: { none: { fieldId: field.id } } });
  if (c.equals != null) {
    const v = read(c.equals, "equals");
    if (v !== undefined) out.push(some(column === "options" ? { options: { has: v } } : { [column]: v }));
  }
  if (c.in != null) {
    const vs = c.in.map((s) => read(s, "in")).filter((v) => v !== undefined);
    out.push(some(column === "options" ? { options: { hasSome: vs } } : { [column]: { in: vs } }));
  }
  for (const op of ["gt", "lt"] as const) {
    if (c[op] == null) continue;
    if (!ORDERED.has(field.type)) {
      problems.push({ path: [...at, op], message: `${field.type} values have no order` });
      continue;
    }
    const v = read(c[op]!, op);
    if (v !== undefined) out.push(some({ [column]: { [op]: v } }));
  }
  return out;
}

/**
 * Conditions on custom fields as Prisma `where` clauses on the record (each
 * an EXISTS on CustomFieldValue, along its (tenantId, fieldId, column)
 * indexes). `onMissing`: "refuse" gives VALIDATION for keys of no active
 * field; "skip" leaves their conditions out and returns the keys (a saved
 * view reports them instead of failing).
 */
export async function fieldConditions(
  db: TenantClient,
  entity: CustomFieldEntity,
  conditions: FieldCondition[],
  path: (string | number)[],
  onMissing: "refuse" | "skip",
): Promise<{ where: object[]; missing: string[] }> {
  if (!conditions.length) return { where: [], missing: [] };
  if (conditions.length > MAX_CONDITIONS) throw validationError([{ path, message: `at most ${MAX_CONDITIONS} conditions` }]);
  const fields = await activeFields(
    db,
    entity,
    conditions.map((c) => c.key),
  );
  const problems: FieldProblem[] = [];
  const missing: string[] = [];
  const where = conditions.flatMap((c, i) => {
    const field = fields.get(c.key);
    if (field) return whereOf(field, c, [...path, i], problems);
    if (onMissing === "refuse") problems.push({ path: [...path, i, "key"], message: `no ${entity} field with key ${c.key}` });
    else missing.push(c.key);
    return [];
  });
  if (problems.length) throw validationError(problems);
  return { where, missing: [...new Set(missing)] };
}
