import { recordAuditIn } from "../audit/service.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type { SpecialCategory } from "./pseudonymise/special-categories.js";

export interface AiSettingsShape {
  enabled: boolean;
  allowedSpecialCategories: SpecialCategory[];
  fallbackToLocal: boolean;
  modelsInvalidatedAt: Date | null;
}

/** What a tenant that never changed anything gets: AI on, no special category allowed, fallback to the local provider. */
const DEFAULTS: AiSettingsShape = { enabled: true, allowedSpecialCategories: [], fallbackToLocal: true, modelsInvalidatedAt: null };

/** The tenant's AI settings, its defaults where it has no row: one statement. */
export async function aiSettingsOf(db: TenantClient): Promise<AiSettingsShape> {
  const row = await db.aiSettings.findFirst();
  return row ? { ...row, allowedSpecialCategories: row.allowedSpecialCategories as SpecialCategory[] } : DEFAULTS;
}

export async function updateAiSettings(
  ctx: Context,
  changes: Partial<Omit<AiSettingsShape, "modelsInvalidatedAt">>,
): Promise<AiSettingsShape> {
  const { tenantId } = requireViewer(ctx);
  const data = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined && v !== null));
  await ctx.db.$transaction(async (tx) => {
    await tx.aiSettings.upsert({ where: { tenantId }, create: { tenantId, ...data }, update: data });
    await recordAuditIn(tx, ctx, { action: "ai.settingsChanged", details: { ...data } });
  });
  return aiSettingsOf(ctx.db);
}
