import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";

/** A tenant counts as active this long after its last operation started or ended. */
export const ACTIVE_WINDOW_MS = 1000;

/**
 * At most `limit` operations (queries and mutations) of one tenant run at a
 * time on an instance, and fewer while other tenants are active: with n ≥ 2
 * tenants active within the last ACTIVE_WINDOW_MS, each may run limit / 2n at
 * once (at least one), so that half of the limit stays free for whoever comes
 * next. While other tenants are active, an operation's turn covers its
 * execution and what the plugins registered before this one then do with the
 * result (writing the audit entry, presenting errors); alone, a tenant's turn
 * ends with execution. A tenant's others wait their turn, first come first
 * served: a tenant sending many requests at once queues behind itself instead
 * of taking every slice of the event loop. One event loop and the same CPUs
 * serve every tenant all the same: measured with a steady probe (bench:compare's
 * fairness, docs/benchmarks.md), a quiet tenant's median latency beside a busy
 * one running 2 at once was about 2× its idle one, beside one running 1 at once
 * about 1.5×, its p99 about 2×. Alone, a tenant has the whole `limit`.
 * Subscriptions are not held (they live long and cost nothing while idle).
 * `now` is the clock (tests pass their own).
 */
export function tenantFairShare(limit: number, now: () => number = Date.now): Plugin<Context> {
  const lanes = new Map<string, { running: number; waiting: (() => void)[] }>();
  /** When each tenant last started or ended an operation; pruned as it is read. */
  const lastSeen = new Map<string, number>();

  const seen = (tenantId: string) => {
    // Re-inserted so that the map stays in order of last activity: pruning stops at the first recent one.
    lastSeen.delete(tenantId);
    lastSeen.set(tenantId, now());
  };

  /** How many tenants are active now. */
  const active = () => {
    const since = now() - ACTIVE_WINDOW_MS;
    for (const [tenantId, at] of lastSeen) {
      if (at >= since) break;
      if (!lanes.has(tenantId)) lastSeen.delete(tenantId);
    }
    return lastSeen.size;
  };

  /** How many operations each tenant may run now. */
  const share = () => {
    const tenants = active();
    return tenants <= 1 ? limit : Math.max(1, Math.floor(limit / (2 * tenants)));
  };

  const acquire = (tenantId: string): Promise<void> | void => {
    seen(tenantId);
    let lane = lanes.get(tenantId);
    if (!lane) lanes.set(tenantId, (lane = { running: 0, waiting: [] }));
    if (lane.waiting.length === 0 && lane.running < share()) {
      lane.running++;
      return;
    }
    // The slot is handed over by release(): running is counted for the waiter then.
    return new Promise<void>((resolve) => lane.waiting.push(resolve));
  };

  const release = (tenantId: string) => {
    const lane = lanes.get(tenantId);
    if (!lane) return;
    seen(tenantId);
    lane.running--;
    // The share may have grown since (another tenant went quiet): more than one may start.
    const allowed = share();
    while (lane.waiting.length > 0 && lane.running < allowed) {
      lane.running++;
      lane.waiting.shift()!();
    }
    if (lane.running === 0) lanes.delete(tenantId);
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const tenantId = (args.contextValue as Context).viewer?.tenantId;
      if (!tenantId || limit <= 0) return;
      let held = false;
      const giveBack = () => {
        if (held) release(tenantId);
        held = false;
      };
      setExecuteFn(async (executionArgs) => {
        await acquire(tenantId);
        held = true;
        try {
          const result = await executeFn(executionArgs);
          // Alone, the tenant takes room from no one: its next operation need not wait for this one's audit entry.
          if (active() <= 1) giveBack();
          return result;
        } catch (err) {
          // No hook sees a thrown execution: the turn ends here.
          giveBack();
          throw err;
        }
      });
      // Otherwise the turn ends after the hooks of the plugins before this one are done with the
      // result (their onExecuteDone run first, in order): the audit entry is written within it.
      return { onExecuteDone: giveBack };
    },
  };
}
