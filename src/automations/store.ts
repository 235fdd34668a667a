import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import type { AutomationRule } from "../generated/prisma/client.js";
import type { Action, Conditions, Trigger } from "./rule.js";
import type { Timer } from "./timer.js";

type Db = TenantClient | Tx;

/** A rule with its JSON columns typed: they were validated when it was saved (validate.ts). */
export type StoredRule = Omit<AutomationRule, "conditions" | "actions" | "trigger" | "timer"> & {
  trigger: Trigger;
  /** TIME_ELAPSED rules only. */
  timer: Timer | null;
  conditions: Conditions;
  actions: Action[];
  /** The row as stored. */
  row: AutomationRule;
};

export function typed(rule: AutomationRule): StoredRule {
  const c = (rule.conditions ?? {}) as Partial<Conditions>;
  return {
    ...rule,
    row: rule,
    trigger: rule.trigger as Trigger,
    timer: (rule.timer as Timer | null) ?? null,
    conditions: { all: c.all ?? [], any: c.any ?? [] },
    actions: (rule.actions ?? []) as unknown as Action[],
  };
}

/** The tenant's enabled rules in the order they run. */
export async function enabledRules(db: Db): Promise<StoredRule[]> {
  const rows = await db.automationRule.findMany({ where: { enabled: true }, orderBy: [{ position: "asc" }, { id: "asc" }] });
  return rows.map(typed);
}

/**
 * Disables the enabled rules with an action naming `id` under `key` (a
 * deleted macro: macroId), with the reason, in the caller's transaction.
 * Returns how many.
 */
export async function disableRulesNaming(tx: Tx, tenantId: string, key: "macroId" | "endpointId" | "agentId", id: string, reason: string) {
  const naming = JSON.stringify([{ [key]: id }]);
  return tx.$executeRaw`
    UPDATE "AutomationRule" SET "enabled" = false, "disabledReason" = ${reason}, "updatedAt" = now()
    WHERE "tenantId" = ${tenantId}::uuid AND "enabled" AND "actions" @> ${naming}::jsonb`;
}
