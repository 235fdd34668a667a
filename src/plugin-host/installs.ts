import { recordAudit, recordAuditIn } from "../audit/service.js";
import { assertPluginInPlan } from "../billing/limits.js";
import { AppError } from "../errors.js";
import type { PluginInstall } from "../generated/prisma/client.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { outboundGuard } from "../outbound/guard.js";
import { checkOutboundUrl } from "../outbound/url.js";
import { installOf } from "./install.js";
import type { LoadedPlugin } from "./registry.js";
import { runtimeFor } from "./runtime.js";
import { transferStatus, transfersOutsideEea } from "./transfer.js";

export function pluginOrThrow(ctx: Context, pluginId: string): LoadedPlugin {
  const def = ctx.plugins.registry.get(pluginId);
  // Operator plugins (billing) are the operator's, run from its configuration: nothing a tenant installs.
  if (!def || def.manifest.operatorManaged) throw new AppError("NOT_FOUND", `No plugin "${pluginId}"`);
  return def;
}

function missingSettings(def: LoadedPlugin, install: Pick<PluginInstall, "config" | "secrets"> | null): string[] {
  const present = new Set([...Object.keys((install?.config ?? {}) as object), ...Object.keys((install?.secrets ?? {}) as object)]);
  return def.manifest.config.filter((f) => f.required && !present.has(f.key)).map((f) => f.key);
}

/** Sets or clears settings; secret ones are sealed and never come back out through the API. */
export async function configurePlugin(ctx: Context, pluginId: string, changes: { key: string; value: string | null }[]) {
  const viewer = requireViewer(ctx);
  const def = pluginOrThrow(ctx, pluginId);
  const fields = new Map(def.manifest.config.map((f) => [f.key, f]));
  const unknown = changes.filter((c) => !fields.has(c.key));
  if (unknown.length) {
    throw new AppError("VALIDATION", `Unknown settings for ${pluginId}: ${unknown.map((c) => c.key).join(", ")}`, {
      fields: unknown.map((c) => ({ path: ["settings", c.key], message: "unknown setting" })),
    });
  }
  // A URL the server will call must point where the operator lets it go, whoever saves it.
  for (const { key, value } of changes) {
    if (fields.get(key)!.type === "url" && value) await checkOutboundUrl(outboundGuard(ctx.config), value, ["settings", key]);
  }
  const current = await installOf(ctx, pluginId);
  const config = { ...((current?.config ?? {}) as Record<string, string>) };
  const secrets = { ...((current?.secrets ?? {}) as Record<string, string>) };
  for (const { key, value } of changes) {
    const target = fields.get(key)!.secret ? secrets : config;
    if (value === null || value === "") delete target[key];
    else target[key] = fields.get(key)!.secret ? ctx.plugins.secrets.seal(value) : value;
  }
  return ctx.db.$transaction(async (tx) => {
    const install = await tx.pluginInstall.upsert({
      where: { tenantId_pluginId: { tenantId: viewer.tenantId, pluginId } },
      create: { tenantId: viewer.tenantId, pluginId, config, secrets },
      update: { config, secrets },
    });
    // Which settings changed, never their values.
    await recordAuditIn(tx, ctx, { action: "plugin.configured", details: { pluginId, settings: changes.map((c) => c.key) } });
    return install;
  });
}

/**
 * Switches a plugin on. With EU residency and processing outside the EEA, the
 * admin must accept the transfer (acceptTransfer: true); the acceptance names
 * who, when, and which manifest version, locations and categories.
 */
