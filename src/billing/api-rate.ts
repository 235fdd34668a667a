import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { failFastRedisOptions, ioredis } from "../events/bus.js";
import type { BillingHost } from "./host.js";
import { entitlement } from "./state.js";

const WINDOW_SECONDS = 60;
// The store only counts; the tenant's limit is compared below (see consume).
const NEVER_REJECT = 1_000_000_000;
// One warning per outage is enough; while Redis stays away, remind every minute.
const WARN_EVERY_MS = 60_000;

/** Where a tenant stands in the current window, for the RateLimit-* headers. */
export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the budget is full again. */
  resetSeconds: number;
  limited: boolean;
}

/**
 * Counts each tenant's GraphQL operations per minute, all of its callers
 * together (agents, API keys, portal contacts), in memory for one instance
 * or in Redis (REDIS_URL) so that every instance draws on one budget.
 *
 * The counter is one per tenant whatever its limit: the store never refuses,
 * and the limit of the moment is compared with the count. So a plan change
 * applies on the tenant's next request, without resetting what it used.
 */
export class ApiRateLimiter {
  private readonly store: RateLimiterAbstract;
  private readonly redis?: Redis;
  private lastWarning = 0;

  constructor(private readonly services: { config: Config; database: Database; log: Logger; billing?: BillingHost }) {
    const keyPrefix = "deskgraph:api-rate";
    const redisUrl = services.config.redisUrl;
    if (redisUrl) {
      this.redis = new (ioredis().Redis)(redisUrl, failFastRedisOptions);
      // Logged by consume when a request meets the outage; ioredis reconnects by itself.
      this.redis.on("error", () => {});
      this.store = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix,
        points: NEVER_REJECT,
        duration: WINDOW_SECONDS,
        rejectIfRedisNotReady: true,
      });
    } else {
      this.store = new RateLimiterMemory({ keyPrefix, points: NEVER_REJECT, duration: WINDOW_SECONDS });
    }
  }

  /**
   * The tenant's limit per minute now: its plan's rate tier with billing on
   * (the default plan without a live subscription), else the operator's
   * API_RATE_LIMIT_PER_MINUTE; null: unlimited.
   */
  async limitOf(tenantId: string): Promise<number | null> {
    const host = this.services.billing;
    if (!host) return this.services.config.apiRateLimitPerMinute ?? null;
    const account = await this.services.database.prisma.billingAccount.findUnique({ where: { tenantId } });
    return host.config.plans.rateTierOf(entitlement(host, account).plan).requestsPerMinute;
  }

  /**
   * Counts one operation for the tenant. Null when no limit applies or the
   * count could not be kept: with Redis unreachable the request goes through
   * (fail open). Locking every paying tenant out because a counter is away
   * would turn a Redis outage into an API outage; a few minutes without
   * limits costs less, and the warning in the log says it is happening.
   */
  async consume(tenantId: string): Promise<RateState | null> {
    const limit = await this.limitOf(tenantId);
    if (limit === null) return null;
    let res: RateLimiterRes;
    try {
      res = await this.store.consume(tenantId, 1);
    } catch (err) {
      if (err instanceof RateLimiterRes)
        res = err; // not expected with NEVER_REJECT, but it is a count all the same
      else {
        this.warn(err);
        return null;
      }
    }
    return {
      limit,
      remaining: Math.max(0, limit - res.consumedPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      limited: res.consumedPoints > limit,
    };
  }

  private warn(err: unknown) {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.services.log.warn(
      { err: (err as Error)?.message ?? String(err) },
      "API rate limits not enforced: the counter store (Redis) is unreachable; requests pass meanwhile",
    );
  }

  close() {
    this.redis?.disconnect();
  }
}
