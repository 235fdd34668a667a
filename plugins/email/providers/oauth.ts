import * as oauth from "oauth4webapi";
import type { Endpoint } from "../connection.js";
import type { EmailOptions } from "../options.js";
import { guardedFetch } from "../../../src/outbound/fetch.js";
import { AppError } from "../../../src/errors.js";
import type { OutboundGuard } from "../../../src/outbound/guard.js";
import type { OAuthClientOptions } from "./oauth-options.js";
import type { OAuthOut } from "./oauth-record.js";

export type OAuthKind = "GOOGLE" | "MICROSOFT";

/** What a provider is, for the shared OAuth2 code: its authorization server, scopes and mail servers. */
export interface OAuthSpec {
  kind: OAuthKind;
  /** The provider's own authorization server, written out: no discovery request at start or per sign-in. */
  authorizationServer(options: EmailOptions): oauth.AuthorizationServer;
  /** What IMAP and SMTP with XOAUTH2 need, and a refresh token (offline access). */
  scopes: string[];
  /** Extra parameters of the authorization request (Google hands out a refresh token only with access_type=offline). */
  authorizationParams: Record<string, string>;
  imap: Endpoint;
  smtp: Endpoint;
}

/** A mailbox's tokens, as sealed in Mailbox.secrets (times in ms since the epoch). */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  /** When to get a new access token: before it expires, so that a sign-in never carries one about to lapse. */
  refreshAt: number;
}

/** The provider refused the refresh token (revoked by the user or an admin, the password changed, the app removed). */
export class GrantRevoked extends Error {
  readonly code = "GRANT_REVOKED";
  constructor() {
    super("The provider no longer accepts the mailbox's authorization");
  }
}

/** The authorization server could not be reached or answered nonsense: tried again later. */
class OAuthUnavailable extends Error {
  readonly code = "OAUTH_UNAVAILABLE";
}

/** The operator has no client at this provider (its variables are unset). */
export class OAuthNotConfigured extends Error {
  readonly code = "OAUTH_NOT_CONFIGURED";
}

const TIMEOUT_MS = 30_000;
/** A new access token this long before the old one expires at the latest (Google's and Microsoft's live an hour). */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** The operator's client at the provider, and the authorization server to use (the provider's, or the configured stand-in's). */
async function clientOf(spec: OAuthSpec, options: EmailOptions, out: OAuthOut) {
  const client = options.oauth[spec.kind];
  if (!client) throw new OAuthNotConfigured(`No ${spec.kind} OAuth2 client is configured on this server`);
  return { options: client, as: await authorizationServerOf(spec, options, client, out), client: { client_id: client.clientId } };
}

/** The IMAP and SMTP servers of the provider (or of the operator's stand-in). */
export function serversOf(spec: OAuthSpec, options: EmailOptions): { imap: Endpoint; smtp: Endpoint } {
  const endpoints = options.oauth[spec.kind]?.endpoints;
  return endpoints ? { imap: endpoints.imap, smtp: endpoints.smtp } : { imap: spec.imap, smtp: spec.smtp };
}

/**
 * Per issuer in the operator's options, that is per server started (both providers' clients
 * may name one stand-in): not per process, where a test runner starts server after server
 * and an issuer's address (a stand-in's port) may be another's.
 */
const discovered = new WeakMap<EmailOptions, Map<string, Promise<oauth.AuthorizationServer>>>();

