import { randomUUID } from "node:crypto";
import type { Permission } from "../auth/permissions.js";
import { createContext, type Context } from "../context.js";
import { installOf, openSettings } from "./install.js";
import { throughGateway } from "./gateway.js";
import type { PluginRuntime, PluginServices as Services } from "./plugin.js";
import type { LoadedPlugin } from "./registry.js";

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
 * Its settings are what the tenant saved, typed by the plugin's own code
 * (SettingsOf its manifest): the host stores them as strings by key.
 */
export async function runtimeFor(
  services: Services,
  tenantId: string,
  def: LoadedPlugin,
  requestId?: string,
  options: { evenIfDisabled?: boolean } = {},
): Promise<PluginRuntime<any, any> | null> {
  const pluginId = def.manifest.id;
  const core = systemContext(services, tenantId, pluginId, requestId);
  const install = await installOf(core, pluginId);
  if (!install || (!install.enabled && !options.evenIfDisabled)) return null;
  return {
    tenantId,
    pluginId,
    settings: openSettings(core, install),
    options: services.plugins.registry.optionsOf(pluginId),
    core,
    log: core.log,
    call: (request, fn) => throughGateway(core, pluginId, request, fn),
  };
}
