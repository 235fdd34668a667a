import type { BillingAccount } from "../generated/prisma/client.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type { BillingHost } from "./host.js";
import type { Plan } from "./plans.js";
import { DAY_MS } from "../constants.js";

/** Statuses in which the subscription's plan and paid seats apply. */
const LIVE = new Set(["TRIALING", "ACTIVE", "PAST_DUE", "UNPAID", "PAUSED"]);

export const isLive = (account: Pick<BillingAccount, "status" | "subscriptionId"> | null) =>
  !!account?.subscriptionId && LIVE.has(account.status);

/**
 * The plan and seats that apply: the subscription's while it lives (even
 * past due: a late payment is not a downgrade), the default plan otherwise.
 */
export function entitlement(host: BillingHost, account: BillingAccount | null): { plan: Plan; seats: number } {
  const plans = host.config.plans;
  if (account && isLive(account)) {
    return { plan: plans.get(account.plan) ?? plans.defaultPlan, seats: account.seats ?? plans.defaultPlan.seats ?? 1 };
  }
  return { plan: plans.defaultPlan, seats: plans.defaultPlan.seats ?? 1 };
}

/** The end of the grace period after a failed payment; null while payments are fine. */
export function graceEndsAt(host: BillingHost, account: Pick<BillingAccount, "paymentFailedAt"> | null): Date | null {
  return account?.paymentFailedAt ? new Date(account.paymentFailedAt.getTime() + host.config.graceDays * DAY_MS) : null;
}

/** Read-only once the grace period after an unpaid invoice is over; a successful payment ends it at once. */
export function isReadOnly(
  host: BillingHost | undefined,
  account: Pick<BillingAccount, "paymentFailedAt"> | null,
  now = new Date(),
): boolean {
  if (!host) return false;
  const end = graceEndsAt(host, account);
  return !!end && now >= end;
}

export const accountOf = (db: TenantClient) => db.billingAccount.findFirst();

/** Seats in use: every agent who is not disabled, invited ones included (they can accept at any time). */
export const seatsUsed = (db: TenantClient) => db.agent.count({ where: { disabled: false } });
