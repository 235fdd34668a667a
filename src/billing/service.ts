import { recordAuditIn } from "../audit/service.js";
import { AppError, validationError, type FieldProblem } from "../errors.js";
import type { BillingAccount, Prisma } from "../generated/prisma/client.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { planUpdate } from "./apply.js";
import { callProvider, scopeOf } from "./calls.js";
import type { BillingHost } from "./host.js";
import { idempotencyKey } from "./keys.js";
import type { Plan } from "./plans.js";
import type { BillingAddress, BillingDetails, Invoice, SubscriptionSnapshot } from "./provider.js";
import { accountOf, entitlement, graceEndsAt, isLive, isReadOnly, seatsUsed } from "./state.js";
import { checkVatNumber } from "./vat.js";

/** What `billing` shows. `enabled: false` (self-hosted, no Stripe): no plan, no limits. */
export interface BillingView {
  enabled: boolean;
  plan: Plan | null;
  status: string;
  seats: number | null;
  seatsUsed: number;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  paymentFailedAt: Date | null;
  graceEndsAt: Date | null;
  readOnly: boolean;
  plans: Plan[];
  account: BillingAccount | null;
}

function requireBilling(ctx: Context): BillingHost {
  if (!ctx.plugins.billing)
    throw new AppError("BILLING_DISABLED", "Billing is not configured on this server: there is nothing to buy and no plan limits apply");
  return ctx.plugins.billing;
}

export async function billingView(ctx: Context): Promise<BillingView> {
  const host = ctx.plugins.billing;
  const [account, used] = await Promise.all([accountOf(ctx.db), seatsUsed(ctx.db)]);
  if (!host) {
    return {
      enabled: false,
      plan: null,
      status: "DISABLED",
      seats: null,
      seatsUsed: used,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      paymentFailedAt: null,
      graceEndsAt: null,
      readOnly: false,
      plans: [],
      account,
    };
  }
  const { plan, seats } = entitlement(host, account);
  return {
    enabled: true,
    plan,
    status: account?.status ?? "NONE",
    seats,
    seatsUsed: used,
    currentPeriodEnd: account?.currentPeriodEnd ?? null,
    cancelAtPeriodEnd: account?.cancelAtPeriodEnd ?? false,
    paymentFailedAt: account?.paymentFailedAt ?? null,
    graceEndsAt: graceEndsAt(host, account),
    readOnly: isReadOnly(host, account),
    plans: host.config.plans.plans,
    account,
  };
}

export interface DetailsInput {
  companyName: string;
  address: BillingAddress;
  vatNumber?: string | null;
}

/** Billing details, normalised; VALIDATION naming each bad field under `path`. */
function checkDetails(input: DetailsInput, path: string[]): BillingDetails {
  const problems: FieldProblem[] = [];
  const country = input.address.country.toUpperCase();
  if (!/^[A-Z]{2}$/.test(country))
    problems.push({ path: [...path, "address", "country"], message: "must be an ISO 3166-1 alpha-2 code such as DE" });
  let vatNumber: string | null = null;
  if (input.vatNumber?.trim() && !problems.length) {
    const checked = checkVatNumber(input.vatNumber, country, [...path, "vatNumber"]);
    if ("problem" in checked) problems.push(checked.problem);
    else vatNumber = checked.value;
  }
  if (problems.length) throw validationError(problems);
  return { companyName: input.companyName.trim(), address: { ...input.address, country }, vatNumber };
}

/** Field by field: stored addresses come back from jsonb with their keys in another order. */
function sameDetails(a: BillingDetails, account: BillingAccount): boolean {
  const stored = (account.address ?? {}) as Partial<BillingAddress>;
  const fields = ["line1", "line2", "postalCode", "city", "state", "country"] as const;
  return (
    a.companyName === account.companyName &&
    (a.vatNumber ?? null) === account.vatNumber &&
    fields.every((f) => (a.address[f] ?? null) === (stored[f] ?? null))
  );
}

const detailsData = (d: BillingDetails) => ({
  companyName: d.companyName,
  address: d.address as unknown as Prisma.InputJsonValue,
  vatNumber: d.vatNumber ?? null,
});

function returnUrlOf(host: BillingHost, given: string | null | undefined, path: string): string {
  const url = given ?? host.config.returnUrl;
  if (!url) throw validationError([{ path: [path], message: "required: this server has no BILLING_RETURN_URL" }]);
  return url;
}

