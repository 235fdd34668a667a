// deskgraph billing:reconcile [--tenant <slug>] (src/cli/billing-reconcile.ts)
//   re-reads subscriptions from Stripe and repairs what missed webhooks left behind
import type { Database } from "../db/database.js";
import { createLogger } from "../logger.js";
import type { BillingHost } from "./host.js";
import { reconcile, reconcileTable } from "./reconcile.js";
import { tenantIdForSlug } from "../tenants/service.js";

/** Runs one reconciliation and prints a table; exit code 1 when a tenant failed, 2 for an unknown tenant. */
export async function runReconcileCommand(
  host: BillingHost,
  database: Database,
  slug: string | undefined,
  print: (line: string) => void,
): Promise<number> {
  const tenantId = await tenantIdForSlug(database, slug);
  if (tenantId === null) {
    print(`No tenant "${slug}".`);
    return 2;
  }
  const results = await reconcile(host, database, createLogger("silent"), { tenantId });
  print(results.length ? reconcileTable(results) : "No tenant has a Stripe customer yet.");
  return results.some((r) => r.outcome === "FAILED") ? 1 : 0;
}
