import type Stripe from "stripe";
import type { Invoice, SubscriptionSnapshot, SubscriptionStatus } from "../../src/billing/provider.js";

const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === "string" ? v : v.id);

/** A Stripe subscription as billing sees it: one item (the plan's per-seat price), its quantity the seats. */
export function snapshotOf(sub: Stripe.Subscription): SubscriptionSnapshot {
  const item = sub.items?.data?.[0];
  // Since API version 2025-03-31 the billing period lives on the items.
  const periodEnd = item?.current_period_end ?? (sub as unknown as { current_period_end?: number }).current_period_end;
  return {
    id: sub.id,
    customerId: idOf(sub.customer)!,
    status: sub.status.toUpperCase() as SubscriptionStatus,
    priceId: item?.price?.id ?? null,
    seats: item?.quantity ?? 1,
    currentPeriodEnd: periodEnd ? new Date(periodEnd * 1000) : null,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    tenantId: sub.metadata?.tenantId ?? null,
    ...asOf(sub),
  };
}

/** Stripe's clock when it answered: the Date header the SDK keeps on `lastResponse`. */
function asOf(sub: Stripe.Subscription): { asOf?: Date } {
  const date = (sub as Partial<Stripe.Response<Stripe.Subscription>>).lastResponse?.headers?.date;
  const at = date ? new Date(date) : null;
  return at && !Number.isNaN(at.getTime()) ? { asOf: at } : {};
}

export function invoiceOf(i: Stripe.Invoice): Invoice {
  return {
    id: i.id!,
    number: i.number ?? null,
    total: i.total,
    currency: i.currency,
    status: i.status ?? "draft",
    pdfUrl: i.invoice_pdf ?? null,
    createdAt: new Date(i.created * 1000),
  };
}

/** The subscription an invoice belongs to (under parent.subscription_details since 2025-03-31). */
export function invoiceSubscription(i: Stripe.Invoice): string | null {
  return idOf(i.parent?.subscription_details?.subscription) ?? idOf((i as unknown as { subscription?: string | null }).subscription);
}

export { idOf };