/**
 * Starts a Stripe Checkout for a plan and a number of seats and returns its
 * URL. The first checkout needs the billing details (company, address, EU
 * VAT number), which become the Stripe customer. A tenant with a live
 * subscription changes seats or plan instead: a second subscription would
 * charge twice.
 */
export async function startCheckout(
  ctx: Context,
  input: { plan: string; seats: number; details?: DetailsInput | null; returnUrl?: string | null },
) {
  const host = requireBilling(ctx);
  const viewer = requireViewer(ctx);
  const plan = host.config.plans.get(input.plan);
  if (!plan?.priceId)
    throw validationError([
      {
        path: ["plan"],
        message: `not a plan you can buy; one of ${host.config.plans.plans
          .filter((p) => p.priceId)
          .map((p) => p.id)
          .join(", ")}`,
      },
    ]);
  checkSeatBounds(plan, input.seats);
  const details = input.details ? checkDetails(input.details, ["details"]) : null;
  const returnUrl = returnUrlOf(host, input.returnUrl, "returnUrl");
  const used = await seatsUsed(ctx.db);
  if (input.seats < used) throw seatLimitBelowUsage(input.seats, used);
  let account = await accountOf(ctx.db);
  if (isLive(account))
    throw new AppError("CONFLICT", "This tenant already has a subscription: change seats, or change plan in the billing portal");
  if (!account?.customerId && !details) throw validationError([{ path: ["details"], message: "required for the first checkout" }]);

  const scope = scopeOf(ctx);
  const categories = ["user.payment", "user.organization", "user.contact.address", "user.contact.email"] as const;
  if (!account?.customerId) {
    const owner = viewer.kind === "agent" ? await ctx.db.agent.findUnique({ where: { id: viewer.agentId } }) : null;
    const customerId = await callProvider(host, scope, "customers.create", [...categories], () =>
      host.provider.createCustomer(
        { tenantId: viewer.tenantId, email: owner?.email ?? null, details: details! },
        idempotencyKey(viewer.tenantId, "customers.create", details),
      ),
    );
    account = await ctx.db.billingAccount.upsert({
      where: { tenantId: viewer.tenantId },
      create: { tenantId: viewer.tenantId, customerId, ...detailsData(details!) },
      update: { customerId, ...detailsData(details!) },
    });
  } else if (details && !sameDetails(details, account)) {
    const addVat = !!details.vatNumber && details.vatNumber !== account.vatNumber;
    // Updating a customer charges nothing, and the same details may come back later (A, B, A):
    // keyed by the request, so only the SDK's own retries of this request share it.
    await callProvider(host, scope, "customers.update", [...categories], () =>
      host.provider.updateCustomer(
        account!.customerId!,
        details,
        addVat,
        idempotencyKey(viewer.tenantId, "customers.update", ctx.requestId),
      ),
    );
    account = await ctx.db.billingAccount.update({ where: { id: account.id }, data: detailsData(details) });
  }

  const customerId = account.customerId!;
  const separator = returnUrl.includes("?") ? "&" : "?";
  return callProvider(host, scope, "checkout.sessions.create", ["user.payment"], () =>
    host.provider.createCheckout(
      {
        tenantId: viewer.tenantId,
        customerId,
        plan: plan.id,
        priceId: plan.priceId!,
        seats: input.seats,
        successUrl: `${returnUrl}${separator}checkout=success`,
        cancelUrl: `${returnUrl}${separator}checkout=cancel`,
      },
      // The same plan, seats and account revision: the same session, never a second one.
      idempotencyKey(viewer.tenantId, "checkout.sessions.create", customerId, account!.revision, plan.id, input.seats, returnUrl),
    ),
  );
}

/** A Stripe billing portal session: payment methods, invoices, billing details, plan changes. */
export async function openBillingPortal(ctx: Context, returnUrl?: string | null) {
  const host = requireBilling(ctx);
  const viewer = requireViewer(ctx);
  const account = await accountOf(ctx.db);
  if (!account?.customerId) throw new AppError("CONFLICT", "No billing account yet: start a checkout first");
  const url = returnUrlOf(host, returnUrl, "returnUrl");
  // A portal session charges nothing: one per request, keyed by the request id so an SDK retry reuses it.
  return callProvider(host, scopeOf(ctx), "billingPortal.sessions.create", ["user.payment"], () =>
    host.provider.createPortal(
      { customerId: account.customerId!, returnUrl: url },
      idempotencyKey(viewer.tenantId, "billingPortal.sessions.create", ctx.requestId),
    ),
  );
}

