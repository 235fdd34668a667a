import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { Tx } from "../db/tx.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { AppError, notFound, validationError, type FieldProblem } from "../errors.js";
import type { Channel, TicketPriority } from "../generated/prisma/enums.js";

export interface SlaPolicyInput {
  name: string;
  enabled: boolean;
  calendarId: string | null;
  priorities: TicketPriority[];
  channels: Channel[];
  tags: string[];
  organizationIds: string[];
  firstResponseMinutes: number | null;
  nextResponseMinutes: number | null;
  resolutionMinutes: number | null;
  warnAtPercent: number;
  warnMinutesBefore: number | null;
}

export type SlaPolicyPatch = Partial<SlaPolicyInput>;

/** A year of round-the-clock minutes: a longer target is a typo. */
const MAX_TARGET = 525_600;

const nameTaken = () =>
  new AppError("CONFLICT", "An SLA policy with this name exists", { fields: [{ path: ["input", "name"], message: "already taken" }] });

/** Checks a policy as a whole (after a patch is applied) and the rows it names, in the tenant. */
async function check(tx: Tx, p: SlaPolicyInput): Promise<void> {
  const problems: FieldProblem[] = [];
  const targets = ["firstResponseMinutes", "nextResponseMinutes", "resolutionMinutes"] as const;
  for (const f of targets) {
    const v = p[f];
    if (v !== null && (!Number.isInteger(v) || v < 1 || v > MAX_TARGET)) {
      problems.push({ path: ["input", f], message: `must be a whole number of minutes, 1 to ${MAX_TARGET}` });
    }
  }
  if (targets.every((f) => p[f] === null))
    problems.push({ path: ["input", "firstResponseMinutes"], message: "a policy needs at least one target" });
  if (!Number.isInteger(p.warnAtPercent) || p.warnAtPercent < 1 || p.warnAtPercent > 99) {
    problems.push({ path: ["input", "warnAtPercent"], message: "must be 1 to 99" });
  }
  if (
    p.warnMinutesBefore !== null &&
    (!Number.isInteger(p.warnMinutesBefore) || p.warnMinutesBefore < 1 || p.warnMinutesBefore > MAX_TARGET)
  ) {
    problems.push({ path: ["input", "warnMinutesBefore"], message: `must be 1 to ${MAX_TARGET}` });
  }
  if (p.calendarId && !(await tx.calendar.findUnique({ where: { id: p.calendarId }, select: { id: true } }))) {
    problems.push({ path: ["input", "calendarId"], message: "no such calendar" });
  }
  if (p.organizationIds.length) {
    const found = await tx.organization.count({ where: { id: { in: p.organizationIds } } });
    if (found !== new Set(p.organizationIds).size)
      problems.push({ path: ["input", "organizationIds"], message: "names an organisation that does not exist" });
  }
  if (problems.length) throw validationError(problems);
}

const data = (p: SlaPolicyInput) => ({
  ...p,
  tags: [...new Set(p.tags.map((t) => t.trim().toLowerCase()))],
  organizationIds: [...new Set(p.organizationIds)],
  priorities: [...new Set(p.priorities)],
  channels: [...new Set(p.channels)],
});

/** A new policy goes last: existing tickets keep theirs until their next change, new ones are matched with it. */
export async function createSlaPolicy(ctx: Context, input: SlaPolicyInput) {
  const { tenantId } = requireViewer(ctx);
  try {
    return await ctx.db.$transaction(async (tx) => {
      await check(tx, input);
      const last = await tx.slaPolicy.aggregate({ _max: { position: true } });
      return tx.slaPolicy.create({ data: { ...data(input), tenantId, position: (last._max.position ?? 0) + 1 } });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

export async function updateSlaPolicy(ctx: Context, id: string, patch: SlaPolicyPatch) {
  try {
    return await ctx.db.$transaction(async (tx) => {
      const row = await tx.slaPolicy.findUnique({ where: { id } });
      if (!row) throw notFound("SLA policy");
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const merged: SlaPolicyInput = {
        name: row.name,
        enabled: row.enabled,
        calendarId: row.calendarId,
        priorities: row.priorities as TicketPriority[],
        channels: row.channels as Channel[],
        tags: row.tags,
        organizationIds: row.organizationIds,
        firstResponseMinutes: row.firstResponseMinutes,
        nextResponseMinutes: row.nextResponseMinutes,
        resolutionMinutes: row.resolutionMinutes,
        warnAtPercent: row.warnAtPercent,
        warnMinutesBefore: row.warnMinutesBefore,
        ...defined,
      };
      await check(tx, merged);
      return tx.slaPolicy.update({ where: { id }, data: data(merged) });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

/** Tickets under it keep their breaches and lose their running clocks at their next change (they match another policy, or none). */
export async function deleteSlaPolicy(ctx: Context, id: string) {
  const { count } = await ctx.db.slaPolicy.deleteMany({ where: { id } });
  if (!count) throw notFound("SLA policy");
}

/** The order policies are tried in: `ids` must list every policy of the tenant once. One statement writes every position. */
export async function reorderSlaPolicies(ctx: Context, ids: string[]) {
  const { tenantId } = requireViewer(ctx);
  return ctx.db.$transaction(async (tx) => {
    const existing = await tx.slaPolicy.findMany({ select: { id: true } });
    const known = new Set(existing.map((p) => p.id));
    if (new Set(ids).size !== ids.length || ids.length !== known.size || ids.some((id) => !known.has(id))) {
      throw new AppError("VALIDATION", "List every SLA policy exactly once", {
        fields: [{ path: ["ids"], message: `expected the ${known.size} policies of the tenant, each once` }],
      });
    }
    await tx.$executeRaw`
      UPDATE "SlaPolicy" p SET "position" = o."position", "updatedAt" = now() AT TIME ZONE 'UTC'
      FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS o("id", "position")
      WHERE p."id" = o."id" AND p."tenantId" = ${tenantId}::uuid`;
  });
}
