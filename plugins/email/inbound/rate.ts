import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { failFastRedisOptions, ioredis } from "../../../src/events/bus.js";

const WINDOW_SECONDS = 3600;
// While Redis stays away, remind every minute that the cap is counted per instance.
const WARN_EVERY_MS = 60_000;

export interface SenderLimiterOptions {
  perHour: number;
  /** Counts are shared through Redis when set: every instance (IMAP sessions, SMTP endpoints) draws on one budget. */
  redisUrl?: string;
  /** Where the counts live in Redis (several deployments can share one server). */
  keyPrefix: string;
  log: Logger;
}

/**
 * A cap on the mails one sender can turn into tickets or messages per hour,
 * per mailbox: what stops a mail loop the noise rules did not catch (two
 * autoresponders without Auto-Submitted) or a flood. A mailbox's mail comes
 * in through the instance that syncs it and through every instance's SMTP
 * endpoint, so with REDIS_URL the count lives in Redis, one for all
 * instances; without it, in memory. While Redis is unreachable each instance
 * counts in memory instead (rate-limiter-flexible's insurance limiter): the
 * cap loosens to one per instance rather than letting a loop through. Keys
 * are hashed, so that neither Redis nor memory holds addresses.
 */
export class SenderLimiter {
  readonly perHour: number;
  private readonly limiter: RateLimiterAbstract;
  private readonly redis?: Redis;
  private warnedAt = 0;

  constructor(private readonly options: SenderLimiterOptions) {
    this.perHour = options.perHour;
    const memory = new RateLimiterMemory({ keyPrefix: options.keyPrefix, points: options.perHour, duration: WINDOW_SECONDS });
    if (options.redisUrl) {
      this.redis = new (ioredis().Redis)(options.redisUrl, failFastRedisOptions);
      this.redis.on("error", () => {}); // ioredis reconnects by itself; the fallback is logged in allow
      this.limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: options.keyPrefix,
        points: options.perHour,
        duration: WINDOW_SECONDS,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      });
    } else {
      this.limiter = memory;
    }
  }

  /** Counts one mail; false when the sender is over the cap. */
  async allow(mailboxId: string, address: string): Promise<boolean> {
    this.warnIfRedisAway();
    const key = createHash("sha256").update(`${mailboxId}\n${address.toLowerCase()}`).digest("base64url");
    try {
      await this.limiter.consume(key);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      // Neither Redis nor the insurance limiter counted it: not expected; a loop is worse than a lost count, but a lost mail is worse still.
      this.options.log.warn({ err: (err as Error)?.message }, "email sender cap not applied to a mail: its count failed");
      return true;
    }
  }

  private warnIfRedisAway() {
    if (!this.redis || this.redis.status === "ready") return;
    const now = Date.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.options.log.warn("email sender cap counted per instance: Redis is unreachable");
  }

  close() {
    this.redis?.disconnect();
  }
}

/** An address for the logs that says whose it is without spelling it out: a***@example.org. */
export const maskedAddress = (address: string) => address.replace(/^(.)[^@]*/, "$1***");
