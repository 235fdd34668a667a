import { z } from "zod";
import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import type { Plan } from "./plans.js";
import type { BillingAddress, Invoice } from "./provider.js";
import * as billing from "./service.js";

const BillingStatus = builder.enumType("BillingStatus", {
  description: "Where the tenant's subscription stands (Stripe's statuses, plus DISABLED and NONE).",
  values: {
    DISABLED: { description: "Billing is not configured on this server (self-hosted): no plan limits apply" },
    NONE: { description: "No subscription: the default (free) plan applies" },
    INCOMPLETE: { description: "Checkout done, first payment not yet confirmed: the default plan applies meanwhile" },
    INCOMPLETE_EXPIRED: { description: "The first payment never came; the default plan applies" },
    TRIALING: { description: "In a trial: the plan applies" },
    ACTIVE: { description: "Paid: the plan applies" },
    PAST_DUE: { description: "A payment failed: full use during the grace period, then read-only until paid" },
    UNPAID: { description: "Stripe stopped retrying: read-only once the grace period is over, until paid" },
    CANCELED: { description: "The subscription ended: the default plan applies; nothing was deleted" },
    PAUSED: { description: "Paused at Stripe: the plan applies" },
  } as const,
});

const BillingPlan = builder.objectRef<Plan>("BillingPlan").implement({
  description: "A plan from the operator's plans file: price, seats, the plugins it includes and its API rate.",
  fields: (t) => ({
    id: t.exposeString("id", { description: "Pass it to startCheckout" }),
    name: t.exposeString("name", { description: "Its display name" }),
    description: t.string({ nullable: true, description: "What it offers, from the plans file", resolve: (p) => p.description ?? null }),
    purchasable: t.boolean({ description: "False for the free default plan", resolve: (p) => !!p.priceId }),
    seats: t.int({
      nullable: true,
      description: "Seats of a free plan; null on paid plans, where you choose them",
      resolve: (p) => (p.priceId ? null : (p.seats ?? null)),
    }),
    minSeats: t.exposeInt("minSeats", { description: "The fewest seats you can buy" }),
    maxSeats: t.int({ nullable: true, description: "The most seats you can buy; null: no maximum", resolve: (p) => p.maxSeats ?? null }),
    plugins: t.stringList({
      nullable: true,
      description: "Plugin ids you may enable on this plan; null: all of them",
      resolve: (p) => (p.plugins === "*" ? null : p.plugins),
    }),
    rateTier: t.exposeString("rateTier", { description: "The API rate tier of the plan, a name from the plans file (basic, standard…)" }),
    requestsPerMinute: t.int({
      description:
        "GraphQL operations per minute of the rate tier, shared by all of the tenant's agents, API keys and portal contacts; beyond it operations fail with RATE_LIMITED",
      resolve: (p, _args, ctx) => ctx.plugins.billing!.config.plans.rateTierOf(p).requestsPerMinute,
    }),
  }),
});

const BillingAddressType = builder.objectRef<BillingAddress>("BillingAddress").implement({
  description: "The billing address passed to Stripe.",
  fields: (t) => ({
    line1: t.string({ description: "Street and number", ...personal("user.contact.address"), resolve: (a) => a.line1 }),
    line2: t.string({
      nullable: true,
      description: "Building, floor, c/o",
      ...personal("user.contact.address"),
      resolve: (a) => a.line2 ?? null,
    }),
    postalCode: t.string({ description: "Postal code", ...personal("user.contact.address"), resolve: (a) => a.postalCode }),
    city: t.string({ description: "City", ...personal("user.contact.address"), resolve: (a) => a.city }),
    state: t.string({
      nullable: true,
      description: "State, province or region, where the country uses them",
      ...personal("user.contact.address"),
      resolve: (a) => a.state ?? null,
    }),
    country: t.string({ description: "ISO 3166-1 alpha-2 country code", ...personal("user.contact.address"), resolve: (a) => a.country }),
  }),
});

const BillingDetails = builder
  .objectRef<{ companyName: string | null; address: BillingAddress | null; vatNumber: string | null }>("BillingDetails")
  .implement({
    description: "Who is billed: collected at checkout and passed to Stripe (for invoices and Stripe Tax).",
    fields: (t) => ({
      // A company name can name a person (a sole trader): labelled like one.
      companyName: t.string({
        nullable: true,
        description: "The billed company's legal name",
        ...personal("user.organization"),
        resolve: (d) => d.companyName,
      }),
      address: t.field({ type: BillingAddressType, nullable: true, description: "The billing address", resolve: (d) => d.address }),
      vatNumber: t.string({
        nullable: true,
        description: "The EU VAT number, normalised with its country prefix",
        ...personal("user.payment"),
        resolve: (d) => d.vatNumber,
      }),
    }),
  });

