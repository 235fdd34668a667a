import type { Config } from "../config.js";
import type { BillingHost } from "./host.js";
import type { BillingPluginHooks } from "./provider.js";

/** What billing needs of the plugin registry (src/plugin-host/registry.ts): billing knows no more of the plugin host. */
interface Plugins {
  list(): { manifest: { id: string }; billing?: BillingPluginHooks }[];
}

/**
 * Billing is on when the operator configured Stripe and a plugin provides
 * billing (plugins/stripe-billing). A configured key without such a plugin is
 * a deployment mistake worth stopping for.
 */
export async function createBillingHost(config: Config, registry: Plugins): Promise<BillingHost | undefined> {
  if (!config.billing) return undefined;
  const def = registry.list().find((d) => d.billing);
  if (!def?.billing) throw new Error("STRIPE_SECRET_KEY is set but no billing plugin is loaded (plugins/stripe-billing)");
  const { secretKey, webhookSecret, apiUrl } = config.billing.stripe;
  return { pluginId: def.manifest.id, provider: await def.billing.createProvider({ secretKey, webhookSecret, apiUrl }), config: config.billing };
}
