import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors.js";

/**
 * Counts failed sign-ins per account and per client address; either one over
 * its budget blocks further attempts until the window passes. A success
 * clears the account's count.
 */
export class SignInLimiter {
  private readonly byAccount: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(private readonly maxAttempts: number, windowSeconds: number) {
    this.byAccount = new RateLimiterMemory({ keyPrefix: "signin-account", points: maxAttempts, duration: windowSeconds });
    // One address may hold many agents (an office NAT), so it gets a larger budget.
    this.byAddress = new RateLimiterMemory({ keyPrefix: "signin-ip", points: maxAttempts * 4, duration: windowSeconds });
  }

  async assertAllowed(account: string, address: string): Promise<void> {
    const [a, b] = await Promise.all([this.byAccount.get(account), this.byAddress.get(address)]);
    const blocked = [a && a.consumedPoints >= this.maxAttempts ? a : null, b && b.consumedPoints >= this.maxAttempts * 4 ? b : null]
      .filter((r): r is RateLimiterRes => r !== null)
      .map((r) => Math.ceil(r.msBeforeNext / 1000));
    if (blocked.length > 0) {
      const retryAfterSeconds = Math.max(...blocked);
      throw new AppError("RATE_LIMITED", `Too many failed sign-ins; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
  }

  async recordFailure(account: string, address: string): Promise<void> {
    await Promise.all([this.byAccount.penalty(account, 1), this.byAddress.penalty(address, 1)]);
  }

  async recordSuccess(account: string): Promise<void> {
    await this.byAccount.delete(account);
  }
}
