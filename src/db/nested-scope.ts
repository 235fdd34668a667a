import { getDatamodel } from "../generated/pothos-prisma-types.js";

type AnyArgs = Record<string, any>;
type Relation = { target: string; isList: boolean };

const models = getDatamodel().datamodel.models;

/** Per model, its relation fields: which model each one reaches, and whether it is a list. */
const RELATIONS = new Map<string, Map<string, Relation>>(
  Object.entries(models).map(([name, m]) => [
    name,
    new Map(m.fields.filter((f) => f.kind === "object").map((f) => [f.name, { target: f.type, isList: f.isList }])),
  ]),
);

/** Models that carry a tenantId column, read from the generated datamodel. */
export const TENANT_MODELS = new Set(
  Object.entries(models)
    .filter(([, m]) => m.fields.some((f) => f.name === "tenantId"))
    .map(([name]) => name),
);

const withTenant = (where: unknown, tenantId: string) => (where ? { AND: [where, { tenantId }] } : { tenantId });

/**
 * Adds `tenantId` to every list relation read inside `include` / `select` (and
 * `_count`), at any depth, for a query of `model`.
 *
 * Nested rows are reached through their parent's foreign key, so a nested `where`
 * can only narrow what the parent already owns; this is a second wall, not the
 * first. It also matters for speed: with relationJoins each list relation is a
 * LATERAL subquery per parent row, and the indexes on child tables lead with
 * tenantId (Message has ("tenantId", "ticketId", "createdAt") and nothing on
 * "ticketId" alone), so without the tenant the subquery scans the table.
 * To-one relations take no `where` in Prisma; they are joined on a primary key.
 */
export function scopeNested(model: string, args: AnyArgs, tenantId: string): AnyArgs {
  const relations = RELATIONS.get(model);
  if (!relations) return args;
  let out = args;
  for (const key of ["include", "select"] as const) {
    const tree = args[key];
    if (!tree || typeof tree !== "object") continue;
    const scoped: AnyArgs = {};
    for (const [field, value] of Object.entries(tree as AnyArgs)) {
      const relation = relations.get(field);
      if (field === "_count") scoped[field] = scopeCount(relations, value, tenantId);
      else if (!relation || !value) scoped[field] = value;
      else {
        const nested: AnyArgs = value === true ? {} : value;
        const confined =
          relation.isList && TENANT_MODELS.has(relation.target) ? { ...nested, where: withTenant(nested.where, tenantId) } : nested;
        const result = scopeNested(relation.target, confined, tenantId);
        // A bare `true` on a to-one relation stays as it was.
        scoped[field] = value === true && result === nested ? true : result;
      }
    }
    out = { ...out, [key]: scoped };
  }
  return out;
}

/** `_count: { select: { messages: true | { where } } }`: each counted list gets the tenant too. */
function scopeCount(relations: Map<string, Relation>, value: unknown, tenantId: string): unknown {
  const select = (value as AnyArgs | undefined)?.select;
  if (!select || typeof select !== "object") return value;
  const scoped: AnyArgs = {};
  for (const [field, v] of Object.entries(select as AnyArgs)) {
    const relation = relations.get(field);
    if (!v || !relation || !TENANT_MODELS.has(relation.target)) scoped[field] = v;
    else scoped[field] = { ...(v === true ? {} : v), where: withTenant(v === true ? undefined : v.where, tenantId) };
  }
  return { ...(value as AnyArgs), select: scoped };
}
