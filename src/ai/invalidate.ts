import type { TenantClient } from "../db/tenant-scope.js";

/**
 * Someone's data must leave the tenant's local AI models: they objected to
 * ai.assistance (or lifted an objection), were restricted or erased, or
 * retention removed messages. Every instance stops using the model at once
 * (LocalModels.current reads the mark) and trains a new one without them.
 * One statement; safe inside the caller's transaction. Imports nothing that
 * runs, so that privacy code can call it without a cycle.
 */
export async function invalidateAiModels(db: Pick<TenantClient, "aiSettings">, tenantId: string): Promise<void> {
  const now = new Date();
  await db.aiSettings.upsert({ where: { tenantId }, create: { tenantId, modelsInvalidatedAt: now }, update: { modelsInvalidatedAt: now } });
}
