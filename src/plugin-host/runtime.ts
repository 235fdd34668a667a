import { randomUUID } from "node:crypto";
import type { Permission } from "../auth/permissions.js";
import { createContext, type Context, type ContextInput } from "../context.js";
import { installOf, openSettings } from "./installs.js";
import { throughGateway } from "./gateway.js";
import type { PluginDefinition, PluginRuntime } from "./plugin.js";

type Services = Pick<ContextInput, "config" | "database" | "log" | "signInLimiter" | "plugins" | "realtime">;

/** What a plugin may do in the core on its own: work tickets and contacts, nothing about the team. */
const PLUGIN_PERMISSIONS: ReadonlySet<Permission> = new Set([
  "tickets:read",
  "tickets:write",
  "notes:read",
  "notes:write",
  "contacts:read",
  "contacts:write",
]);

/** A core context in which a plugin acts for one tenant, as the system. */
export function systemContext(services: Services, tenantId: string, pluginId: string, requestId: string = randomUUID()): Context {
  return createContext({
    ...services,
    requestId,
    clientIp: `plugin:${pluginId}`,
    log: services.log.child({ requestId, pluginId }),
    viewer: { kind: "system", tenantId, pluginId, permissions: PLUGIN_PERMISSIONS },
  });
}

/**
 * The runtime for an enabled plugin in a tenant, or null when it is not enabled
 * there. With evenIfDisabled, an installed but disabled plugin gets one too:
 * every call it makes is then refused by the gateway (PLUGIN_DISABLED) and recorded.
 */
export async function runtimeFor(
  services: Services,
  tenantId: string,
  def: PluginDefinition,
  requestId?: string,
  options: { evenIfDisabled?: boolean } = {},
): Promise<PluginRuntime | null> {
  const pluginId = def.manifest.id;
  const core = systemContext(services, tenantId, pluginId, requestId);
  const install = await installOf(core, pluginId);
  if (!install || (!install.enabled && !options.evenIfDisabled)) return null;
  return {
    tenantId,
    pluginId,
    settings: openSettings(core, install),
    core,
    log: core.log,
    call: (request, fn) => throughGateway(core, pluginId, request, fn),
  };
}

/**
 * Tells every plugin installed in the tenant that a message was committed. A
 * disabled one hears of it too, so that a channel (SMS) can mark a reply as not
 * sent instead of it silently going nowhere: whatever it tries is refused by
 * the gateway with PLUGIN_DISABLED, and recorded. A plugin's failure is logged, not thrown.
 */
export async function announceMessageCreated(ctx: Context, event: { messageId: string; ticketId: string }): Promise<void> {
  const tenantId = ctx.viewer?.tenantId;
  if (!tenantId) return;
  for (const def of ctx.plugins.registry.list()) {
    if (!def.onMessageCreated) continue;
    // The message is committed: whatever a plugin does (or fails to do) cannot undo or fail it.
    try {
      const runtime = await runtimeFor(ctx, tenantId, def, ctx.requestId, { evenIfDisabled: true });
      if (runtime) await def.onMessageCreated(runtime, event);
    } catch (err) {
      ctx.log.error({ err, pluginId: def.manifest.id }, "plugin failed on messageCreated");
    }
  }
}