const BillingInvoice = builder.objectRef<Invoice>("BillingInvoice").implement({
  description: "An invoice Stripe issued to this tenant.",
  fields: (t) => ({
    id: t.exposeString("id", { description: "Stripe's invoice id" }),
    number: t.string({ nullable: true, description: "The invoice number; null for a draft", resolve: (i) => i.number }),
    total: t.exposeInt("total", { description: "In the currency's smallest unit (cents)" }),
    currency: t.exposeString("currency", { description: "ISO 4217, lower case (eur)" }),
    status: t.exposeString("status", { description: "draft, open, paid, uncollectible or void" }),
    pdfUrl: t.string({ nullable: true, description: "Stripe's link to the PDF", resolve: (i) => i.pdfUrl }),
    createdAt: t.field({ type: "DateTime", description: "When Stripe created it", resolve: (i) => i.createdAt }),
  }),
});

const Billing = builder.objectRef<billing.BillingView>("Billing").implement({
  description:
    "The tenant's subscription, seats and limits. Without billing configured on the server, status is DISABLED and nothing is limited.",
  authScopes: { permission: "billing:manage" },
  fields: (t) => ({
    enabled: t.exposeBoolean("enabled", { description: "False on a server without billing (self-hosted): no limits apply" }),
    plan: t.string({
      nullable: true,
      description: "The plan in force (its id); null when billing is off",
      resolve: (b) => b.plan?.id ?? null,
    }),
    planDetails: t.field({ type: BillingPlan, nullable: true, description: "The plan in force", resolve: (b) => b.plan }),
    status: t.field({ type: BillingStatus, description: "The subscription's status", resolve: (b) => b.status as never }),
    seats: t.int({ nullable: true, description: "Seats paid for (or of the free plan); null: unlimited", resolve: (b) => b.seats }),
    seatsUsed: t.exposeInt("seatsUsed", { description: "Agents not disabled, invited ones included" }),
    currentPeriodEnd: t.field({
      type: "DateTime",
      nullable: true,
      description: "End of the period paid for; the next renewal",
      resolve: (b) => b.currentPeriodEnd,
    }),
    cancelAtPeriodEnd: t.exposeBoolean("cancelAtPeriodEnd", {
      description: "The subscription ends at currentPeriodEnd (cancelSubscription)",
    }),
    paymentFailedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When a payment failed; cleared by the next successful one",
      resolve: (b) => b.paymentFailedAt,
    }),
    graceEndsAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the tenant becomes read-only unless paid",
      resolve: (b) => b.graceEndsAt,
    }),
    readOnly: t.exposeBoolean("readOnly", {
      description: "Unpaid past the grace period: writes fail with TENANT_READ_ONLY until payment succeeds",
    }),
    plans: t.field({ type: [BillingPlan], description: "The plans on offer", resolve: (b) => b.plans }),
    details: t.field({
      type: BillingDetails,
      nullable: true,
      description: "Who is billed; null before the first checkout",
      resolve: (b) =>
        b.account?.companyName
          ? { companyName: b.account.companyName, address: b.account.address as unknown as BillingAddress, vatNumber: b.account.vatNumber }
          : null,
    }),
    invoices: t.connection({
      type: BillingInvoice,
      description: "Invoices, newest first, read from Stripe.",
      resolve: async (b, args, ctx) => {
        const first = Math.min(Math.max(args.first ?? 10, 1), 100);
        const page = await billing.invoicesPage(ctx, b.account, first, args.after ?? null);
        const edges = page.invoices.map((node) => ({ cursor: node.id, node }));
        return {
          edges,
          pageInfo: {
            hasNextPage: page.hasMore,
            hasPreviousPage: !!args.after,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    }),
  }),
});

const BillingAddressInput = builder.inputType("BillingAddressInput", {
  description: "A billing address; the country decides which VAT number format applies.",
  fields: (t) => ({
    line1: t.string({ required: true, description: "Street and number", validate: z.string().trim().min(1).max(200) }),
    line2: t.string({ description: "Building, floor, c/o", validate: z.string().max(200) }),
    postalCode: t.string({ required: true, description: "Postal code", validate: z.string().trim().min(1).max(20) }),
    city: t.string({ required: true, description: "City", validate: z.string().trim().min(1).max(100) }),
    state: t.string({ description: "State, province or region, where the country uses them", validate: z.string().max(100) }),
    country: t.string({
      required: true,
      description: "ISO 3166-1 alpha-2, e.g. DE",
      validate: z.string().regex(/^[A-Za-z]{2}$/, "must be a two-letter country code"),
    }),
  }),
});

