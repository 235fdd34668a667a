import type { PluginManifest } from "../../src/plugin-host/manifest.js";

export const STRIPE_BILLING = "stripe-billing";

/**
 * What billing sends to Stripe, where, and for how long.
 *
 * The operator bills its tenants: the tenant's company name, billing address,
 * VAT number and the billing contact's email go to Stripe, which takes the
 * payment details itself on its Checkout and portal pages. No data of a
 * tenant's contacts (its own customers) is ever sent.
 *
 * Locations: Stripe processes in the United States (and elsewhere in its
 * group) under the SCCs of its Data Processing Agreement.
 *
 * Retention: Stripe keeps payment and billing records for as long as its own
 * legal obligations require (financial regulation, tax law; invoices commonly
 * 10 years). We declare ten years. Erasure requests concern the tenants'
 * contacts, none of whose data Stripe holds: the erase hook says so.
 */
export const manifest: PluginManifest = {
  id: STRIPE_BILLING,
  name: "Stripe Billing",
  version: "1.0.0",
  description:
    "Tenant subscriptions paid through Stripe Checkout: plans, seats, invoices and the billing portal. Run by the operator from its own Stripe account; tenants do not install it.",
  vendor: { legalName: "Stripe, Inc.", country: "US" },
  processingLocations: ["US"],
  transferMechanism: "SCC",
  dataCategories: ["user.payment", "user.organization", "user.contact.address", "user.contact.email", "system.operations"],
  purposes: [{ purpose: "billing", legalBasis: "CONTRACT" }],
  retention: { kind: "DAYS", days: 3650 },
  dpaUrl: "https://stripe.com/legal/dpa",
  // Operator configuration (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET…), never per tenant.
  config: [],
  storesData: true,
  operatorManaged: true,
};
