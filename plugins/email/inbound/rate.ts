import { createHash } from "node:crypto";
import { RateLimiterMemory } from "rate-limiter-flexible";

/**
 * A cap on the mails one sender can turn into tickets or messages per hour,
 * per mailbox: what stops a mail loop the noise rules did not catch (two
 * autoresponders without Auto-Submitted) or a flood. Counted in the memory of
 * the instance that syncs the mailbox: only one does at a time. Keys are
 * hashed, so that memory holds no addresses.
 */
export class SenderLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly perHour: number) {
    this.limiter = new RateLimiterMemory({ keyPrefix: "email-sender", points: perHour, duration: 3600 });
  }

  /** Counts one mail; false when the sender is over the cap. */
  async allow(mailboxId: string, address: string): Promise<boolean> {
    const key = createHash("sha256").update(`${mailboxId}\n${address}`).digest("base64url");
    try {
      await this.limiter.consume(key);
      return true;
    } catch {
      return false;
    }
  }
}

/** An address for the logs that says whose it is without spelling it out: a***@example.org. */
export const maskedAddress = (address: string) => address.replace(/^(.)[^@]*/, "$1***");
