import { AppError } from "../errors.js";
import type { Context } from "../context.js";
import { allowsPlugin } from "./plans.js";
import { accountOf, entitlement } from "./state.js";
import type { Tx } from "../db/tx.js";

/**
 * SEAT_LIMIT when `adding` more active agents would exceed the paid seats.
 * Without billing (self-hosted) there is no limit. Call it inside the
 * transaction that adds the agent: it takes the tenant's seat lock (an
 * advisory lock, not the tenant's row, which the sequencer updates), so two
 * invitations at once cannot both take the last seat.
 */
export async function assertSeatsAvailable(ctx: Context, tx: Tx, adding = 1): Promise<void> {
  const host = ctx.plugins.billing;
  if (!host) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`deskgraph.seats:${ctx.viewer!.tenantId}`}, 0))`;
  const account = await tx.billingAccount.findFirst();
  const used = await tx.agent.count({ where: { disabled: false } });
  const { plan, seats } = entitlement(host, account);
  if (used + adding > seats) {
    throw new AppError(
      "SEAT_LIMIT",
      `All ${seats} seats of the ${plan.name} plan are in use: add seats (changeSeats) or disable an agent first`,
      {
        seats,
        seatsUsed: used,
        plan: plan.id,
      },
    );
  }
}

/** PLAN_LIMIT when the tenant's plan does not include the plugin. Without billing every plugin is allowed. */
export async function assertPluginInPlan(ctx: Context, pluginId: string): Promise<void> {
  const host = ctx.plugins.billing;
  if (!host) return;
  const { plan } = entitlement(host, await accountOf(ctx.db));
  if (!allowsPlugin(plan, pluginId)) {
    throw new AppError("PLAN_LIMIT", `The ${plan.name} plan does not include the plugin ${pluginId}`, { plan: plan.id, pluginId });
  }
}