/** The configured issuer's metadata, read once per server (a failed read is tried again next time). */
function authorizationServerOf(
  spec: OAuthSpec,
  options: EmailOptions,
  client: OAuthClientOptions,
  out: OAuthOut,
): Promise<oauth.AuthorizationServer> {
  if (!client.endpoints) return Promise.resolve(spec.authorizationServer(options));
  const issuer = new URL(client.endpoints.issuer);
  const key = issuer.href;
  const cache = discovered.get(options) ?? new Map<string, Promise<oauth.AuthorizationServer>>();
  discovered.set(options, cache);
  let found = cache.get(key);
  if (!found) {
    found = (async () => {
      return guarded(() =>
        out.record("oauth.discovery", async () => {
          const response = await oauth.discoveryRequest(issuer, { ...requestOptions(issuer, out.guard), algorithm: "oidc" });
          return oauth.processDiscoveryResponse(issuer, response);
        }),
      );
    })();
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}

/**
 * Every request to the authorization server goes through the outbound guard
 * (an operator's stand-in on a private network needs OUTBOUND_ALLOW_PRIVATE);
 * http:// only for an issuer the operator configured so; the providers' own are https.
 */
function requestOptions(url: URL, guard: OutboundGuard) {
  return {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    [oauth.customFetch]: guardedFetch(guard),
    ...(url.protocol === "http:" ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

/**
 * A network failure or a server error of the authorization server as
 * OAuthUnavailable; its refusals (and the gateway's) as they are.
 */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (
      err instanceof oauth.ResponseBodyError ||
      err instanceof oauth.AuthorizationResponseError ||
      err instanceof GrantRevoked ||
      err instanceof AppError
    )
      throw err;
    throw new OAuthUnavailable("The authorization server could not be reached or gave an answer that is not OAuth2", { cause: err });
  }
}

/** The URL the admin's browser goes to: authorization code with PKCE (S256), the address as the sign-in hint. */
export async function authorizationUrl(
  spec: OAuthSpec,
  options: EmailOptions,
  out: OAuthOut,
  request: { state: string; codeVerifier: string; address: string },
): Promise<URL> {
  const { as, options: client } = await clientOf(spec, options, out);
  const url = new URL(as.authorization_endpoint!);
  const params: Record<string, string> = {
    client_id: client.clientId,
    redirect_uri: client.redirectUrl,
    response_type: "code",
    scope: spec.scopes.join(" "),
    state: request.state,
    code_challenge: await oauth.calculatePKCECodeChallenge(request.codeVerifier),
    code_challenge_method: "S256",
    login_hint: request.address,
    ...spec.authorizationParams,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

/** The code from the provider's redirect, exchanged (with the PKCE verifier and the client's secret) for tokens. */
export async function exchangeCode(
  spec: OAuthSpec,
  options: EmailOptions,
  out: OAuthOut,
  callback: { code: string; state: string; codeVerifier: string },
): Promise<Tokens> {
  const { as, client, options: own } = await clientOf(spec, options, out);
  const params = oauth.validateAuthResponse(
    as,
    client,
    new URLSearchParams({ code: callback.code, state: callback.state }),
    callback.state,
  );
  const result = await guarded(() =>
    out.record("oauth.token", async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretPost(own.clientSecret),
        params,
        own.redirectUrl,
        callback.codeVerifier,
        requestOptions(new URL(as.token_endpoint!), out.guard),
      );
      return oauth.processAuthorizationCodeResponse(as, client, response);
    }),
  );
  if (!result.refresh_token) throw new OAuthUnavailable("The provider gave no refresh token (offline access was not granted)");
  return tokensOf(result, result.refresh_token);
}

/** A new access token for a refresh token; GrantRevoked when the provider refuses it. */
export async function refreshTokens(spec: OAuthSpec, options: EmailOptions, out: OAuthOut, refreshToken: string): Promise<Tokens> {
  const { as, client, options: own } = await clientOf(spec, options, out);
  const result = await guarded(() =>
    out.record("oauth.refresh", async () => {
      try {
        const response = await oauth.refreshTokenGrantRequest(
          as,
          client,
          oauth.ClientSecretPost(own.clientSecret),
          refreshToken,
          requestOptions(new URL(as.token_endpoint!), out.guard),
        );
        return await oauth.processRefreshTokenResponse(as, client, response);
      } catch (err) {
        // Refused as GRANT_REVOKED, in the call's record too.
        if (err instanceof oauth.ResponseBodyError && (err.error === "invalid_grant" || err.error === "unauthorized_client")) {
          throw new GrantRevoked();
        }
        throw err;
      }
    }),
  );
  // Google keeps the refresh token; Microsoft may hand out a new one (the old one stays valid a while).
  return tokensOf(result, result.refresh_token ?? refreshToken);
}

/**
 * Tells the provider the helpdesk lets go of the grant (RFC 7009), where it
 * has a revocation endpoint (Google; Microsoft has none: the grant lapses
 * unused, or an admin removes the app). Best effort: the tokens are deleted
 * here whatever the answer.
 */
export async function revokeGrant(spec: OAuthSpec, options: EmailOptions, out: OAuthOut, refreshToken: string): Promise<boolean> {
  const { as, client, options: own } = await clientOf(spec, options, out);
  if (!as.revocation_endpoint) return false;
  await guarded(() =>
    out.record("oauth.revoke", async () => {
      const response = await oauth.revocationRequest(
        as,
        client,
        oauth.ClientSecretPost(own.clientSecret),
        refreshToken,
        requestOptions(new URL(as.revocation_endpoint!), out.guard),
      );
      await oauth.processRevocationResponse(response);
    }),
  );
  return true;
}

function tokensOf(result: oauth.TokenEndpointResponse, refreshToken: string): Tokens {
  const now = Date.now();
  const lifetimeMs = (typeof result.expires_in === "number" && result.expires_in > 0 ? result.expires_in : 3600) * 1000;
  return {
    accessToken: result.access_token,
    refreshToken,
    expiresAt: now + lifetimeMs,
    refreshAt: now + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2),
  };
}
