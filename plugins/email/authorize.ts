import * as oauth from "oauth4webapi";
import type { Context } from "../../src/context.js";
import { requireViewer } from "../../src/context.js";
import { AppError, validationError } from "../../src/errors.js";
import { emailRuntime, saveMailbox, type MailboxChoices } from "./mailboxes.js";
import { oauthSpecOf } from "./providers/index.js";
import { authorizationUrl, exchangeCode, OAuthNotConfigured, serversOf, type OAuthKind } from "./providers/oauth.js";
import { oauthOut } from "./providers/oauth-record.js";
import { sealTokens } from "./providers/oauth-tokens.js";

/** How long the admin has to sign in at the provider and come back. */
const AUTHORIZATION_TTL_MS = 15 * 60_000;

export interface StartAuthorizationInput extends MailboxChoices {
  provider: OAuthKind;
  address: string;
  displayName?: string | null;
}

/** What travels in `state`, sealed with the server's key: nobody can read the PKCE verifier or change what is connected. */
interface Pending {
  v: 1;
  tenantId: string;
  /** Who started it (agent:… or apiKey:…): only they can complete it. */
  by: string;
  kind: OAuthKind;
  address: string;
  displayName: string | null;
  folder: string | null;
  plusAddressing: boolean;
  importExisting: boolean;
  codeVerifier: string;
  expiresAt: number;
}

const callerOf = (ctx: Context) => {
  const v = requireViewer(ctx);
  return v.kind === "agent" ? `agent:${v.agentId}` : v.kind === "apiKey" ? `apiKey:${v.apiKeyId}` : `${v.kind}:${v.tenantId}`;
};

/**
 * The first half of connecting a Google or Microsoft 365 mailbox: the URL to
 * send the admin's browser to. Authorization code with PKCE; the state is
 * the pending connection itself, sealed (AES-256-GCM with the server's key)
 * and bound to the tenant and the caller, expiring after 15 minutes: no row
 * is written until the provider sends the admin back with a code.
 */
export async function startMailboxAuthorization(ctx: Context, input: StartAuthorizationInput) {
  const { tenantId } = requireViewer(ctx);
  const runtime = await emailRuntime(ctx);
  const spec = oauthSpecOf(input.provider)!;
  const expiresAt = Date.now() + AUTHORIZATION_TTL_MS;
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const pending: Pending = {
    v: 1,
    tenantId,
    by: callerOf(ctx),
    kind: input.provider,
    address: input.address,
    displayName: input.displayName ?? null,
    folder: input.folder ?? null,
    plusAddressing: input.plusAddressing ?? false,
    importExisting: input.importExisting ?? false,
    codeVerifier,
    expiresAt,
  };
  const state = Buffer.from(ctx.plugins.secrets.seal(JSON.stringify(pending))).toString("base64url");
  try {
    const url = await authorizationUrl(spec, runtime.options, oauthOut(runtime), {
      state,
      codeVerifier,
      address: input.address,
    });
    return { authorizationUrl: url.href, state, expiresAt: new Date(expiresAt) };
  } catch (err) {
    throw authorizationFailed(ctx, err, ["input", "provider"]);
  }
}

/**
 * The second half: the code and state the provider's redirect brought to the
 * operator's frontend (EMAIL_OAUTH_REDIRECT_URL), exchanged for tokens, which
 * are sealed at once; then the mailbox is checked (IMAP and SMTP sign-in with
 * XOAUTH2 as its address: the provider refuses a token of another account)
 * and saved like connectMailbox saves one. Nothing is saved on any failure.
 */
export async function completeMailboxAuthorization(ctx: Context, input: { code: string; state: string }) {
  const { tenantId } = requireViewer(ctx);
  const pending = openState(ctx, input.state);
  if (!pending || pending.tenantId !== tenantId || pending.by !== callerOf(ctx)) {
    throw failed("STATE_INVALID", "This authorization was not started by you here: start it again", ["input", "state"]);
  }
  if (Date.now() > pending.expiresAt) {
    throw failed("STATE_EXPIRED", "This authorization expired: start it again", ["input", "state"]);
  }
  const runtime = await emailRuntime(ctx);
  const spec = oauthSpecOf(pending.kind)!;
  const tokens = await exchangeCode(spec, runtime.options, oauthOut(runtime), {
    code: input.code,
    state: input.state,
    codeVerifier: pending.codeVerifier,
  }).catch((err) => {
    throw authorizationFailed(ctx, err, ["input", "code"]);
  });
  const { imap, smtp } = serversOf(spec, runtime.options);
  return saveMailbox(
    ctx,
    runtime,
    {
      kind: pending.kind,
      address: pending.address,
      displayName: pending.displayName,
      imapHost: imap.host,
      imapPort: imap.port,
      imapSecurity: imap.security,
      smtpHost: smtp.host,
      smtpPort: smtp.port,
      smtpSecurity: smtp.security,
      username: pending.address,
      secrets: sealTokens(ctx.plugins.secrets, tokens),
    },
    pending,
    { host: () => ["input", "state"], credentials: ["input", "code"] },
  );
}

function openState(ctx: Context, state: string): Pending | null {
  try {
    const pending = JSON.parse(ctx.plugins.secrets.open(Buffer.from(state, "base64url").toString())) as Pending;
    return pending?.v === 1 ? pending : null;
  } catch {
    return null;
  }
}

type Reason = "NOT_CONFIGURED" | "STATE_INVALID" | "STATE_EXPIRED" | "CODE_REFUSED" | "PROVIDER_UNAVAILABLE";

const failed = (reason: Reason, message: string, path: string[]) =>
  new AppError("MAILBOX_AUTHORIZATION_FAILED", message, { reason, fields: [{ path, message }] });

function authorizationFailed(ctx: Context, err: unknown, path: string[]): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof OAuthNotConfigured) {
    return validationError([
      { path: ["input", "provider"], message: "this server has no OAuth2 client at that provider (its operator sets one up)" },
    ]);
  }
  if (err instanceof oauth.ResponseBodyError) {
    // The provider's error code only (invalid_grant…): its description can be anything.
    return failed("CODE_REFUSED", `The provider refused the code (${err.error}): start again`, path);
  }
  const cause = (err as { cause?: { code?: unknown; name?: unknown } }).cause;
  ctx.log.warn({ error: (err as Error)?.name, cause: cause?.code ?? cause?.name }, "the OAuth2 provider could not be reached");
  return failed("PROVIDER_UNAVAILABLE", "The provider's sign-in could not be reached: try again later", path);
}
