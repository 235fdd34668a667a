import type { Logger } from "pino";
import { appendAuditIn } from "../audit/service.js";
import type { Database } from "../db/database.js";
import { planUpdate } from "./apply.js";
import { callProvider, type CallScope } from "./calls.js";
import type { BillingHost } from "./host.js";
import { textTable } from "../cli/text-table.js";

export interface Reconciled {
  slug: string;
  before: string;
  after: string;
  outcome: "REPAIRED" | "UNCHANGED" | "FAILED";
  error?: string;
}

const describe = (a: { plan: string | null; status: string; seats: number | null; paymentFailedAt: Date | null } | null) =>
  a ? `${a.plan ?? "default"} ${a.status} seats=${a.seats ?? "-"}${a.paymentFailedAt ? " payment-failed" : ""}` : "none";

/**
 * Re-reads each billed tenant's subscription from Stripe and applies it as
 * the current truth, to repair whatever missed webhooks left behind. Only
 * tenants with a Stripe customer are looked at; one tenant's failure does not
 * stop the others.
 */
export async function reconcile(
  host: BillingHost,
  database: Database,
  log: Logger,
  options: { tenantId?: string } = {},
): Promise<Reconciled[]> {
  const accounts = await database.prisma.billingAccount.findMany({
    where: { customerId: { not: null }, ...(options.tenantId ? { tenantId: options.tenantId } : {}) },
    include: { tenant: { select: { slug: true } } },
    orderBy: { createdAt: "asc" },
  });
  const results: Reconciled[] = [];
  for (const account of accounts) {
    const scope: CallScope = {
      database,
      tenantId: account.tenantId,
      actor: { actorType: "SYSTEM", actorId: "billing:reconcile" },
      requestId: null,
      log,
    };
    try {
      const subscriptions = await callProvider(host, scope, "subscriptions.list", ["system.operations"], () =>
        host.provider.listSubscriptions(account.customerId!),
      );
      // The one we follow if Stripe still has it; otherwise the newest that is not over.
      const current =
        subscriptions.find((s) => s.id === account.subscriptionId) ??
        subscriptions.find(
          (s) => !account.endedSubscriptionIds.includes(s.id) && s.status !== "CANCELED" && s.status !== "INCOMPLETE_EXPIRED",
        );
      const after = await database.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM "BillingAccount" WHERE "id" = ${account.id}::uuid FOR UPDATE`;
        const fresh = await tx.billingAccount.findUniqueOrThrow({ where: { id: account.id } });
        if (!current) return fresh;
        const at = new Date(Math.max(Math.floor(Date.now() / 1000) * 1000, fresh.stateAt?.getTime() ?? 0));
        const planned = planUpdate(fresh, current, at, host.config.plans, { authoritative: true });
        if (!planned.data) return fresh;
        const updated = await tx.billingAccount.update({ where: { id: fresh.id }, data: planned.data });
        if (describe(updated) !== describe(fresh)) {
          await appendAuditIn(tx, fresh.tenantId, [
            {
              ...scope.actor,
              action: "billing.reconciled",
              categories: ["system.operations"],
              details: { status: updated.status, plan: updated.plan, seats: updated.seats },
            },
          ]);
        }
        return updated;
      });
      results.push({
        slug: account.tenant.slug,
        before: describe(account),
        after: describe(after),
        outcome: describe(after) === describe(account) ? "UNCHANGED" : "REPAIRED",
      });
    } catch (err) {
      log.error({ err, tenantId: account.tenantId }, "billing reconciliation failed");
      results.push({
        slug: account.tenant.slug,
        before: describe(account),
        after: describe(account),
        outcome: "FAILED",
        error: (err as Error).message,
      });
    }
  }
  return results;
}

export function reconcileTable(results: Reconciled[]): string {
  const rows = [
    ["tenant", "before", "after", "outcome"],
    ...results.map((r) => [r.slug, r.before, r.after, r.error ? `${r.outcome}: ${r.error}` : r.outcome]),
  ];
  return textTable(rows);
}
