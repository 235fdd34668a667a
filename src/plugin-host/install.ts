import type { Context } from "../context.js";
import type { PluginInstall } from "../generated/prisma/client.js";

/**
 * Reading a tenant's install of a plugin. Kept apart from installs.ts (which
 * changes installs and calls plugins through their runtime) so that the
 * gateway and the runtime can read installs without importing what calls them.
 */
export const installOf = (ctx: Context, pluginId: string) => ctx.db.pluginInstall.findFirst({ where: { pluginId } });

/** Settings as the plugin receives them: plain values and opened secrets. */
export function openSettings(ctx: Pick<Context, "plugins">, install: Pick<PluginInstall, "config" | "secrets">): Record<string, string> {
  const plain = (install.config ?? {}) as Record<string, string>;
  const sealed = (install.secrets ?? {}) as Record<string, string>;
  return { ...plain, ...Object.fromEntries(Object.entries(sealed).map(([k, v]) => [k, ctx.plugins.secrets.open(v)])) };
}
