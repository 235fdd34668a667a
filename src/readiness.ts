import { useReadinessCheck, type Plugin } from "graphql-yoga";
import type { Database } from "./db/database.js";
import { RETRY_AFTER_SECONDS } from "./errors.js";
import type { EventBus } from "./events/bus.js";

/** A load balancer may poll often: an answer this recent counts without a new probe. */
const PROBE_MAX_AGE_MS = 2000;

/**
 * GET /ready: 200 when this instance can serve, 503 (with Retry-After) while
 * its database cannot be reached, so a load balancer sends the traffic
 * elsewhere. Redis is reported but does not decide: without it the API keeps
 * working and events wait in the outbox. Liveness is yoga's own GET /health,
 * which answers 200 as long as the process does.
 */
export function readinessCheck(database: Database, bus: EventBus): Plugin {
  return useReadinessCheck({
    endpoint: "/ready",
    async check({ fetchAPI }) {
      const up = await database.health.check(PROBE_MAX_AGE_MS);
      const body = { status: up ? "ready" : "unavailable", database: up ? "up" : "down", eventBus: bus.ready ? "up" : "down" };
      return new fetchAPI.Response(JSON.stringify(body), {
        status: up ? 200 : 503,
        headers: { "content-type": "application/json", "cache-control": "no-store", ...(up ? {} : { "retry-after": String(RETRY_AFTER_SECONDS) }) },
      });
    },
  });
}
