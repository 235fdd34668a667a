import type Stripe from "stripe";
import type { ProviderEvent } from "../../src/billing/provider.js";
import { idOf, invoiceSubscription, snapshotOf } from "./snapshot.js";

/** A verified Stripe event, reduced to what billing acts on. */
export function toProviderEvent(event: Stripe.Event): ProviderEvent {
  const base = { id: event.id, created: new Date(event.created * 1000), providerType: event.type };
  switch (event.type) {
    case "checkout.session.completed": {
      const s = event.data.object;
      if (s.mode !== "subscription") return { ...base, type: "other", customerId: idOf(s.customer) };
      return {
        ...base,
        type: "checkout.completed",
        tenantId: s.client_reference_id ?? s.metadata?.tenantId ?? null,
        customerId: idOf(s.customer),
        subscriptionId: idOf(s.subscription),
      };
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.paused":
    case "customer.subscription.resumed":
      return { ...base, type: "subscription.updated", subscription: snapshotOf(event.data.object) };
    case "customer.subscription.deleted":
      return { ...base, type: "subscription.deleted", subscription: snapshotOf(event.data.object) };
    case "invoice.paid":
    case "invoice.payment_failed": {
      const i = event.data.object;
      return { ...base, type: event.type, customerId: idOf(i.customer), subscriptionId: invoiceSubscription(i) };
    }
    default: {
      const object = event.data.object as { customer?: string | { id: string } | null };
      return { ...base, type: "other", customerId: idOf(object.customer ?? null) };
    }
  }
}
