/**
 * What the core needs from a payment provider. The core never imports a
 * vendor SDK: plugins/stripe-billing implements this with the official
 * `stripe` package, and tests could implement it with anything.
 */

/** A subscription's state, in the provider's own names (upper-cased). */
export type SubscriptionStatus =
  | "INCOMPLETE"
  | "INCOMPLETE_EXPIRED"
  | "TRIALING"
  | "ACTIVE"
  | "PAST_DUE"
  | "UNPAID"
  | "CANCELED"
  | "PAUSED";

export interface SubscriptionSnapshot {
  id: string;
  customerId: string;
  status: SubscriptionStatus;
  /** The price of its (single) item: the plan. */
  priceId: string | null;
  /** The item's quantity: the paid seats. */
  seats: number;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** From the subscription's metadata, set at checkout. */
  tenantId: string | null;
  /** When the provider answered with this state (its own clock), for states read or written directly. */
  asOf?: Date;
}

export interface BillingAddress {
  line1: string;
  line2?: string | null;
  postalCode: string;
  city: string;
  state?: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface BillingDetails {
  companyName: string;
  address: BillingAddress;
  /** Normalised, with its country prefix (DE123456789); checked for format already. */
  vatNumber?: string | null;
}

export interface Invoice {
  id: string;
  number: string | null;
  /** In the currency's smallest unit (cents). */
  total: number;
  currency: string;
  status: string;
  pdfUrl: string | null;
  createdAt: Date;
}

/** A provider's webhook event, reduced to what billing acts on. */
export type ProviderEvent = { id: string; created: Date; providerType: string } & (
  | { type: "checkout.completed"; tenantId: string | null; customerId: string | null; subscriptionId: string | null }
  | { type: "subscription.updated" | "subscription.deleted"; subscription: SubscriptionSnapshot }
  | { type: "invoice.paid" | "invoice.payment_failed"; customerId: string | null; subscriptionId: string | null }
  | { type: "other"; customerId: string | null }
);

export class WebhookSignatureError extends Error {}

/** Every write takes an idempotency key: the same key never charges twice. */
export interface BillingProvider {
  createCustomer(input: { tenantId: string; email: string | null; details: BillingDetails }, idempotencyKey: string): Promise<string>;
  updateCustomer(customerId: string, details: BillingDetails, addVat: boolean, idempotencyKey: string): Promise<void>;
  createCheckout(
    input: { tenantId: string; customerId: string; plan: string; priceId: string; seats: number; successUrl: string; cancelUrl: string },
    idempotencyKey: string,
  ): Promise<{ id: string; url: string }>;
  createPortal(input: { customerId: string; returnUrl: string }, idempotencyKey: string): Promise<{ url: string }>;
  updateSeats(subscriptionId: string, seats: number, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  cancel(subscriptionId: string, atPeriodEnd: boolean, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  getSubscription(subscriptionId: string): Promise<SubscriptionSnapshot | null>;
  /** The customer's subscriptions, newest first, whatever their status. */
  listSubscriptions(customerId: string): Promise<SubscriptionSnapshot[]>;
  listInvoices(customerId: string, page: { limit: number; startingAfter?: string }): Promise<{ invoices: Invoice[]; hasMore: boolean }>;
  /** Checks the signature (and its age) and reads the event; WebhookSignatureError when it does not hold. */
  parseWebhook(rawBody: Buffer, signature: string | undefined): ProviderEvent;
}

/** A refusal or failure reported by the provider, with its stable code (e.g. card_declined). */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The provider's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}
