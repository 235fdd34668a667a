import type Stripe from "stripe";
import { ProviderError, WebhookSignatureError, type BillingDetails, type BillingProvider } from "../../src/billing/provider.js";
import { stripeClient, stripeSdk } from "./client.js";
import { toProviderEvent } from "./events.js";
import type { StripeOptions } from "./options.js";
import { invoiceOf, snapshotOf } from "./snapshot.js";

/** Stripe's default: a signature older than five minutes is refused (replays). */
const SIGNATURE_TOLERANCE_SECONDS = 300;

const address = (d: BillingDetails): Stripe.AddressParam => ({
  line1: d.address.line1,
  line2: d.address.line2 ?? undefined,
  postal_code: d.address.postalCode,
  city: d.address.city,
  state: d.address.state ?? undefined,
  country: d.address.country,
});

/** Stripe's errors as the core's ProviderError: its code (card_declined…) or type, never its text. */
async function stripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof stripeSdk().Stripe.errors.StripeError) {
      const code =
        err.code ?? (err instanceof stripeSdk().Stripe.errors.StripeConnectionError ? "connection_error" : (err.rawType ?? err.type));
      throw new ProviderError(code, err.message, err.statusCode);
    }
    throw err;
  }
}

/** The billing provider on the official SDK; every write carries the core's idempotency key. */
export function createStripeProvider(options: StripeOptions): BillingProvider {
  const client = stripeClient(options);
  return {
    createCustomer: ({ tenantId, email, details }, idempotencyKey) =>
      stripe(async () => {
        const customer = await client.customers.create(
          {
            name: details.companyName,
            ...(email ? { email } : {}),
            address: address(details),
            metadata: { tenantId },
            ...(details.vatNumber ? { tax_id_data: [{ type: "eu_vat", value: details.vatNumber }] } : {}),
          },
          { idempotencyKey },
        );
        return customer.id;
      }),

    updateCustomer: (customerId, details, addVat, idempotencyKey) =>
      stripe(async () => {
        await client.customers.update(customerId, { name: details.companyName, address: address(details) }, { idempotencyKey });
        if (addVat && details.vatNumber) {
          await client.customers.createTaxId(
            customerId,
            { type: "eu_vat", value: details.vatNumber },
            { idempotencyKey: `${idempotencyKey}:tax_id` },
          );
        }
      }),

    createCheckout: (input, idempotencyKey) =>
      stripe(async () => {
        const session = await client.checkout.sessions.create(
          {
            mode: "subscription",
            customer: input.customerId,
            client_reference_id: input.tenantId,
            line_items: [{ price: input.priceId, quantity: input.seats }],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            metadata: { tenantId: input.tenantId, plan: input.plan },
            subscription_data: { metadata: { tenantId: input.tenantId, plan: input.plan } },
            automatic_tax: { enabled: options.tax },
            // Stripe Tax needs the address on the customer; let Checkout update it.
            ...(options.tax ? { customer_update: { address: "auto", name: "auto" }, tax_id_collection: { enabled: true } } : {}),
          },
          { idempotencyKey },
        );
        if (!session.url) throw new ProviderError("no_checkout_url", "Stripe returned a session without a URL");
        return { id: session.id, url: session.url };
      }),

    createPortal: ({ customerId, returnUrl }, idempotencyKey) =>
      stripe(async () => {
        const session = await client.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }, { idempotencyKey });
        return { url: session.url };
      }),

    updateSeats: (subscriptionId, seats, idempotencyKey) =>
      stripe(async () => {
        const current = await client.subscriptions.retrieve(subscriptionId);
        const item = current.items.data[0];
        if (!item) throw new ProviderError("no_subscription_item", "The subscription has no item");
        const updated = await client.subscriptions.update(
          subscriptionId,
          { items: [{ id: item.id, quantity: seats }], proration_behavior: "create_prorations" },
          { idempotencyKey },
        );
        return snapshotOf(updated);
      }),

    cancel: (subscriptionId, atPeriodEnd, idempotencyKey) =>
      stripe(async () =>
        snapshotOf(
          atPeriodEnd
            ? await client.subscriptions.update(subscriptionId, { cancel_at_period_end: true }, { idempotencyKey })
            : await client.subscriptions.cancel(subscriptionId, {}, { idempotencyKey }),
        ),
      ),

    getSubscription: (subscriptionId) =>
      stripe(async () => {
        try {
          return snapshotOf(await client.subscriptions.retrieve(subscriptionId));
        } catch (err) {
          if (err instanceof stripeSdk().Stripe.errors.StripeInvalidRequestError && err.code === "resource_missing") return null;
          throw err;
        }
      }),

    listSubscriptions: (customerId) =>
      stripe(async () => {
        const page = await client.subscriptions.list({ customer: customerId, status: "all", limit: 20 });
        return page.data.map(snapshotOf).sort((a, b) => (a.id < b.id ? 1 : -1));
      }),

    listInvoices: (customerId, { limit, startingAfter }) =>
      stripe(async () => {
        const page = await client.invoices.list({
          customer: customerId,
          limit,
          ...(startingAfter ? { starting_after: startingAfter } : {}),
        });
        return { invoices: page.data.map(invoiceOf), hasMore: page.has_more };
      }),

    parseWebhook(rawBody, signature) {
      if (!signature) throw new WebhookSignatureError("no Stripe-Signature header");
      let event: Stripe.Event;
      try {
        event = client.webhooks.constructEvent(rawBody, signature, options.webhookSecret, SIGNATURE_TOLERANCE_SECONDS);
      } catch (err) {
        if (err instanceof stripeSdk().Stripe.errors.StripeSignatureVerificationError) throw new WebhookSignatureError(err.message);
        throw new WebhookSignatureError("unreadable event");
      }
      return toProviderEvent(event);
    },
  };
}
