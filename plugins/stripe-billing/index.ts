import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";
import { options, type StripeOptions } from "./options.js";

/**
 * Stripe Billing: the operator bills its tenants. Configured from the
 * environment (options.ts), not per tenant; the core's billing (src/billing/)
 * uses the provider built here, and Stripe's webhooks arrive at
 * /billing/stripe/webhook.
 */
export const stripeBilling: PluginDefinition<Record<string, never>, StripeOptions | null> = {
  manifest,
  options,
  // The provider's module, and with it the Stripe SDK, is loaded only where billing is configured.
  provides: { billingProvider: async (stripe) => (stripe ? (await import("./provider.js")).createStripeProvider(stripe) : null) },
  // Stripe holds the tenants' billing records, never data of their contacts.
  erase: async () => ({ store: "Stripe", deleted: 0, note: "Stripe holds billing data of the tenant only, none of its contacts" }),
};