export async function enablePlugin(ctx: Context, pluginId: string, acceptTransfer: boolean) {
  const viewer = requireViewer(ctx);
  const def = pluginOrThrow(ctx, pluginId);
  // Before anything else: configuring it would not help when the plan does not include it.
  await assertPluginInPlan(ctx, pluginId);
  const tenant = await ctx.db.tenant.findUniqueOrThrow({ where: { id: viewer.tenantId } });
  const install = await installOf(ctx, pluginId);
  const missing = missingSettings(def, install);
  if (missing.length) {
    throw new AppError("VALIDATION", `Configure ${pluginId} first: ${missing.join(", ")} missing`, {
      fields: missing.map((key) => ({ path: ["settings", key], message: "required" })),
    });
  }
  const status = transferStatus(tenant.dataResidency, def.manifest, install);
  if (status === "ACCEPTANCE_REQUIRED" && !acceptTransfer) {
    throw new AppError(
      "TRANSFER_ACCEPTANCE_REQUIRED",
      `${def.manifest.name} processes data in ${transfersOutsideEea(def.manifest).join(", ")} under ${def.manifest.transferMechanism}; ` +
        "your tenant requires EU residency, so enable it with acceptTransfer: true to accept this transfer",
      {
        locations: def.manifest.processingLocations,
        transferMechanism: def.manifest.transferMechanism,
        categories: def.manifest.dataCategories,
      },
    );
  }
  const acceptance =
    status === "ACCEPTANCE_REQUIRED"
      ? {
          acceptedVersion: def.manifest.version,
          acceptedLocations: def.manifest.processingLocations,
          acceptedCategories: def.manifest.dataCategories,
          acceptedById: viewer.kind === "agent" ? viewer.agentId : null,
          acceptedAt: new Date(),
        }
      : {};
  return ctx.db.$transaction(async (tx) => {
    // A plugin without settings (email: its mailboxes are rows of their own) has no install until it is enabled.
    const enabled = await tx.pluginInstall.upsert({
      where: { tenantId_pluginId: { tenantId: viewer.tenantId, pluginId } },
      create: { tenantId: viewer.tenantId, pluginId, enabled: true, ...acceptance },
      update: { enabled: true, ...acceptance },
    });
    await recordAuditIn(tx, ctx, {
      action: "plugin.enabled",
      categories: def.manifest.dataCategories,
      details: {
        pluginId,
        manifestVersion: def.manifest.version,
        transferAccepted: status === "ACCEPTANCE_REQUIRED",
        locations: def.manifest.processingLocations,
        transferMechanism: def.manifest.transferMechanism,
      },
    });
    return enabled;
  });
}

export async function disablePlugin(ctx: Context, pluginId: string) {
  const def = pluginOrThrow(ctx, pluginId);
  const install = await installOf(ctx, pluginId);
  if (!install?.enabled) throw new AppError("CONFLICT", `${pluginId} is not enabled`);
  const disabled = await ctx.db.$transaction(async (tx) => {
    const disabled = await tx.pluginInstall.update({ where: { id: install.id }, data: { enabled: false } });
    await recordAuditIn(tx, ctx, { action: "plugin.disabled", details: { pluginId } });
    return disabled;
  });
  if (def.onDisable) await cleanUpAfterDisable(ctx, def);
  return disabled;
}

/**
 * Lets a plugin delete at its vendor what nothing will use any more, once it
 * is off (so no worker of ours writes there again). The outcome, good or bad,
 * is an audit entry; a vendor that cannot be reached never undoes the disabling.
 */
async function cleanUpAfterDisable(ctx: Context, def: LoadedPlugin) {
  const pluginId = def.manifest.id;
  const tenantId = requireViewer(ctx).tenantId;
  let details: Record<string, string | number | boolean>;
  try {
    const runtime = await runtimeFor(ctx, tenantId, def, ctx.requestId, { evenIfDisabled: true });
    const result = runtime ? await def.onDisable!(runtime) : null;
    details = { pluginId, ok: true, ...result };
  } catch (err) {
    ctx.log.error({ err, pluginId }, "plugin clean-up after disabling failed");
    details = { pluginId, ok: false, errorCode: (err as { extensions?: { code?: string } }).extensions?.code ?? "VENDOR_ERROR" };
  }
  await recordAudit(ctx, { action: "plugin.cleanedUp", details }).catch((err) =>
    ctx.log.error({ err, pluginId }, "could not audit a plugin clean-up"),
  );
}