function checkSeatBounds(plan: Plan, seats: number) {
  if (seats < plan.minSeats || (plan.maxSeats && seats > plan.maxSeats)) {
    throw validationError([
      { path: ["seats"], message: `the ${plan.name} plan has ${plan.minSeats} to ${plan.maxSeats ?? "any number of"} seats` },
    ]);
  }
}

const seatLimitBelowUsage = (seats: number, used: number) =>
  new AppError("SEAT_LIMIT", `${used} agents are active or invited: disable some before going down to ${seats} seats`, {
    seats,
    seatsUsed: used,
  });

async function liveAccount(ctx: Context): Promise<BillingAccount> {
  const account = await accountOf(ctx.db);
  if (!account || !isLive(account)) throw new AppError("CONFLICT", "No subscription: start a checkout first");
  return account;
}

/** Applies the subscription as Stripe returned it from our own write, in one transaction with its audit entry. */
async function applyOwnWrite(ctx: Context, host: BillingHost, account: BillingAccount, snap: SubscriptionSnapshot, action: string) {
  // Stripe's clock (its answer's Date header), not ours: a skew must not hide its later events.
  const at = snap.asOf ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const planned = planUpdate(account, snap, at, host.config.plans, { authoritative: true });
  if (!planned.data) return;
  await ctx.db.$transaction(async (tx) => {
    const updated = await tx.billingAccount.update({ where: { id: account.id }, data: planned.data! });
    await recordAuditIn(tx, ctx, {
      action,
      categories: ["system.operations"],
      details: { status: updated.status, plan: updated.plan, seats: updated.seats, cancelAtPeriodEnd: updated.cancelAtPeriodEnd },
    });
  });
}

/** Changes the paid seats (prorated by Stripe). Fewer seats than agents in use is SEAT_LIMIT. */
export async function changeSeats(ctx: Context, seats: number) {
  const host = requireBilling(ctx);
  const viewer = requireViewer(ctx);
  const account = await liveAccount(ctx);
  const plan = entitlement(host, account).plan;
  checkSeatBounds(plan, seats);
  const used = await seatsUsed(ctx.db);
  if (seats < used) throw seatLimitBelowUsage(seats, used);
  if (seats === account.seats) return;
  const subscriptionId = account.subscriptionId!;
  const snap = await callProvider(host, scopeOf(ctx), "subscriptions.update", ["user.payment"], () =>
    host.provider.updateSeats(
      subscriptionId,
      seats,
      idempotencyKey(viewer.tenantId, "subscriptions.update.seats", subscriptionId, account.revision, seats),
    ),
  );
  await applyOwnWrite(ctx, host, account, snap, "billing.seats.changed");
}

/** Cancels at the end of the paid period by default: the tenant keeps what it paid for. */
export async function cancelSubscription(ctx: Context, atPeriodEnd: boolean) {
  const host = requireBilling(ctx);
  const viewer = requireViewer(ctx);
  const account = await liveAccount(ctx);
  const subscriptionId = account.subscriptionId!;
  const snap = await callProvider(
    host,
    scopeOf(ctx),
    atPeriodEnd ? "subscriptions.update.cancel" : "subscriptions.cancel",
    ["user.payment"],
    () =>
      host.provider.cancel(
        subscriptionId,
        atPeriodEnd,
        idempotencyKey(viewer.tenantId, "subscriptions.cancel", subscriptionId, account.revision, atPeriodEnd),
      ),
  );
  await applyOwnWrite(ctx, host, account, snap, "billing.subscription.canceled");
}

/** A page of the tenant's invoices, newest first, read from Stripe. */
export async function invoicesPage(
  ctx: Context,
  account: BillingAccount | null,
  first: number,
  after: string | null,
): Promise<{ invoices: Invoice[]; hasMore: boolean }> {
  const host = ctx.plugins.billing;
  if (!host || !account?.customerId) return { invoices: [], hasMore: false };
  return callProvider(host, scopeOf(ctx), "invoices.list", ["user.payment"], () =>
    host.provider.listInvoices(account.customerId!, { limit: first, ...(after ? { startingAfter: after } : {}) }),
  );
}
