import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";

/**
 * Stripe Billing: the operator bills its tenants. Configured from the
 * environment (STRIPE_SECRET_KEY…), not per tenant; the core's billing
 * (src/billing/) uses the provider built here, and Stripe's webhooks arrive
 * at /billing/stripe/webhook.
 */
export const stripeBilling: PluginDefinition = {
  manifest,
  // The provider's module, and with it the Stripe SDK, is loaded only where billing is configured.
  billing: { createProvider: async (options) => (await import("./provider.js")).createStripeProvider(options) },
  // Stripe holds the tenants' billing records, never data of their contacts.
  erase: async () => ({ store: "Stripe", deleted: 0, note: "Stripe holds billing data of the tenant only, none of its contacts" }),
};
