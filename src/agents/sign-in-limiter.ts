import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError } from "../errors.js";
import { failFastRedisOptions, ioredis } from "../events/bus.js";

export interface SignInLimiterOptions {
  maxAttempts: number;
  windowSeconds: number;
  /** Counts are shared through Redis when set, so that every instance sees every failure. */
  redisUrl?: string;
  log?: Logger;
}

/** RATE_LIMITED as HTTP 429 with Retry-After; WebSocket clients read extensions.retryAfterSeconds. */
function signInLocked(retryAfterSeconds: number): AppError {
  return new AppError("RATE_LIMITED", `Too many failed sign-ins; try again in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
    http: { status: 429, headers: { "Retry-After": String(retryAfterSeconds) } },
  });
}

// Keys name an account (tenant and email) and an address: hashed, so Redis holds no personal data.
const keyOf = (value: string) => createHash("sha256").update(value).digest("base64url");

/**
 * Counts failed sign-ins per account and per client address; either one over
 * its budget blocks further attempts until the window passes. A success
 * clears the account's count.
 *
 * With REDIS_URL the counts live in Redis, shared by all instances: an
 * attacker spreading guesses over instances behind a load balancer gets the
 * same budget as one talking to a single instance. While Redis is
 * unreachable each instance counts in memory instead (rate-limiter-flexible's
 * insurance limiter): a lockout that degrades to per instance, rather than
 * failing open as the API rate does, because this one guards passwords.
 */
export class SignInLimiter {
  private readonly byAccount: RateLimiterAbstract;
  private readonly byAddress: RateLimiterAbstract;
  private readonly redis?: Redis;
  /** Settles once the first connection to Redis is made or given up on. */
  private readonly connected: Promise<void> = Promise.resolve();
  // One address may hold many agents (an office NAT), so it gets a larger budget.
  private readonly addressBudget: number;

  constructor(private readonly options: SignInLimiterOptions) {
    const { maxAttempts, windowSeconds, redisUrl } = options;
    this.addressBudget = maxAttempts * 4;
    const memory = (keyPrefix: string, points: number) => new RateLimiterMemory({ keyPrefix, points, duration: windowSeconds });
    if (redisUrl) {
      this.redis = new (ioredis().Redis)(redisUrl, failFastRedisOptions);
      this.redis.on("error", () => {}); // ioredis reconnects by itself; the fallback below is logged
      // The first attempts wait for the connection (briefly), so that a starting instance does not count alone.
      const redis = this.redis;
      this.connected = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, failFastRedisOptions.commandTimeout);
        timer.unref();
        redis.once("ready", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const shared = (keyPrefix: string, points: number) =>
        new RateLimiterRedis({
          storeClient: this.redis,
          keyPrefix,
          points,
          duration: windowSeconds,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory(keyPrefix, points),
        });
      this.byAccount = shared("deskgraph:signin-account", maxAttempts);
      this.byAddress = shared("deskgraph:signin-ip", this.addressBudget);
    } else {
      this.byAccount = memory("signin-account", maxAttempts);
      this.byAddress = memory("signin-ip", this.addressBudget);
    }
  }

  /** Throws RATE_LIMITED (HTTP 429, Retry-After) while the account or the address is locked out. */
  async assertAllowed(account: string, address: string): Promise<void> {
    await this.connected;
    this.warnIfRedisAway();
    const [a, b] = await Promise.all([this.byAccount.get(keyOf(account)), this.byAddress.get(keyOf(address))]);
    // A slot frees when the window that holds the failures ends.
    const blocked = [a && a.consumedPoints >= this.options.maxAttempts ? a : null, b && b.consumedPoints >= this.addressBudget ? b : null]
      .filter((r): r is RateLimiterRes => r !== null)
      .map((r) => Math.max(1, Math.ceil(r.msBeforeNext / 1000)));
    if (blocked.length > 0) throw signInLocked(Math.max(...blocked));
  }

  async recordFailure(account: string, address: string): Promise<void> {
    await Promise.all([this.byAccount.penalty(keyOf(account), 1), this.byAddress.penalty(keyOf(address), 1)]);
  }

  async recordSuccess(account: string): Promise<void> {
    await this.byAccount.delete(keyOf(account));
  }

  private warnedAt = 0;
  private warnIfRedisAway() {
    if (!this.redis || this.redis.status === "ready") return;
    const now = Date.now();
    if (now - this.warnedAt < 60_000) return;
    this.warnedAt = now;
    this.options.log?.warn("sign-in attempts counted per instance: Redis is unreachable");
  }

  close() {
    this.redis?.disconnect();
  }
}
