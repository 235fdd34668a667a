// npm run billing:reconcile [-- --tenant <slug>]
//   re-reads subscriptions from Stripe and repairs what missed webhooks left behind
import { parseArgs } from "node:util";
import { shippedPlugins } from "../../plugins/index.js";
import { ConfigError, loadConfig } from "../config.js";
import { openDatabase, type Database } from "../db/database.js";
import { createLogger } from "../logger.js";
import { PluginRegistry } from "../plugin-host/registry.js";
import type { BillingHost } from "./host.js";
import { reconcile, reconcileTable } from "./reconcile.js";
import { createBillingHost } from "./setup.js";
import { tenantIdForSlug } from "../tenants/service.js";

/** Runs one reconciliation and prints a table; exit code 1 when a tenant failed, 2 for an unknown tenant. */
export async function runReconcileCommand(host: BillingHost, database: Database, slug: string | undefined, print: (line: string) => void): Promise<number> {
  const tenantId = await tenantIdForSlug(database, slug);
  if (tenantId === null) {
    print(`No tenant "${slug}".`);
    return 2;
  }
  const results = await reconcile(host, database, createLogger("silent"), { tenantId });
  print(results.length ? reconcileTable(results) : "No tenant has a Stripe customer yet.");
  return results.some((r) => r.outcome === "FAILED") ? 1 : 0;
}

async function main() {
  const { values } = parseArgs({ options: { tenant: { type: "string" } } });
  const config = loadConfig();
  const host = createBillingHost(config, new PluginRegistry(shippedPlugins));
  if (!host) throw new Error("Billing is off: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and BILLING_PLANS_FILE");
  const database = await openDatabase(config);
  try {
    await database.migrate();
    process.exitCode = await runReconcileCommand(host, database, values.tenant, console.log);
  } finally {
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : (err as Error).message);
    process.exit(1);
  });
}
