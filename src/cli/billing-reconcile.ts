import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const billingReconcile: Command = {
  name: "billing:reconcile",
  summary: "re-read subscriptions from Stripe and repair what missed webhooks left",
  description:
    "Reads each billed tenant's subscription from Stripe and applies what the webhooks would have (plan, seats, read-only state). " +
    "Needs billing configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, BILLING_PLANS_FILE). Exits with 1 when a tenant failed.",
  options: { tenant: { type: "string", value: "<slug>", description: "reconcile this tenant only" } },
  async run({ config, io, values }) {
    const [{ runReconcileCommand }, { createBillingHost }, { PluginRegistry }, { operatorCapability }, { shippedPlugins }] =
      await Promise.all([
        import("../billing/cli.js"),
        import("../billing/setup.js"),
        import("../plugin-host/registry.js"),
        import("../plugin-host/capabilities.js"),
        import("../plugin-host/shipped.js"),
      ]);
    const host = createBillingHost(
      config,
      await operatorCapability(new PluginRegistry(shippedPlugins, config.environment), "billingProvider"),
    );
    if (!host) {
      io.err("Billing is off: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and BILLING_PLANS_FILE.");
      return 1;
    }
    return withDatabase(config, io, "billing:reconcile", (database) =>
      runReconcileCommand(host, database, values.tenant as string | undefined, io.out),
    );
  },
};
