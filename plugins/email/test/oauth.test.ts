import { pino } from "pino";
import { randomBytes, randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { outboundGuard } from "../../../src/outbound/guard.js";
import { SecretBox } from "../../../src/plugin-host/secrets.js";
import { codes, startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { until } from "../../../test/support/webhooks.js";
import { manifest } from "../manifest.js";
import { options as emailOptions } from "../options.js";
import { googleProvider } from "../providers/google.js";
import { refreshTokens } from "../providers/oauth.js";
import { accessTokenFor } from "../providers/oauth-tokens.js";
import { startDovecot, type Dovecot } from "./dovecot.js";
import { startOAuthServer } from "./oauth-server.js";
import { startSmtpSink } from "./smtp-sink.js";

/**
 * Google and Microsoft 365 mailboxes, with a local authorization server in
 * the providers' place (oauth-server.ts) that the operator's settings point
 * at, a Dovecot that takes XOAUTH2/OAUTHBEARER by asking that server whose a
 * token is (its oauth2 passdb), and an SMTP sink that does the same.
 */
const GOOGLE = { id: "google-client", secret: randomBytes(12).toString("base64url") };
const MICROSOFT = { id: "microsoft-client", secret: randomBytes(12).toString("base64url") };
const REDIRECT = "https://desk.example.test/mailboxes/oauth";

const auth = await startOAuthServer([GOOGLE, MICROSOFT]);
const started = await startDovecot({ introspectionUrl: `${auth.url}/introspect` });
const skipped = "skipped" in started ? started.skipped : null;
if (skipped) console.warn(`\n\n!!! plugins/email/test/oauth.test.ts SKIPPED: ${skipped}\n\n`);
const dovecot = started as Dovecot;

const KEY = randomBytes(32).toString("base64");
let app: TestApp;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let env: Record<string, string>;

beforeAll(async () => {
  if (skipped) return;
  sink = await startSmtpSink(
    (username) => dovecot.passwordOf(username),
    (accessToken) => auth.userOf(accessToken),
  );
  const endpoints = JSON.stringify({
    issuer: auth.url,
    imap: { host: "127.0.0.1", port: dovecot.port, security: "NONE" },
    smtp: { host: "127.0.0.1", port: sink.port, security: "NONE" },
  });
  env = {
    ENCRYPTION_KEY: KEY,
    OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
    EMAIL_POLL_SECONDS: "5",
    EMAIL_LEASE_SECONDS: "10",
    EMAIL_OAUTH_REDIRECT_URL: REDIRECT,
    EMAIL_GOOGLE_CLIENT_ID: GOOGLE.id,
    EMAIL_GOOGLE_CLIENT_SECRET: GOOGLE.secret,
    EMAIL_GOOGLE_ENDPOINTS: endpoints,
    EMAIL_MICROSOFT_CLIENT_ID: MICROSOFT.id,
    EMAIL_MICROSOFT_CLIENT_SECRET: MICROSOFT.secret,
    EMAIL_MICROSOFT_ENDPOINTS: endpoints,
  };
  app = await startApp(env);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await sink?.close();
  await auth.close();
  if (!skipped) await dovecot.close();
});

const WAIT = 30_000;
const START = `mutation($i: StartMailboxAuthorizationInput!) { startMailboxAuthorization(input: $i) { authorizationUrl state expiresAt } }`;
const COMPLETE = `mutation($i: CompleteMailboxAuthorizationInput!) { completeMailboxAuthorization(input: $i) {
  id kind address status statusReason username imap { host port security } smtp { host port } } }`;
const MAILBOXES = `{ mailboxes { id address kind status statusReason } }`;

async function ok(t: TestTenant, query: string, variables: Record<string, unknown> = {}) {
  const r = await app.gql(query, variables, t.ownerToken);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

async function mailTenant() {
  const t = await app.tenant();
  await ok(t, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
  return t;
}

let users = 0;
const newUser = () => dovecot.addUser(`oauth${++users}`);

/** What the admin's browser does: visits the authorization URL, signed in at the provider as `account`, and is sent back. */
async function signIn(authorizationUrl: string, account: string): Promise<{ code: string; state: string }> {
  auth.signInAs(account);
  const response = await fetch(authorizationUrl, { redirect: "manual" });
  expect(response.status).toBe(302);
  const back = new URL(response.headers.get("location")!);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  return { code: back.searchParams.get("code")!, state: back.searchParams.get("state")! };
}

/** Starts, signs in as `account` and completes; the raw response. */
async function connect(t: TestTenant, address: string, account = address, provider = "GOOGLE") {
  const started = await ok(t, START, { i: { provider, address } });
  const back = await signIn(started.startMailboxAuthorization.authorizationUrl, account);
  return app.gql(COMPLETE, { i: back }, t.ownerToken);
}

function mail(from: string, to: string, subject: string): Promise<Buffer> {
  return new MailComposer({ from, to, subject, text: `About ${subject}`, messageId: `<${randomUUID()}@customer.test>` }).compile().build();
}

const TICKETS = `{ tickets(first: 10) { edges { node { id subject messages(first: 10) { edges { node { id body authorType } } } } } } }`;
const subjects = async (t: TestTenant) => (await ok(t, TICKETS)).tickets.edges.map((e: any) => e.node.subject as string);
const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

describe("operator options", () => {
  it("want a client's id and secret together, and the page providers send admins back to", () => {
    expect(() => emailOptions.parse({ EMAIL_GOOGLE_CLIENT_ID: "x" })).toThrow(ConfigError);
    expect(() => emailOptions.parse({ EMAIL_GOOGLE_CLIENT_ID: "x", EMAIL_GOOGLE_CLIENT_SECRET: "y" })).toThrow(/EMAIL_OAUTH_REDIRECT_URL/);
    expect(() =>
      emailOptions.parse({
        EMAIL_MICROSOFT_CLIENT_ID: "x",
        EMAIL_MICROSOFT_CLIENT_SECRET: "y",
        EMAIL_OAUTH_REDIRECT_URL: REDIRECT,
        EMAIL_MICROSOFT_ENDPOINTS: '{"issuer":"not a url"}',
      }),
    ).toThrow(/EMAIL_MICROSOFT_ENDPOINTS/);
    const parsed = emailOptions.parse({});
    expect(parsed.oauth).toEqual({ GOOGLE: null, MICROSOFT: null });
  });

  it("make the manifest name Google and Microsoft and their US processing when their clients are configured", () => {
    expect(manifest(emailOptions.parse({})).processingLocations).toEqual(["ZZ"]);
    const google = manifest(
      emailOptions.parse({ EMAIL_GOOGLE_CLIENT_ID: "x", EMAIL_GOOGLE_CLIENT_SECRET: "y", EMAIL_OAUTH_REDIRECT_URL: REDIRECT }),
    );
    expect(google.processingLocations).toEqual(["ZZ", "US"]);
    expect(google.transferMechanism).toBe("SCC");
    expect(google.vendor.legalName).toContain("Google LLC");
    expect(google.vendor.legalName).not.toContain("Microsoft");
  });
});

describe.skipIf(skipped !== null)("Google and Microsoft 365 mailboxes (OAuth2)", () => {
  it("connects with authorization code and PKCE, keeps the tokens sealed, syncs with XOAUTH2 and replies with XOAUTH2", async () => {
    const t = await mailTenant();
    const user = await newUser();
    const started = (await ok(t, START, { i: { provider: "GOOGLE", address: user.address } })).startMailboxAuthorization;
    const url = new URL(started.authorizationUrl);
    expect(url.origin).toBe(auth.url);
    const q = url.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      client_id: GOOGLE.id,
      redirect_uri: REDIRECT,
      response_type: "code",
      scope: "https://mail.google.com/",
      code_challenge_method: "S256",
      access_type: "offline",
      login_hint: user.address,
      state: started.state,
    });
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Nothing is saved before the provider sends the admin back.
    expect((await ok(t, MAILBOXES)).mailboxes).toEqual([]);

    const back = await signIn(started.authorizationUrl, user.address);
    const r = await app.gql(COMPLETE, { i: back }, t.ownerToken);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const mailbox = r.data.completeMailboxAuthorization;
    expect(mailbox).toMatchObject({
      kind: "GOOGLE",
      address: user.address,
      status: "CONNECTED",
      username: user.address,
      imap: { host: "127.0.0.1", port: dovecot.port, security: "NONE" },
    });
    // Sealed at rest: none of the tokens the provider issued is in the row.
    const row = await app.database.forTenant(t.id).mailbox.findUniqueOrThrow({ where: { id: rawId(mailbox.id) } });
    const stored = JSON.stringify(row.secrets);
    expect(Object.keys(row.secrets as object).sort()).toEqual(["accessToken", "expiresAt", "refreshAt", "refreshToken"]);
    for (const token of [...auth.accessTokens(), ...auth.refreshTokensOf(user.address)]) expect(stored).not.toContain(token);

    // Dovecot takes the mailbox's sign-in only by asking the authorization server (its oauth2 passdb).
    const asked = auth.counts().introspections;
    await dovecot.append(user.address, await mail("Ann <ann@customer.test>", user.address, "Printer on fire"));
    await until(async () => (await subjects(t)).includes("Printer on fire"), WAIT, "the mail to become a ticket");
    expect(auth.counts().introspections).toBeGreaterThan(asked);

    const ticket = (await ok(t, TICKETS)).tickets.edges[0].node;
    await ok(t, `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, {
      i: { ticketId: ticket.id, body: "Put it out first." },
    });
    await until(async () => sink.sent.some((s) => s.to.includes("ann@customer.test")), WAIT, "the reply to be sent");
    const sent = sink.sent.find((s) => s.to.includes("ann@customer.test"))!;
    expect({ user: sent.user, method: sent.method }).toEqual({ user: user.address, method: "XOAUTH2" });
  });

  it("connects Microsoft 365 mailboxes with Outlook's scopes and offline access", async () => {
    const t = await mailTenant();
    const user = await newUser();
    const r = await connect(t, user.address, user.address, "MICROSOFT");
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(r.data.completeMailboxAuthorization).toMatchObject({ kind: "MICROSOFT", status: "CONNECTED" });
    const request = auth.authorizeRequests.at(-1)!;
    expect(request.get("client_id")).toBe(MICROSOFT.id);
    expect(request.get("scope")!.split(" ").sort()).toEqual(
      ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"].sort(),
    );
  });

  it("saves nothing when the state is not the caller's, has expired or the code was used, or the account is not the address", async () => {
    const t = await mailTenant();
    const other = await mailTenant();
    const user = await newUser();
    const started = (await ok(t, START, { i: { provider: "GOOGLE", address: user.address } })).startMailboxAuthorization;
    const back = await signIn(started.authorizationUrl, user.address);
    const reason = (r: any) => [r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.reason];

    // Another tenant's admin (the link sent to someone else), a changed state, another agent of the same tenant.
    expect(reason(await app.gql(COMPLETE, { i: back }, other.ownerToken))).toEqual(["MAILBOX_AUTHORIZATION_FAILED", "STATE_INVALID"]);
    const forged = { ...back, state: `${back.state.slice(0, -4)}AAAA` };
    expect(reason(await app.gql(COMPLETE, { i: forged }, t.ownerToken))).toEqual(["MAILBOX_AUTHORIZATION_FAILED", "STATE_INVALID"]);
    const admin = await app.agent(t, "ADMIN");
    expect(reason(await app.gql(COMPLETE, { i: back }, admin.token))).toEqual(["MAILBOX_AUTHORIZATION_FAILED", "STATE_INVALID"]);

    // The same state, expired (sealed again with the server's key, 16 minutes older).
    const box = new SecretBox(Buffer.from(KEY, "base64"));
    const pending = JSON.parse(box.open(Buffer.from(back.state, "base64url").toString()));
    const expired = Buffer.from(box.seal(JSON.stringify({ ...pending, expiresAt: Date.now() - 60_000 }))).toString("base64url");
    expect(reason(await app.gql(COMPLETE, { i: { ...back, state: expired } }, t.ownerToken))).toEqual([
      "MAILBOX_AUTHORIZATION_FAILED",
      "STATE_EXPIRED",
    ]);

    // The code, once used, is refused by the provider.
    expect((await app.gql(COMPLETE, { i: back }, t.ownerToken)).errors).toBeUndefined();
    expect(reason(await app.gql(COMPLETE, { i: back }, t.ownerToken))).toEqual(["MAILBOX_AUTHORIZATION_FAILED", "CODE_REFUSED"]);

    // Signed in at the provider as someone else than the address: the mail server refuses the token for it.
    const stranger = await newUser();
    const mismatch = await connect(other, user.address, stranger.address);
    expect(codes(mismatch)).toEqual(["MAILBOX_CONNECTION_FAILED"]);
    expect(mismatch.errors![0]!.extensions).toMatchObject({ server: "IMAP", reason: "AUTHENTICATION_FAILED" });
    expect(mismatch.errors![0]!.extensions!.fields[0].path).toEqual(["input", "code"]);
    expect((await ok(other, MAILBOXES)).mailboxes).toEqual([]);
  });

  it("refreshes the access token before it expires, once for callers that need it at the same time", async () => {
    const t = await mailTenant();
    const user = await newUser();
    auth.setTokenLifetime(4);
    try {
      const r = await connect(t, user.address);
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      const id = rawId(r.data.completeMailboxAuthorization.id);
      const db = app.database.forTenant(t.id);
      const deps = {
        guard: outboundGuard(loadConfig(env)),
        record: <T>(_operation: string, send: () => Promise<T>) => send(),
        secrets: new SecretBox(Buffer.from(KEY, "base64")),
        options: emailOptions.parse(env),
        db,
        log: pino({ enabled: false }),
      };
      const before = await db.mailbox.findUniqueOrThrow({ where: { id } });
      const first = await accessTokenFor(googleProvider.spec, before, deps);
      expect(auth.userOf(first)).toBe(user.address);

      // Half its life gone: due. Five callers at once (the sync, replies) wait for one refresh.
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const refreshes = auth.counts().refreshes;
      const due = await db.mailbox.findUniqueOrThrow({ where: { id } });
      const tokens = await Promise.all(Array.from({ length: 5 }, () => accessTokenFor(googleProvider.spec, due, deps)));
      expect(auth.counts().refreshes).toBe(refreshes + 1);
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).not.toBe(first);
      expect(auth.userOf(tokens[0]!)).toBe(user.address);
      // Kept in the row, sealed: the next caller (another instance) takes it without refreshing.
      const after = await db.mailbox.findUniqueOrThrow({ where: { id } });
      expect(await accessTokenFor(googleProvider.spec, after, deps)).toBe(tokens[0]);
      expect(auth.counts().refreshes).toBe(refreshes + 1);
    } finally {
      auth.setTokenLifetime(3600);
    }
  });

  it("sends every request to the authorization server through the outbound guard", async () => {
    // The stand-in is on 127.0.0.1: without the operator's allowance, the guard refuses the token request.
    const unguarded = outboundGuard(loadConfig({ ENCRYPTION_KEY: KEY }));
    const out = { guard: unguarded, record: <T>(_operation: string, send: () => Promise<T>) => send() };
    await expect(refreshTokens(googleProvider.spec, emailOptions.parse(env), out, "any-refresh-token")).rejects.toThrow(
      /could not be reached/,
    );
  });

  it("marks a mailbox whose grant was revoked NEEDS_RECONNECT, stops syncing it, and takes it back after a new authorization", async () => {
    const t = await mailTenant();
    const user = await newUser();
    auth.setTokenLifetime(4);
    try {
      const r = await connect(t, user.address);
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      await dovecot.append(user.address, await mail("bo@customer.test", user.address, "Before the revocation"));
      await until(async () => (await subjects(t)).includes("Before the revocation"), WAIT, "the first mail");

      // The user removes the app's access at the provider; the provider ends the IMAP session.
      auth.revokeUser(user.address);
      dovecot.kick(user.address);
      await until(async () => (await ok(t, MAILBOXES)).mailboxes[0].status === "NEEDS_RECONNECT", WAIT, "the mailbox to need reconnecting");
      expect((await ok(t, MAILBOXES)).mailboxes[0]).toMatchObject({ status: "NEEDS_RECONNECT", statusReason: "GRANT_REVOKED" });
    } finally {
      auth.setTokenLifetime(3600);
    }
    await dovecot.append(user.address, await mail("bo@customer.test", user.address, "While revoked"));

    // Connected again by a new authorization: the same mailbox, and the mail that came meanwhile is taken.
    const again = await connect(t, user.address);
    expect(again.errors, JSON.stringify(again.errors)).toBeUndefined();
    expect(again.data.completeMailboxAuthorization).toMatchObject({ status: "CONNECTED", statusReason: null });
    expect((await ok(t, MAILBOXES)).mailboxes).toHaveLength(1);
    await until(async () => (await subjects(t)).includes("While revoked"), WAIT, "the mail that came while it was revoked");
  });

  it(
    "records every request to the authorization server as a plugin call, as admins see them",
    async () => {
      const t = await mailTenant();
      const user = await newUser();
      auth.setTokenLifetime(4);
      try {
        const r = await connect(t, user.address);
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
        await dovecot.append(user.address, await mail("cy@customer.test", user.address, "Recorded"));
        await until(async () => (await subjects(t)).includes("Recorded"), WAIT, "the mail");
        // Half the token's life gone: the reply (or the sync before it) takes a new one.
        await new Promise((resolve) => setTimeout(resolve, 2100));
        const ticket = (await ok(t, TICKETS)).tickets.edges[0].node;
        const reply = await ok(t, `mutation($i: AddMessageInput!) { addMessage(input: $i) { id deliveryStatus } }`, {
          i: { ticketId: ticket.id, body: "On it." },
        });
        // The answer waits 5 s at most for the send (refresh, then SMTP): on a loaded machine it can come while QUEUED.
        const status = async () =>
          (await ok(t, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus } } }`, { id: reply.addMessage.id })).node
            .deliveryStatus;
        await until(async () => (await status()) !== "QUEUED", WAIT, "the reply's send");
        expect(await status()).toBe("SENT");
        await ok(t, `mutation($id: ID!) { disconnectMailbox(id: $id) { status } }`, { id: r.data.completeMailboxAuthorization.id });
      } finally {
        auth.setTokenLifetime(3600);
      }
      const calls = (
        await ok(
          t,
          `{ pluginCalls(pluginId: "email", first: 100) { edges { node { operation outcome errorCode categories subjectIds } } } }`,
        )
      ).pluginCalls.edges.map((e: any) => e.node);
      const oauthCalls = calls.filter((c: any) => c.operation.startsWith("oauth."));
      // (oauth.discovery too when this tenant was the first to need the issuer's metadata: see below.)
      expect(new Set(oauthCalls.map((c: any) => c.operation).filter((o: string) => o !== "oauth.discovery"))).toEqual(
        new Set(["oauth.token", "oauth.refresh", "oauth.revoke"]),
      );
      // No contact's data in them; the tokens are the payload, which the record never holds.
      for (const c of oauthCalls) expect(c).toMatchObject({ outcome: "OK", errorCode: null, categories: [], subjectIds: [] });
      expect(calls.map((c: any) => c.operation)).toContain("send");
      // The issuer's metadata is read once per server, recorded in the tenant whose request needed it first.
      expect(
        await app.database.prisma.pluginCall.count({ where: { pluginId: "email", operation: "oauth.discovery", outcome: "OK" } }),
      ).toBe(1);
      // The audit log has them as well, where admins verify what left and when.
      const audited = await app.database.forTenant(t.id).auditEntry.findMany({ where: { action: "plugin.call" } });
      expect(audited.map((a) => (a.details as { operation: string }).operation)).toEqual(
        expect.arrayContaining(["oauth.token", "oauth.refresh", "oauth.revoke"]),
      );
      // A mail to sync, a token to age and a reply to send: more than the default bound on a loaded machine.
    },
    2 * WAIT,
  );

  it("records a refresh the provider refuses as GRANT_REVOKED", async () => {
    const t = await mailTenant();
    const user = await newUser();
    const r = await connect(t, user.address);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    // The grant ends at the provider and the access token is due: the next sign-in asks for a new one. (The
    // access tokens issued stay valid until they expire, so the sync, signed in already, has no say in this.)
    auth.refuseRefresh(user.address);
    const db = app.database.forTenant(t.id);
    const id = rawId(r.data.completeMailboxAuthorization.id);
    const { secrets } = await db.mailbox.findUniqueOrThrow({ where: { id } });
    const box = new SecretBox(Buffer.from(KEY, "base64"));
    await db.mailbox.update({ where: { id }, data: { secrets: { ...(secrets as Record<string, string>), refreshAt: box.seal("0") } } });
    // A reply needs a sign-in at the SMTP server.
    const opened = await ok(
      t,
      `mutation { createTicket(input: { channel: EMAIL, subject: "Q", body: "?", requester: { name: "Di", email: "di@customer.test" } }) { id } }`,
    );
    const reply = await ok(t, `mutation($i: AddMessageInput!) { addMessage(input: $i) { deliveryStatus deliveryError } }`, {
      i: { ticketId: opened.createTicket.id, body: "!" },
    });
    expect(reply.addMessage).toEqual({ deliveryStatus: "FAILED", deliveryError: "SMTP_GRANT_REVOKED" });
    const refreshes = await db.pluginCall.findMany({ where: { operation: "oauth.refresh" } });
    expect(refreshes.map((c) => [c.outcome, c.errorCode])).toEqual([["FAILED", "GRANT_REVOKED"]]);
    expect((await ok(t, MAILBOXES)).mailboxes[0]).toMatchObject({ status: "NEEDS_RECONNECT", statusReason: "GRANT_REVOKED" });
    // Until an admin connects it again, a reply fails with the reason at once: the provider is not asked again.
    const again = await ok(t, `mutation($i: AddMessageInput!) { addMessage(input: $i) { deliveryStatus deliveryError } }`, {
      i: { ticketId: opened.createTicket.id, body: "!!" },
    });
    expect(again.addMessage).toEqual({ deliveryStatus: "FAILED", deliveryError: "SMTP_GRANT_REVOKED" });
    expect(await db.pluginCall.count({ where: { operation: "oauth.refresh" } })).toBe(1);
  });

  it("gives the grant back to the provider when the mailbox is disconnected", async () => {
    const t = await mailTenant();
    const user = await newUser();
    const r = await connect(t, user.address);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const [refreshToken] = auth.refreshTokensOf(user.address);
    await ok(t, `mutation($id: ID!) { disconnectMailbox(id: $id) { status } }`, { id: r.data.completeMailboxAuthorization.id });
    expect(auth.revoked).toContain(refreshToken);
  });
});
