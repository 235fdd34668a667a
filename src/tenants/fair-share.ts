import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";

/**
 * At most `limit` operations (queries and mutations) of one tenant execute at
 * a time on an instance; the tenant's others wait their turn, first come first
 * served. A tenant sending many requests at once then queues behind itself
 * instead of taking every slice of the event loop: the other tenants' requests
 * run beside its `limit` ones, and their latency stays close to idle.
 * Subscriptions are not held (they live long and cost nothing while idle).
 */
export function tenantFairShare(limit: number): Plugin<Context> {
  const lanes = new Map<string, { running: number; waiting: (() => void)[] }>();

  const acquire = (tenantId: string): Promise<void> | void => {
    let lane = lanes.get(tenantId);
    if (!lane) lanes.set(tenantId, (lane = { running: 0, waiting: [] }));
    if (lane.running < limit) {
      lane.running++;
      return;
    }
    // The slot is handed over by release(): running stays counted for the waiter.
    return new Promise<void>((resolve) => lane.waiting.push(resolve));
  };

  const release = (tenantId: string) => {
    const lane = lanes.get(tenantId);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) return next();
    lane.running--;
    if (lane.running === 0) lanes.delete(tenantId);
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const tenantId = (args.contextValue as Context).viewer?.tenantId;
      if (!tenantId || limit <= 0) return;
      // Wrapping execution itself releases the slot however it ends, thrown errors included.
      setExecuteFn(async (executionArgs) => {
        await acquire(tenantId);
        try {
          return await executeFn(executionArgs);
        } finally {
          release(tenantId);
        }
      });
    },
  };
}
