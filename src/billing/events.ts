import type { Logger } from "pino";
import { appendAuditIn } from "../audit/service.js";
import type { Database } from "../db/database.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import type { BillingAccount, Prisma } from "../generated/prisma/client.js";
import { planUpdate } from "./apply.js";
import { callProvider, type CallScope } from "./calls.js";
import type { BillingHost } from "./host.js";
import { isLive } from "./state.js";
import type { ProviderEvent, SubscriptionSnapshot } from "./provider.js";
import type { RootTx as Tx } from "../db/tx.js";

export type EventOutcome = "APPLIED" | "STALE" | "ENDED" | "UNKNOWN_TENANT" | "IGNORED" | "DUPLICATE";

interface Deps {
  host: BillingHost;
  database: Database;
  log: Logger;
}

const SYSTEM = { actorType: "SYSTEM" as const, actorId: "plugin:stripe-billing" };

async function tenantOf(database: Database, event: ProviderEvent, snap: SubscriptionSnapshot | null): Promise<string | null> {
  const hinted = event.type === "checkout.completed" ? event.tenantId : snap?.tenantId;
  const customerId = snap?.customerId ?? ("customerId" in event ? event.customerId : null);
  if (customerId) {
    const account = await database.prisma.billingAccount.findUnique({ where: { customerId } });
    if (account) return account.tenantId;
  }
  if (hinted && /^[0-9a-f-]{36}$/i.test(hinted)) {
    const tenant = await database.prisma.tenant.findUnique({ where: { id: hinted } });
    if (tenant) return tenant.id;
  }
  return null;
}

/**
 * Applies one verified webhook event. The event's id is stored in the same
 * transaction as the change it makes, under a unique key: a redelivery (even a
 * concurrent one) finds it and changes nothing, and a failure stores neither,
 * so the provider delivers again. Subscription events never move the state
 * back (see planUpdate); ties within one second are settled by reading the
 * subscription from the provider.
 */
export async function applyEvent(deps: Deps, event: ProviderEvent): Promise<EventOutcome> {
  const { database, host } = deps;
  if (await database.prisma.billingEvent.findUnique({ where: { id: event.id } })) return "DUPLICATE";

  // What the event says about a subscription, fetched where the event only names it.
  let snap: SubscriptionSnapshot | null =
    event.type === "subscription.updated" || event.type === "subscription.deleted" ? event.subscription : null;
  let tenantId = await tenantOf(database, event, snap);
  const scope = (id: string): CallScope => ({ database, tenantId: id, actor: SYSTEM, requestId: event.id, log: deps.log });
  let authoritative = false;
  if (tenantId && event.type === "checkout.completed" && event.subscriptionId) {
    snap = await callProvider(host, scope(tenantId), "subscriptions.retrieve", ["system.operations"], () =>
      host.provider.getSubscription(event.subscriptionId!),
    );
    authoritative = true;
  }
  if (tenantId && event.type === "subscription.updated") {
    const account = await database.prisma.billingAccount.findUnique({ where: { tenantId } });
    if (account?.subscriptionId === event.subscription.id && account.stateAt?.getTime() === event.created.getTime()) {
      const fresh = await callProvider(host, scope(tenantId), "subscriptions.retrieve", ["system.operations"], () =>
        host.provider.getSubscription(event.subscription.id),
      );
      if (fresh) [snap, authoritative] = [fresh, true];
    }
  }
  tenantId ??= await tenantOf(database, event, snap);

  try {
    return await database.prisma.$transaction(async (tx) => {
      const outcome = await applyIn(tx, deps, event, tenantId, snap, authoritative);
      await tx.billingEvent.create({ data: { id: event.id, tenantId, type: event.providerType, createdAt: event.created, outcome } });
      return outcome;
    });
  } catch (err) {
    // The same event committed meanwhile by a concurrent delivery (its id is unique).
    if (isUniqueViolation(err) && (await database.prisma.billingEvent.findUnique({ where: { id: event.id } }))) return "DUPLICATE";
    throw err;
  }
}

async function applyIn(
  tx: Tx,
  deps: Deps,
  event: ProviderEvent,
  tenantId: string | null,
  snap: SubscriptionSnapshot | null,
  authoritative: boolean,
): Promise<EventOutcome> {
  if (!tenantId) {
    if (event.type !== "other") deps.log.warn({ eventId: event.id, type: event.providerType }, "billing event for no known tenant");
    return event.type === "other" ? "IGNORED" : "UNKNOWN_TENANT";
  }
  const account = await lockAccount(tx, tenantId);
  let data: Prisma.BillingAccountUpdateInput | undefined;
  let outcome: EventOutcome = "IGNORED";

  if (snap) {
    const planned = planUpdate(account, snap, event.created, deps.host.config.plans, {
      deleted: event.type === "subscription.deleted",
      authoritative,
    });
    outcome = planned.outcome;
    data = planned.data;
  } else if (event.type === "invoice.paid" || event.type === "invoice.payment_failed") {
    const aboutCurrent = !event.subscriptionId || event.subscriptionId === account.subscriptionId;
    if (!aboutCurrent) outcome = event.subscriptionId && account.endedSubscriptionIds.includes(event.subscriptionId) ? "ENDED" : "IGNORED";
    else if (account.paymentEventAt && event.created < account.paymentEventAt) outcome = "STALE";
    else {
      outcome = "APPLIED";
      data =
        event.type === "invoice.paid"
          ? // Payment succeeded: full use again at once.
            {
              paymentFailedAt: null,
              paymentEventAt: event.created,
              ...(account.status === "PAST_DUE" || account.status === "UNPAID" ? { status: "ACTIVE" } : {}),
            }
          : {
              // Only a plan in force can lapse: a first payment that fails (INCOMPLETE) leaves the tenant on the free plan, not read-only.
              paymentFailedAt: isLive(account) ? (account.paymentFailedAt ?? event.created) : null,
              paymentEventAt: event.created,
              ...(account.status === "ACTIVE" ? { status: "PAST_DUE" } : {}),
            };
    }
  }
  if (data) {
    const updated = await tx.billingAccount.update({ where: { id: account.id }, data: { ...data, revision: { increment: 1 } } });
    await appendAuditIn(tx, tenantId, [
      {
        ...SYSTEM,
        requestId: event.id,
        action: "billing.updated",
        categories: ["system.operations"],
        details: {
          eventId: event.id,
          eventType: event.providerType,
          status: updated.status,
          plan: updated.plan,
          seats: updated.seats,
          paymentFailed: !!updated.paymentFailedAt,
        },
      },
    ]);
  }
  return outcome;
}

/** The tenant's account, created on first news, and locked until the transaction ends (one event at a time per tenant). */
async function lockAccount(tx: Tx, tenantId: string): Promise<BillingAccount> {
  await tx.billingAccount.upsert({ where: { tenantId }, create: { tenantId }, update: {} });
  await tx.$queryRaw`SELECT 1 FROM "BillingAccount" WHERE "tenantId" = ${tenantId}::uuid FOR UPDATE`;
  return tx.billingAccount.findUniqueOrThrow({ where: { tenantId } });
}