const BillingDetailsInput = builder.inputType("BillingDetailsInput", {
  description: "Who is billed. An EU VAT number is checked for its country's format (VALIDATION at details.vatNumber).",
  fields: (t) => ({
    companyName: t.string({ required: true, description: "The legal name to invoice", validate: z.string().trim().min(1).max(200) }),
    address: t.field({ type: BillingAddressInput, required: true, description: "The billing address" }),
    vatNumber: t.string({ description: "With or without the country prefix (DE123456789 or 123456789)", validate: z.string().max(30) }),
  }),
});

const CheckoutSession = builder.objectRef<{ id: string; url: string }>("CheckoutSession").implement({
  description: "A Stripe Checkout page: send the admin's browser to url.",
  fields: (t) => ({
    id: t.exposeString("id", { description: "Stripe's Checkout Session id" }),
    url: t.exposeString("url", { description: "The page to send the browser to" }),
  }),
});

const BillingPortalSession = builder.objectRef<{ url: string }>("BillingPortalSession").implement({
  description: "A Stripe billing portal page: payment methods, invoices, details, plan changes.",
  fields: (t) => ({ url: t.exposeString("url", { description: "The page to send the browser to; valid for a short time" }) }),
});

const urlSchema = z
  .string()
  .url()
  .max(2000)
  .regex(/^https?:\/\//, "must be an http(s) URL");

builder.queryField("billing", (t) =>
  t.field({
    type: Billing,
    description: "The tenant's plan, subscription, seats and invoices (OWNER and ADMIN).",
    authScopes: { permission: "billing:manage" },
    resolve: (_r, _a, ctx) => billing.billingView(ctx),
  }),
);

builder.mutationField("startCheckout", (t) =>
  t.field({
    type: CheckoutSession,
    description:
      "A Stripe Checkout URL for a plan and a number of seats. The first checkout needs details. Retrying the same request returns the same session: it never charges twice. CONFLICT when a subscription exists (use changeSeats or the portal).",
    authScopes: { permission: "billing:manage" },
    args: {
      plan: t.arg.string({
        required: true,
        description: "A purchasable plan's id (billing { plans { id } })",
        validate: z.string().max(40),
      }),
      seats: t.arg.int({
        required: true,
        description: "Seats to buy, within the plan's range and at least the agents in use",
        validate: z.number().int().min(1).max(100_000),
      }),
      details: t.arg({ type: BillingDetailsInput, description: "Required for the first checkout; changes update the Stripe customer" }),
      returnUrl: t.arg.string({ description: "Where Stripe sends the browser back; default BILLING_RETURN_URL", validate: urlSchema }),
    },
    resolve: (_r, args, ctx) => billing.startCheckout(ctx, args),
  }),
);

builder.mutationField("openBillingPortal", (t) =>
  t.field({
    type: BillingPortalSession,
    description: "A Stripe billing portal URL for this tenant's customer.",
    authScopes: { permission: "billing:manage" },
    args: {
      returnUrl: t.arg.string({ description: "Where the portal sends the browser back; default BILLING_RETURN_URL", validate: urlSchema }),
    },
    resolve: (_r, args, ctx) => billing.openBillingPortal(ctx, args.returnUrl),
  }),
);

builder.mutationField("changeSeats", (t) =>
  t.field({
    type: Billing,
    description: "Changes the paid seats (Stripe prorates). Below the agents in use: SEAT_LIMIT; outside the plan's range: VALIDATION.",
    authScopes: { permission: "billing:manage" },
    args: {
      seats: t.arg.int({ required: true, description: "The new number of paid seats", validate: z.number().int().min(1).max(100_000) }),
    },
    resolve: async (_r, args, ctx) => {
      await billing.changeSeats(ctx, args.seats);
      return billing.billingView(ctx);
    },
  }),
);

builder.mutationField("cancelSubscription", (t) =>
  t.field({
    type: Billing,
    description:
      "Cancels the subscription, by default at the end of the paid period. The tenant then falls back to the default plan; nothing is deleted.",
    authScopes: { permission: "billing:manage" },
    args: { atPeriodEnd: t.arg.boolean({ defaultValue: true, description: "False ends it now (Stripe may prorate a credit)" }) },
    resolve: async (_r, args, ctx) => {
      await billing.cancelSubscription(ctx, args.atPeriodEnd ?? true);
      return billing.billingView(ctx);
    },
  }),
);
