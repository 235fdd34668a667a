import type { AiProvider } from "../ai/contract.js";
import type { AttachmentScanner } from "../attachments/scanner.js";
import type { BillingProvider } from "../billing/provider.js";
import type { BlobBackend } from "../blobs/store.js";
import type { Notifier } from "../notifications/contract.js";
import type { SearchBackend } from "../search/contract.js";
import type { PluginServices, PluginRuntime } from "./plugin.js";
import type { PluginRegistry } from "./registry.js";
import { runtimeFor } from "./runtime.js";

/**
 * Every kind of capability a plugin can offer the core, with its contract.
 * A "tenant" capability comes from the tenant's enabled install, per request;
 * an "operator" one from the operator's options, once for the whole server.
 * A new kind is its contract file and one line here.
 */
interface CapabilityKinds {
  /** Another search for the tenant (src/search/contract.ts); the built-in PostgreSQL search otherwise. */
  searchBackend: { scope: "tenant"; contract: SearchBackend };
  /** AI operations for the tenant (src/ai/contract.ts), each optional: the local provider does the rest. */
  aiProvider: { scope: "tenant"; contract: AiProvider };
  /** Payments for the operator's plans (src/billing/provider.ts); without one, billing is off. */
  billingProvider: { scope: "operator"; contract: BillingProvider };
  /** The tenant's own malware scanner for attachments (src/attachments/scanner.ts); the operator's otherwise. */
  attachmentScanner: { scope: "tenant"; contract: AttachmentScanner };
  /** The operator's malware scanner, for the files of every tenant without a scanner of its own. */
  operatorAttachmentScanner: { scope: "operator"; contract: AttachmentScanner };
  /** Where every tenant's files go (src/blobs/store.ts, ciphertext only); the local disk otherwise. */
  blobBackend: { scope: "operator"; contract: BlobBackend };
  /** Sends the tenant's notifications by email (src/notifications/contract.ts); without one, email notifications fail with NO_CHANNEL. */
  emailNotifier: { scope: "tenant"; contract: Notifier };
  /** Sends the tenant's notifications by SMS (src/notifications/contract.ts). */
  smsNotifier: { scope: "tenant"; contract: Notifier };
}

type CapabilityKind = keyof CapabilityKinds;
type KindsOf<Scope> = { [K in CapabilityKind]: CapabilityKinds[K]["scope"] extends Scope ? K : never }[CapabilityKind];
type TenantCapability = KindsOf<"tenant">;
type OperatorCapability = KindsOf<"operator">;

/**
 * What a plugin declares in `provides`. A tenant capability is built from the
 * tenant's runtime and is null while it cannot serve (an index still being
 * built): the core then uses its own. An operator capability is built from
 * the plugin's options and is null when the operator did not configure it.
 */
export type Provides<S, O> = {
  [K in TenantCapability]?: (runtime: PluginRuntime<S, O>) => Promise<CapabilityKinds[K]["contract"] | null>;
} & {
  // Asynchronous, so that a plugin loads its SDK only where the operator configured it.
  [K in OperatorCapability]?: (options: O) => Promise<CapabilityKinds[K]["contract"] | null>;
};

/** A capability and the plugin it comes from (for the call log, the record of processing). */
export interface Provided<K extends CapabilityKind> {
  pluginId: string;
  value: CapabilityKinds[K]["contract"];
}

/**
 * The first enabled plugin of the tenant (by id) that offers `kind`, can
 * serve now and passes `accepts` (an AI provider that translates), or null:
 * the core then does without (its own search, the local AI provider). A plugin
 * whose capability fails is logged and passed over, so that an external
 * service that cannot answer never takes the core's feature down with it.
 */
export async function capability<K extends TenantCapability>(
  services: PluginServices & { requestId?: string },
  kind: K,
  tenantId: string,
  accepts: (value: CapabilityKinds[K]["contract"]) => boolean = () => true,
): Promise<Provided<K> | null> {
  for (const def of services.plugins.registry.list()) {
    const build = def.provides?.[kind];
    if (!build) continue;
    try {
      const runtime = await runtimeFor(services, tenantId, def, services.requestId);
      const value = runtime ? await build(runtime) : null;
      if (value && accepts(value)) return { pluginId: def.manifest.id, value };
    } catch (err) {
      services.log.error({ err, pluginId: def.manifest.id, capability: kind }, "a plugin's capability failed; the core does without it");
    }
  }
  return null;
}

/** The operator capability `kind` of the first plugin (by id) the operator configured for it, or null. */
export async function operatorCapability<K extends OperatorCapability>(registry: PluginRegistry, kind: K): Promise<Provided<K> | null> {
  for (const def of registry.list()) {
    const value = await def.provides?.[kind]?.(registry.optionsOf(def.manifest.id));
    if (value) return { pluginId: def.manifest.id, value };
  }
  return null;
}
