import type { Context } from "../context.js";
import type { ErasureResult } from "./plugin.js";
import { runtimeFor } from "./runtime.js";

/**
 * Asks every plugin installed in the tenant that keeps data to erase a data
 * subject, for the erasure receipt: a disabled one too, since what its vendor
 * kept while it was enabled is still there (erase calls only delete, and the
 * gateway lets them through). A plugin that fails is reported as such,
 * so the receipt never claims more than happened.
 */
export async function eraseAtPlugins(
  ctx: Context,
  tenantId: string,
  subject: { contactId: string; email: string | null; phone: string | null },
): Promise<(ErasureResult & { pluginId: string; ok: boolean })[]> {
  const results = [];
  for (const def of ctx.plugins.registry.list()) {
    if (!def.erase || !def.manifest.storesData) continue;
    const runtime = await runtimeFor(ctx, tenantId, def, ctx.requestId, { evenIfDisabled: true }).catch(() => null);
    if (!runtime) continue;
    try {
      results.push({ pluginId: def.manifest.id, ok: true, ...(await def.erase(runtime, subject)) });
    } catch (err) {
      ctx.log.error({ err, pluginId: def.manifest.id }, "plugin erase hook failed");
      results.push({
        pluginId: def.manifest.id,
        ok: false,
        store: def.manifest.name,
        deleted: 0,
        note: `failed: ${(err as Error).message}`,
      });
    }
  }
  return results;
}
