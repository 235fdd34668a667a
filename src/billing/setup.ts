import { ConfigError, type Config } from "../config.js";
import type { BillingHost } from "./host.js";
import type { BillingProvider } from "./provider.js";

/**
 * Billing is on when the operator gave both halves: the plans
 * (BILLING_PLANS_FILE) and a billing provider, the capability a plugin offers
 * once its own options configure it (plugins/stripe-billing). One without the
 * other is a deployment mistake worth stopping for. The provider comes from
 * the plugin registry's capabilities (src/plugin-host/capabilities.ts);
 * billing knows no more of the plugin host.
 */
export function createBillingHost(config: Config, provided: { pluginId: string; value: BillingProvider } | null): BillingHost | undefined {
  if (!config.billing && !provided) return undefined;
  if (!provided)
    throw new ConfigError([
      "BILLING_PLANS_FILE: set, but no billing provider plugin is configured (plugins/stripe-billing: STRIPE_SECRET_KEY)",
    ]);
  if (!config.billing) throw new ConfigError([`BILLING_PLANS_FILE: required with the billing provider of ${provided.pluginId}`]);
  return { pluginId: provided.pluginId, provider: provided.value, config: config.billing };
}
