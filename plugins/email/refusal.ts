import type { Mailbox } from "../../src/generated/prisma/client.js";
import { type FailureReason, failureReason } from "./connection.js";
import { providerOf } from "./providers/index.js";
import type { TokenDeps } from "./providers/oauth-tokens.js";

/** Mailboxes whose refused sign-in was answered with a new token lately, and when: one such try per RENEW_EVERY_MS. */
const renewed = new Map<string, number>();
const RENEW_EVERY_MS = 10 * 60_000;

/**
 * What a refused sign-in means. For an OAuth2 mailbox it may be an access
 * token the provider ended early (a revoked grant ends its tokens too): a new
 * one is asked for, and the provider's refusal makes it GRANT_REVOKED; a new
 * token means the next sign-in may pass (null). A mailbox refused again soon
 * after is AUTHENTICATION_FAILED: its server does not take the provider's
 * tokens, and asking for more would not help.
 */
export async function refusalReason(
  deps: TokenDeps,
  mailbox: Pick<Mailbox, "id" | "kind">,
  reason: FailureReason,
): Promise<FailureReason | null> {
  const renew = providerOf(mailbox.kind).renew;
  if (reason !== "AUTHENTICATION_FAILED" || !renew) return reason;
  const last = renewed.get(mailbox.id);
  if (last !== undefined && Date.now() - last < RENEW_EVERY_MS) return reason;
  renewed.set(mailbox.id, Date.now());
  try {
    await renew(mailbox.id, deps);
    return null;
  } catch (err) {
    return failureReason(err) === "GRANT_REVOKED" ? "GRANT_REVOKED" : null;
  }
}
