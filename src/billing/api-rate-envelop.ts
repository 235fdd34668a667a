import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";
import type { ApiRateLimiter, RateState } from "./api-rate.js";

/**
 * Enforces the tenant's API rate (its plan's rate tier, or API_RATE_LIMIT_PER_MINUTE
 * without billing). Every operation of a signed-in caller counts: queries and
 * mutations over HTTP and WebSocket, and the start of a subscription (not
 * each event it delivers). Anonymous requests (sign-in) have their own limiter.
 * Webhook routes (Stripe, plugin vendors) are served outside GraphQL and never
 * count: a payment or an inbound message must not be lost to a busy tenant.
 *
 * Over the limit the operation does not run: RATE_LIMITED with
 * extensions.retryAfterSeconds, HTTP 429 and Retry-After. Every counted HTTP
 * response carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset.
 * Placed before the audit plugin on purpose: a flood of refused requests must
 * not become a flood of audit writes.
 */
export function apiRateLimit(limiter: ApiRateLimiter): Plugin<Context> {
  const states = new WeakMap<Request, RateState>();

  const check = async (ctx: Context): Promise<GraphQLError | null> => {
    const viewer = ctx.viewer;
    if (!viewer || viewer.kind === "system") return null;
    const state = await limiter.consume(viewer.tenantId);
    if (!state) return null;
    // HTTP and SSE have a Request to answer with headers; WebSockets do not.
    const request = (ctx as Context & { request?: Request }).request;
    if (request) states.set(request, state);
    if (!state.limited) return null;
    return new GraphQLError(
      `This tenant's API rate of ${state.limit} operations per minute is used up; try again in ${state.resetSeconds} s`,
      {
        extensions: {
          code: "RATE_LIMITED",
          retryAfterSeconds: state.resetSeconds,
          limit: state.limit,
          // Yoga turns this into the response status; over WebSocket there is none to set.
          ...(request ? { http: { status: 429 } } : {}),
        },
      },
    );
  };

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const refused = await check(args.contextValue as Context);
      if (refused) setResultAndStopExecution({ data: null, errors: [refused] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const refused = await check(args.contextValue as Context);
      if (refused) setResultAndStopExecution({ data: null, errors: [refused] });
    },
    onResponse({ request, response }) {
      const state = states.get(request);
      if (!state) return;
      response.headers.set("RateLimit-Limit", String(state.limit));
      response.headers.set("RateLimit-Remaining", String(state.remaining));
      response.headers.set("RateLimit-Reset", String(state.resetSeconds));
      if (state.limited) response.headers.set("Retry-After", String(state.resetSeconds));
    },
  };
}
