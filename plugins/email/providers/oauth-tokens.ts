import type { Logger } from "pino";
import type { OutboundGuard } from "../../../src/outbound/guard.js";
import type { TenantClient } from "../../../src/db/tenant-scope.js";
import type { SecretBox } from "../../../src/plugin-host/secrets.js";
import type { EmailOptions } from "../options.js";
import { markNeedsReconnect } from "../reconnect.js";
import { GrantRevoked, refreshTokens, type OAuthSpec, type Tokens } from "./oauth.js";
import type { OAuthRecorder } from "./oauth-record.js";
import { NoCredentials, openSecrets, type MailboxAccess } from "./provider.js";

/** What getting a mailbox's access token needs: the key, the operator's clients, and its tenant's database to keep new tokens in. */
export interface TokenDeps {
  /** Every request to the provider's authorization server passes it. */
  guard: OutboundGuard;
  /** …and is recorded as a plugin call of the mailbox's tenant. */
  record: OAuthRecorder;
  secrets: SecretBox;
  options: EmailOptions;
  db: TenantClient;
  log: Logger;
}

/** Tokens sealed for Mailbox.secrets: each value a ciphertext of its own, like a password. */
export function sealTokens(box: SecretBox, tokens: Tokens): Record<string, string> {
  return {
    accessToken: box.seal(tokens.accessToken),
    refreshToken: box.seal(tokens.refreshToken),
    expiresAt: box.seal(String(tokens.expiresAt)),
    refreshAt: box.seal(String(tokens.refreshAt)),
  };
}

function openTokens(mailbox: Pick<MailboxAccess, "secrets">, box: SecretBox): Tokens | null {
  const s = openSecrets(mailbox, box);
  if (!s.accessToken || !s.refreshToken) return null;
  return { accessToken: s.accessToken, refreshToken: s.refreshToken, expiresAt: Number(s.expiresAt), refreshAt: Number(s.refreshAt) };
}

/**
 * One refresh per mailbox at a time in this process: the sync session and a
 * reply being sent that both find the token due wait for the same request.
 */
const refreshing = new Map<string, Promise<string>>();

/**
 * A valid access token for the mailbox: the sealed one while it is not due,
 * else a new one from the provider, sealed and saved before it is used.
 * Across instances, the row is read again first: the token another instance
 * has just refreshed is taken as it is. Two instances refreshing at the very
 * same moment both get valid tokens (Google keeps the refresh token, and
 * Microsoft's old one stays valid after it hands out a new one), the last
 * write stays. A refused refresh token is GrantRevoked, and the mailbox is
 * NEEDS_RECONNECT from then on.
 */
export async function accessTokenFor(spec: OAuthSpec, mailbox: MailboxAccess & { id?: string }, deps: TokenDeps): Promise<string> {
  const tokens = openTokens(mailbox, deps.secrets);
  if (!tokens) throw new NoCredentials();
  // A mailbox being connected has just got its tokens and has no row yet.
  if (Date.now() < tokens.refreshAt || !mailbox.id) return tokens.accessToken;
  return refreshOnce(spec, mailbox.id, deps, false);
}

/**
 * A new access token now, due or not: a server refused the one it was given
 * (a provider ends a revoked grant's access tokens with it). GrantRevoked
 * when the provider refuses the refresh; shared with a refresh under way.
 */
export async function renewAccessToken(spec: OAuthSpec, mailboxId: string, deps: TokenDeps): Promise<void> {
  await refreshOnce(spec, mailboxId, deps, true);
}

/** The refresh under way for the mailbox in this process, or a new one. */
function refreshOnce(spec: OAuthSpec, mailboxId: string, deps: TokenDeps, force: boolean): Promise<string> {
  let pending = refreshing.get(mailboxId);
  if (!pending) {
    pending = refresh(spec, mailboxId, deps, force).finally(() => refreshing.delete(mailboxId));
    refreshing.set(mailboxId, pending);
  }
  return pending;
}

async function refresh(spec: OAuthSpec, mailboxId: string, deps: TokenDeps, force: boolean): Promise<string> {
  const row = await deps.db.mailbox.findUnique({
    where: { id: mailboxId },
    select: { secrets: true, disconnectedAt: true, status: true, statusReason: true },
  });
  const current = row && !row.disconnectedAt ? openTokens(row, deps.secrets) : null;
  if (!current) throw new NoCredentials();
  if (!force && Date.now() < current.refreshAt) return current.accessToken;
  // Refused already (the sync and a reply both found the token due): not asked again until an admin reconnects.
  if (row!.status === "NEEDS_RECONNECT" && row!.statusReason === "GRANT_REVOKED") throw new GrantRevoked();
  const fresh = await refreshTokens(spec, deps.options, { guard: deps.guard, record: deps.record }, current.refreshToken).catch(
    async (err: unknown) => {
      // Marked before the next caller may start a refresh of its own, so the provider hears one refused refresh, not several.
      if (err instanceof GrantRevoked) await markNeedsReconnect(deps.db, mailboxId, "GRANT_REVOKED", deps.log);
      throw err;
    },
  );
  // Only while it is connected: a disconnect in the meantime emptied the secrets, and they stay empty.
  const { count } = await deps.db.mailbox.updateMany({
    where: { id: mailboxId, disconnectedAt: null },
    data: { secrets: sealTokens(deps.secrets, fresh) },
  });
  if (!count) throw new NoCredentials();
  return fresh.accessToken;
}
