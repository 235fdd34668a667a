import { defineManifest } from "../../src/plugin-host/manifest.js";

const STRIPE_BILLING = "stripe-billing";

// Why these categories, locations and retention: README.md, "What goes where".
export const manifest = defineManifest({
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
  // The operator's options (options.ts), never per-tenant settings.
  config: [],
  storesData: true,
  operatorManaged: true,
});
