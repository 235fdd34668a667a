import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { OAuth2Issuer, OAuth2Service, type MutableResponse, type MutableRedirectUri } from "oauth2-mock-server";

/** One authorization an account gave the client: its refresh token, and whether it was revoked (or only its refresh token). */
interface Grant {
  user: string;
  clientId: string;
  refreshToken: string;
  revoked: boolean;
  refreshRefused?: boolean;
}

export interface Client {
  id: string;
  secret: string;
}

/**
 * A local authorization server in Google's or Microsoft's place: oauth2-mock-server
 * (discovery, /authorize with PKCE, /token) with this file's rules on top, so
 * that what the tests check can fail: the client's secret, PKCE on every code,
 * codes used once, refresh tokens that can be revoked, access tokens that
 * expire. Access tokens are opaque; Dovecot's oauth2 passdb (and the SMTP
 * sink) ask /introspect (RFC 7662) whose they are, as a provider's own mail
 * servers know. /introspect and /revoke are answered here (the mock's do
 * not read form bodies); everything else by the mock.
 */
export async function startOAuthServer(clients: Client[]) {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate("RS256");
  const service = new OAuth2Service(issuer);
  const grants: Grant[] = [];
  const codes = new Map<string, { user: string; clientId: string }>();
  const access = new Map<string, { grant: Grant; expiresAt: number }>();
  const authorizeRequests: URLSearchParams[] = [];
  const revoked: string[] = [];
  let signingIn: string | null = null;
  let ttlSeconds = 3600;
  let refreshes = 0;
  let introspections = 0;

  service.on("beforeAuthorizeRedirect", (redirect: MutableRedirectUri, req: IncomingMessage) => {
    const query = new URL(req.url!, "http://x").searchParams;
    authorizeRequests.push(query);
    const code = redirect.url.searchParams.get("code");
    if (code && signingIn) codes.set(code, { user: signingIn, clientId: query.get("client_id") ?? "" });
  });

  service.on("beforeResponse", (response: MutableResponse, req: IncomingMessage & { body: Record<string, string> }) => {
    const body = req.body;
    const refuse = (status: number, error: string) => {
      response.statusCode = status;
      response.body = { error };
    };
    const client = clients.find((c) => c.id === body.client_id);
    if (!client || client.secret !== body.client_secret) return refuse(401, "invalid_client");
    let grant: Grant | undefined;
    if (body.grant_type === "authorization_code") {
      const issued = codes.get(body.code ?? "");
      codes.delete(body.code ?? "");
      // The mock checks the verifier against the challenge when one is sent; a code without one is refused here.
      if (!issued || issued.clientId !== client.id || !body.code_verifier) return refuse(400, "invalid_grant");
      grant = { user: issued.user, clientId: client.id, refreshToken: token("rt"), revoked: false };
      grants.push(grant);
    } else if (body.grant_type === "refresh_token") {
      refreshes++;
      grant = grants.find((g) => g.refreshToken === body.refresh_token && g.clientId === client.id);
      if (!grant || grant.revoked || grant.refreshRefused) return refuse(400, "invalid_grant");
    } else {
      return refuse(400, "unsupported_grant_type");
    }
    const accessToken = token("at");
    access.set(accessToken, { grant, expiresAt: Date.now() + ttlSeconds * 1000 });
    response.body = {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: ttlSeconds,
      scope: (response.body as { scope?: string }).scope,
      ...(body.grant_type === "authorization_code" ? { refresh_token: grant.refreshToken } : {}),
    };
  });

  /** The account an access token is valid for now, or null. */
  const userOf = (accessToken: string): string | null => {
    const a = access.get(accessToken);
    return a && !a.grant.revoked && a.expiresAt > Date.now() ? a.grant.user : null;
  };

  const http = createServer((req, res) => {
    const path = new URL(req.url!, "http://x").pathname;
    if (req.method === "POST" && (path === "/introspect" || path === "/revoke")) {
      void formOf(req).then((form) => {
        const tokenValue = form.get("token") ?? "";
        if (path === "/introspect") {
          introspections++;
          const user = userOf(tokenValue);
          return json(res, user ? { active: true, username: user } : { active: false });
        }
        const grant = grants.find((g) => g.refreshToken === tokenValue);
        if (grant) {
          grant.revoked = true;
          revoked.push(tokenValue);
        }
        res.writeHead(200).end();
      });
      return;
    }
    service.requestHandler(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  issuer.url = url;

  return {
    url,
    /** The account that signs in at the next visit of the authorization URL (the admin's browser). */
    signInAs: (user: string) => void (signingIn = user),
    /** Lifetime of the access tokens issued from now on. */
    setTokenLifetime: (seconds: number) => void (ttlSeconds = seconds),
    /** The account, an admin or the provider revokes every grant of a user: refresh tokens refused, access tokens inactive. */
    revokeUser(user: string) {
      for (const g of grants.filter((x) => x.user === user)) g.revoked = true;
    },
    /**
     * The user's refresh tokens refused from now on, the access tokens issued
     * already valid until they expire: how providers with self-contained
     * access tokens (Microsoft's) end a grant.
     */
    refuseRefresh(user: string) {
      for (const g of grants.filter((x) => x.user === user)) g.refreshRefused = true;
    },
    userOf,
    authorizeRequests,
    /** Refresh tokens revoked through /revoke (RFC 7009). */
    revoked,
    refreshTokensOf: (user: string) => grants.filter((g) => g.user === user).map((g) => g.refreshToken),
    accessTokens: () => [...access.keys()],
    counts: () => ({ refreshes, introspections }),
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

const token = (prefix: string) => `${prefix}-${randomBytes(18).toString("base64url")}`;

function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => resolve(new URLSearchParams(body)));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, body: unknown) {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}
