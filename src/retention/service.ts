import { AppError, validationError } from "../errors.js";
import type { RetentionAction, RetentionRule } from "../generated/prisma/client.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { TARGET_NAMES, TARGETS, type TargetName } from "./targets.js";

export const MAX_KEEP_DAYS = 36_500;

/** One target with the tenant's rule for it, if any. */
export interface PolicyEntry {
  target: TargetName;
  rule: RetentionRule | null;
}

export async function retentionPolicy(ctx: Context): Promise<PolicyEntry[]> {
  const rules = await ctx.db.retentionRule.findMany();
  return TARGET_NAMES.map((target) => ({ target, rule: rules.find((r) => r.target === target) ?? null }));
}

export async function setRetentionRule(ctx: Context, target: TargetName, keepDays: number, action: RetentionAction): Promise<PolicyEntry> {
  const { tenantId } = requireViewer(ctx);
  if (TARGETS[target].fixed) {
    throw validationError([{ path: ["target"], message: `${target} has a fixed period that no rule changes` }]);
  }
  const allowed = TARGETS[target].actions;
  if (!allowed.includes(action)) {
    throw validationError([{ path: ["action"], message: `${target} allows ${allowed.join(" or ")}` }]);
  }
  if (!Number.isInteger(keepDays) || keepDays < 1 || keepDays > MAX_KEEP_DAYS) {
    throw validationError([{ path: ["keepDays"], message: `must be a whole number of days from 1 to ${MAX_KEEP_DAYS}` }]);
  }
  const rule = await ctx.db.retentionRule.upsert({
    where: { tenantId_target: { tenantId, target } },
    create: { tenantId, target, keepDays, action },
    update: { keepDays, action },
  });
  return { target, rule };
}

/** Stops sweeping a target. Rows already deleted or anonymised stay so. */
export async function removeRetentionRule(ctx: Context, target: TargetName): Promise<PolicyEntry> {
  const { count } = await ctx.db.retentionRule.deleteMany({ where: { target } });
  if (!count) throw new AppError("NOT_FOUND", `No retention rule for ${target}`);
  return { target, rule: null };
}
