import type { Mailbox } from "../../src/generated/prisma/client.js";
import { failureReason, needsAdmin, type FailureReason } from "./connection.js";
import { providerOf } from "./providers/index.js";
import type { TokenDeps } from "./providers/oauth-tokens.js";
import { markNeedsReconnect } from "./reconnect.js";

/** Mailboxes whose refused sign-in was answered with a new token lately, and when: one such try per RENEW_EVERY_MS. */
const renewed = new Map<string, number>();
const RENEW_EVERY_MS = 10 * 60_000;

/**
 * After a sync, reply or notification failed: marks the mailbox
 * NEEDS_RECONNECT when only an admin can mend the failure, and returns that
 * reason (null when another attempt may pass).
 *
 * A refused sign-in of an OAuth2 mailbox may be an access token the provider
 * ended early (a revoked grant ends its tokens too): a new one is asked for
 * first. The provider's refusal makes it GRANT_REVOKED; a new token means the
 * next attempt may pass. Refused again within RENEW_EVERY_MS, it stays
 * AUTHENTICATION_FAILED: that server does not take the provider's tokens.
 */
export async function markIfNeedsAdmin(
  deps: TokenDeps,
  mailbox: Pick<Mailbox, "id" | "kind">,
  err: unknown,
): Promise<FailureReason | null> {
  let reason: FailureReason | null = failureReason(err);
  if (!needsAdmin(reason)) return null;
  if (reason === "AUTHENTICATION_FAILED") reason = await renewRefused(deps, mailbox);
  if (reason) {
    await markNeedsReconnect(deps.db, mailbox.id, reason, deps.log).catch((e) =>
      deps.log.error({ err: e, mailboxId: mailbox.id }, "could not mark a mailbox as needing reconnection"),
    );
  }
  return reason;
}

/** AUTHENTICATION_FAILED as it stands, GRANT_REVOKED, or null once the provider gave a new token. */
async function renewRefused(deps: TokenDeps, mailbox: Pick<Mailbox, "id" | "kind">): Promise<FailureReason | null> {
  const renew = providerOf(mailbox.kind).renew;
  const now = Date.now();
  for (const [id, at] of renewed) if (now - at >= RENEW_EVERY_MS) renewed.delete(id);
  if (!renew || renewed.has(mailbox.id)) return "AUTHENTICATION_FAILED";
  renewed.set(mailbox.id, now);
  try {
    await renew(mailbox.id, deps);
    return null;
  } catch (err) {
    return failureReason(err) === "GRANT_REVOKED" ? "GRANT_REVOKED" : null;
  }
}
