import type { Context } from "../context.js";
import { inTransaction } from "../db/tx.js";
import { AppError, notFound } from "../errors.js";
import { Prisma, type AutomationRule } from "../generated/prisma/client.js";
import { messageFacts, needsOf, ticketFacts } from "./facts.js";
import { conditionHolds, matches } from "./match.js";
import type { Action, Condition, Conditions, Trigger } from "./rule.js";
import { typed, type StoredRule } from "./store.js";
import { checkTimer, type TimerInput } from "./timer.js";
import { cancelRuleTimers } from "./timers.js";
import { checkActions, checkConditions } from "./validate.js";

/** Rules a tenant may have: every event is matched against each of its trigger's. */
export const MAX_RULES = 500;

export interface RuleInput {
  name?: string | null;
  trigger?: Trigger | null;
  conditions?: Partial<Conditions> | null;
  actions?: Action[] | null;
  /** TIME_ELAPSED rules: when the time is up (timer.ts). */
  timer?: TimerInput | null;
  enabled?: boolean | null;
}

export function listRules(ctx: Context): Promise<AutomationRule[]> {
  return ctx.db.automationRule.findMany({ orderBy: [{ position: "asc" }, { id: "asc" }] });
}

async function findRule(ctx: Context, id: string): Promise<StoredRule> {
  const rule = await ctx.db.automationRule.findUnique({ where: { id } });
  if (!rule) throw notFound("Automation rule");
  return typed(rule);
}

const conditionsOf = (c: Partial<Conditions> | null | undefined): Conditions => ({ all: c?.all ?? [], any: c?.any ?? [] });

/** A new rule runs after the tenant's others (reorderAutomationRules moves it). */
export async function createRule(ctx: Context, input: RuleInput & { name: string; trigger: Trigger }): Promise<AutomationRule> {
  const timer = checkTimer(input.trigger, input.timer);
  const conditions = await checkConditions(ctx.db, input.trigger, conditionsOf(input.conditions));
  const actions = await checkActions(ctx.db, input.actions ?? []);
  if (!actions.length)
    throw new AppError("VALIDATION", "A rule needs at least one action", { fields: [{ path: ["input", "actions"], message: "empty" }] });
  return inTransaction(ctx.db, async (tx) => {
    const count = await tx.automationRule.count();
    if (count >= MAX_RULES) throw new AppError("PLAN_LIMIT", `A tenant has at most ${MAX_RULES} automation rules`, { limit: MAX_RULES });
    const last = await tx.automationRule.aggregate({ _max: { position: true } });
    return tx.automationRule.create({
      data: {
        tenantId: ctx.viewer!.tenantId,
        name: input.name,
        trigger: input.trigger,
        conditions: conditions as unknown as Prisma.InputJsonObject,
        actions: actions as unknown as Prisma.InputJsonArray,
        timer: timer ? (timer as unknown as Prisma.InputJsonObject) : Prisma.DbNull,
        enabled: input.enabled ?? true,
        position: (last._max.position ?? -1) + 1,
      },
    });
  });
}

/** Saving a rule checks it whole again; a rule the system disabled is enabled again only by saying so (enabled: true). */
export async function updateRule(ctx: Context, id: string, input: RuleInput): Promise<AutomationRule> {
  const current = await findRule(ctx, id);
  const trigger = input.trigger ?? current.trigger;
  // A rule moved off TIME_ELAPSED drops its timer; one kept on it keeps its timer unless a new one is given.
  const timer = checkTimer(trigger, input.timer ?? (trigger === "TIME_ELAPSED" ? current.timer : null));
  const conditions = await checkConditions(ctx.db, trigger, input.conditions ? conditionsOf(input.conditions) : current.conditions);
  const actions = await checkActions(ctx.db, input.actions ?? current.actions);
  if (!actions.length)
    throw new AppError("VALIDATION", "A rule needs at least one action", { fields: [{ path: ["input", "actions"], message: "empty" }] });
  const enabled = input.enabled ?? current.enabled;
  return inTransaction(ctx.db, async (tx) => {
    // Timers set for the rule as it was go: the new one starts at each ticket's next change.
    const sameTimer = enabled && trigger === current.trigger && JSON.stringify(timer) === JSON.stringify(current.timer);
    if (!sameTimer) await cancelRuleTimers(tx, ctx.viewer!.tenantId, id);
    return tx.automationRule.update({
      where: { id },
      data: {
        ...(input.name ? { name: input.name } : {}),
        trigger,
        conditions: conditions as unknown as Prisma.InputJsonObject,
        actions: actions as unknown as Prisma.InputJsonArray,
        timer: timer ? (timer as unknown as Prisma.InputJsonObject) : Prisma.DbNull,
        enabled,
        // Checked again just now: whatever was missing is back, or the save was refused.
        ...(enabled ? { disabledReason: null } : {}),
      },
    });
  });
}

