import type { BillingAccount, Prisma } from "../generated/prisma/client.js";
import type { PlanCatalog } from "./plans.js";
import type { SubscriptionSnapshot } from "./provider.js";

/** Statuses after which a subscription never comes back. */
const TERMINAL = new Set(["CANCELED", "INCOMPLETE_EXPIRED"]);

export type Applied = "APPLIED" | "STALE" | "ENDED";

/**
 * Decides whether a subscription state seen at `at` (Stripe's time) may
 * change the account, and how. Never moves back: a state older than the one
 * applied is STALE; any news about a subscription that ended is ENDED.
 * `authoritative` states (read from Stripe just now) win ties.
 */
export function planUpdate(
  account: BillingAccount,
  snap: SubscriptionSnapshot,
  at: Date,
  plans: PlanCatalog,
  options: { deleted?: boolean; authoritative?: boolean } = {},
): { outcome: Applied; data?: Prisma.BillingAccountUpdateInput } {
  if (account.endedSubscriptionIds.includes(snap.id)) return { outcome: "ENDED" };
  const ends = options.deleted || TERMINAL.has(snap.status);
  const current = account.subscriptionId === snap.id;
  // A different subscription than the current live one takes over only when newer.
  if (!current && account.subscriptionId && account.stateAt && at <= account.stateAt) return { outcome: "STALE" };
  if (
    current &&
    account.stateAt &&
    (at < account.stateAt || (at.getTime() === account.stateAt.getTime() && !options.authoritative && !ends))
  ) {
    return { outcome: "STALE" };
  }
  if (ends) {
    // Terminal for this id: back to the default plan. Nothing is deleted, nobody is locked out.
    return {
      outcome: "APPLIED",
      data: {
        ...(current || !account.subscriptionId
          ? { subscriptionId: null, plan: null, seats: null, currentPeriodEnd: null, cancelAtPeriodEnd: false, paymentFailedAt: null }
          : {}),
        status: current || !account.subscriptionId ? "CANCELED" : account.status,
        endedSubscriptionIds: { push: snap.id },
        stateAt: at > (account.stateAt ?? at) ? at : (account.stateAt ?? at),
        revision: { increment: 1 },
      },
    };
  }
  const paid = snap.status === "ACTIVE" || snap.status === "TRIALING";
  const owing = snap.status === "PAST_DUE" || snap.status === "UNPAID";
  return {
    outcome: "APPLIED",
    data: {
      subscriptionId: snap.id,
      customerId: snap.customerId,
      status: snap.status,
      // An unknown price (a plan removed from the file) keeps the plan we knew: never a silent downgrade.
      plan: plans.byPrice(snap.priceId)?.id ?? (current ? account.plan : null),
      seats: snap.seats,
      currentPeriodEnd: snap.currentPeriodEnd,
      cancelAtPeriodEnd: snap.cancelAtPeriodEnd,
      // The grace period starts at the first sign of a failed payment and ends with the next success.
      paymentFailedAt: paid ? null : owing ? (account.paymentFailedAt ?? at) : account.paymentFailedAt,
      stateAt: at,
      revision: { increment: 1 },
    },
  };
}
