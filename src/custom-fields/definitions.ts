import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { AppError, notFound, validationError, type FieldProblem } from "../errors.js";
import { recordEvents } from "../events/outbox.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import type { CustomFieldEntity, CustomFieldType } from "../generated/prisma/enums.js";
import { assertConvertible } from "./conversion.js";

export interface DefinitionInput {
  key?: string | null;
  label?: string | null;
  description?: string | null;
  type?: CustomFieldType | null;
  options?: string[] | null;
  pattern?: string | null;
  min?: number | null;
  max?: number | null;
  requiredOnSolve?: boolean | null;
  personalData?: boolean | null;
  position?: number | null;
}

const SELECTS: readonly CustomFieldType[] = ["SINGLE_SELECT", "MULTI_SELECT"];
const MAX_FIELDS_PER_ENTITY = 200;

/** What the definition as a whole must satisfy, whatever the input changed. */
function problemsOf(d: Omit<CustomFieldDefinition, "id" | "tenantId" | "createdAt" | "updatedAt">): FieldProblem[] {
  const at = (field: string, message: string): FieldProblem => ({ path: ["input", field], message });
  const problems: FieldProblem[] = [];
  if (SELECTS.includes(d.type)) {
    if (!d.options.length) problems.push(at("options", "a select field needs at least one option"));
    if (new Set(d.options).size !== d.options.length) problems.push(at("options", "options must be unique"));
  } else if (d.options.length) problems.push(at("options", `only select fields have options, not ${d.type}`));
  if (d.pattern != null) {
    if (d.type !== "TEXT") problems.push(at("pattern", "only TEXT fields take a pattern"));
    else {
      try {
        new RegExp(d.pattern, "u");
      } catch {
        problems.push(at("pattern", "is not a valid regular expression"));
      }
    }
  }
  if ((d.min != null || d.max != null) && !["TEXT", "NUMBER", "MULTI_SELECT"].includes(d.type)) {
    problems.push(at("min", `${d.type} fields take no bounds`));
  }
  if (d.min != null && d.max != null && d.min > d.max) problems.push(at("max", "must not be below min"));
  if (d.personalData && d.entity === "ORGANIZATION")
    problems.push(at("personalData", "an organisation is not a person: its fields are not personal data"));
  if (d.requiredOnSolve && d.entity !== "TICKET") problems.push(at("requiredOnSolve", "only ticket fields can be required to solve"));
  return problems;
}

async function findDefinition(db: TenantClient | Tx, id: string) {
  const field = await db.customFieldDefinition.findUnique({ where: { id } });
  if (!field) throw notFound("Custom field");
  return field;
}

export async function createDefinition(
  ctx: Context,
  entity: CustomFieldEntity,
  input: DefinitionInput & { key: string; label: string; type: CustomFieldType },
) {
  const viewer = requireViewer(ctx);
  const draft = {
    entity,
    key: input.key,
    label: input.label,
    description: input.description ?? null,
    type: input.type,
    options: input.options ?? [],
    pattern: input.pattern ?? null,
    min: input.min ?? null,
    max: input.max ?? null,
    requiredOnSolve: input.requiredOnSolve ?? false,
    personalData: input.personalData ?? false,
    active: true,
    deactivatedAt: null,
    position: input.position ?? 0,
  };
  const problems = problemsOf(draft);
  if (problems.length) throw validationError(problems);
  return ctx.db.$transaction(async (tx) => {
    const clash = await tx.customFieldDefinition.findFirst({ where: { entity, key: input.key }, select: { id: true, active: true } });
    if (clash) {
      throw new AppError(
        "CONFLICT",
        clash.active
          ? `A ${entity} field with key ${input.key} exists`
          : `The key ${input.key} belongs to a deleted field; restore it with updateCustomField(active: true)`,
        { fields: [{ path: ["input", "key"], message: "already in use" }] },
      );
    }
    if ((await tx.customFieldDefinition.count({ where: { entity } })) >= MAX_FIELDS_PER_ENTITY) {
      throw new AppError("PLAN_LIMIT", `At most ${MAX_FIELDS_PER_ENTITY} custom fields per kind of record`);
    }
    return tx.customFieldDefinition.create({ data: { tenantId: viewer.tenantId, ...draft } });
  });
}

/**
 * Changes a definition. A new type applies to the stored values too, in the
 * same transaction, when every value converts (conversion.ts); otherwise
 * nothing changes (CONFLICT, with how many values stand in the way). Removing
 * an option still chosen somewhere is refused the same way. A new pattern or
 * bounds apply to values written from now on.
 */
export async function updateDefinition(ctx: Context, id: string, input: DefinitionInput & { active?: boolean | null }) {
  const viewer = requireViewer(ctx);
  return ctx.db.$transaction(async (tx) => {
    const current = await findDefinition(tx, id);
    const next = {
      ...current,
      ...Object.fromEntries(
        Object.entries(input).filter(([k, v]) => v !== undefined && (v !== null || ["description", "pattern", "min", "max"].includes(k))),
      ),
    } as CustomFieldDefinition;
    if (input.type && input.type !== current.type && input.options === undefined && !SELECTS.includes(input.type)) next.options = [];
    const problems = problemsOf(next);
    if (problems.length) throw validationError(problems);
    if (
      next.key !== current.key &&
      (await tx.customFieldDefinition.findFirst({ where: { entity: current.entity, key: next.key, id: { not: id } } }))
    ) {
      throw new AppError("CONFLICT", `A ${current.entity} field with key ${next.key} exists`, {
        fields: [{ path: ["input", "key"], message: "already in use" }],
      });
    }
    await assertConvertible(tx, viewer.tenantId, current, next);
    const reactivated = input.active === true && !current.active;
    return tx.customFieldDefinition.update({
      where: { id },
      data: {
        key: next.key,
        label: next.label,
        description: next.description,
        type: next.type,
        options: next.options,
        pattern: next.pattern,
        min: next.min,
        max: next.max,
        requiredOnSolve: next.requiredOnSolve,
        personalData: next.personalData,
        position: next.position,
        ...(reactivated ? { active: true, deactivatedAt: null } : {}),
      },
    });
  });
}

/**
 * Deleting a field deactivates it: its values stay (a record of what was
 * entered, erased with their subject like any other), it is no longer shown,
 * written, filtered on or searched, and its key stays reserved. The event
 * CUSTOM_FIELD_DEACTIVATED tells what follows the feed (rules naming the
 * field, saved views) that it is gone.
 */
export async function deactivateDefinition(ctx: Context, id: string) {
  const viewer = requireViewer(ctx);
  return ctx.db.$transaction(async (tx) => {
    const field = await findDefinition(tx, id);
    if (!field.active) return field;
    const updated = await tx.customFieldDefinition.update({ where: { id }, data: { active: false, deactivatedAt: new Date() } });
    await recordEvents(tx, viewer.tenantId, [
      { type: "CUSTOM_FIELD_DEACTIVATED", data: { fieldId: id, entity: field.entity, key: field.key } },
    ]);
    return updated;
  });
}