export async function deleteRule(ctx: Context, id: string): Promise<void> {
  await findRule(ctx, id);
  await inTransaction(ctx.db, async (tx) => {
    await cancelRuleTimers(tx, ctx.viewer!.tenantId, id);
    await tx.automationRule.delete({ where: { id } });
  });
}

/** Sets the order of all the tenant's rules at once, in one statement: `ids` names each exactly once. */
export async function reorderRules(ctx: Context, ids: string[]): Promise<AutomationRule[]> {
  return inTransaction(ctx.db, async (tx) => {
    const existing = (await tx.automationRule.findMany({ select: { id: true } })).map((r) => r.id);
    const given = new Set(ids);
    const missing = existing.filter((id) => !given.has(id));
    const unknown = [...given].filter((id) => !existing.includes(id));
    if (missing.length || unknown.length || given.size !== ids.length) {
      throw new AppError("VALIDATION", "Give every rule of the tenant exactly once", {
        fields: [{ path: ["ids"], message: `missing ${missing.length}, unknown ${unknown.length}, repeated ${ids.length - given.size}` }],
      });
    }
    if (ids.length) {
      await tx.$executeRaw`
        UPDATE "AutomationRule" r SET "position" = o.pos - 1, "updatedAt" = now()
        FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS o(id, pos)
        WHERE r."id" = o.id AND r."tenantId" = ${ctx.viewer!.tenantId}::uuid`;
    }
    return tx.automationRule.findMany({ orderBy: [{ position: "asc" }, { id: "asc" }] });
  });
}

export interface TestResult {
  rule: AutomationRule;
  matched: boolean;
  conditions: { condition: Condition; group: "all" | "any"; holds: boolean }[];
  /** The actions the rule would apply (when it matches and is enabled). */
  actions: Action[];
}

/**
 * A dry run: which rules match the ticket as it is now (MESSAGE_ADDED rules
 * against its latest message), condition by condition, and what they would
 * do. Reads only.
 */
export async function testRules(ctx: Context, ticketId: string, ruleId?: string | null): Promise<TestResult[]> {
  const rules = ruleId ? [await findRule(ctx, ruleId)] : (await listRules(ctx)).map(typed);
  const needs = needsOf(rules);
  const ticket = (await ticketFacts(ctx.db, [ticketId], needs)).get(ticketId);
  if (!ticket) throw notFound("Ticket");
  const latest = await ctx.db.message.findFirst({
    where: { ticketId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { id: true },
  });
  const message = latest ? ((await messageFacts(ctx.db, [latest.id], needs)).get(latest.id) ?? null) : null;
  return rules.map((rule) => {
    const onMessage = rule.trigger === "MESSAGE_ADDED" ? message : null;
    const matched = rule.enabled && matches(rule.conditions, ticket, onMessage);
    return {
      rule: rule.row,
      matched,
      conditions: (["all", "any"] as const).flatMap((group) =>
        rule.conditions[group].map((condition) => ({ condition, group, holds: conditionHolds(condition, ticket, onMessage) })),
      ),
      actions: matched ? rule.actions : [],
    };
  });
}
