import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialCache } from "../src/auth/credential-cache.js";
import type { CredentialLookup } from "../src/auth/viewer.js";
import type { RunningServer } from "../src/server.js";
import { codes, startApp, type GraphQLResponse, type TestApp, type TestTenant } from "./support/app.js";
import { startPeer } from "./support/peer.js";

// Both instances share the key; no background polling to speak of, so the statements counted are the requests'.
const ENV = { EVENT_POLL_MS: "600000", ENCRYPTION_KEY: randomBytes(32).toString("base64") };
const TYPENAME = `{ __typename }`;
const VIEWER = `{ viewer { kind permissions agent { role } } }`;

async function gqlAt(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLResponse> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: any[] };
  return { status: res.status, data: body.data, errors: body.errors, headers: res.headers };
}

/** SQL statements `{ __typename }` costs with this token. Background work shares the counter: the fewest of three runs. */
async function statements(app: TestApp, url: string, token: string): Promise<number> {
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = app.database.queryCount;
    const r = await gqlAt(url, TYPENAME, {}, token);
    expect(r.errors).toBeUndefined();
    counts.push(app.database.queryCount - before);
  }
  return Math.min(...counts);
}

/** Waits until the database hears nothing for a moment: a first use's last-used write runs after its request. */
async function quiet(app: TestApp) {
  for (let last = -1; last !== app.database.queryCount; ) {
    last = app.database.queryCount;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const refusedAt = async (url: string, token: string) => codes(await gqlAt(url, VIEWER, {}, token));

async function until(check: () => Promise<boolean>, ms = 5000, what = "the condition") {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createKey(app: TestApp, t: TestTenant): Promise<{ secret: string; id: string }> {
  const r = await app.gql(
    `mutation { createApiKey(input: { name: "cached", scopes: [TICKETS_READ] }) { secret apiKey { id } } }`,
    {},
    t.ownerToken,
  );
  return { secret: r.data.createApiKey.secret, id: r.data.createApiKey.apiKey.id };
}

/** Database ids of a global ID ("ApiKey:<uuid>"). */
const rowId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

describe("two instances over one database", () => {
  let app: TestApp;
  let peer: RunningServer;
  let t: TestTenant;
  let A: string;
  let B: string;
  beforeAll(async () => {
    app = await startApp(ENV);
    peer = await startPeer(app.database, ENV);
    t = await app.tenant();
    A = app.url;
    B = peer.url;
  });
  afterAll(async () => {
    await peer?.close();
    await app?.close();
  });

  /** Both instances serve the credential from memory: a request costs them no SQL statement. */
  async function cachedOnBoth(token: string) {
    for (const url of [A, B]) expect((await gqlAt(url, TYPENAME, {}, token)).errors).toBeUndefined();
    await quiet(app);
    for (const url of [A, B]) expect(await statements(app, url, token), url).toBe(0);
  }

  it("authenticate a cached session, API key or portal link without a SQL statement", async () => {
    const { secret } = await createKey(app, t);
    // The first request looks the key up (and notes its use): the counter does see authentication.
    const before = app.database.queryCount;
    expect((await gqlAt(A, TYPENAME, {}, secret)).errors).toBeUndefined();
    expect(app.database.queryCount - before).toBeGreaterThan(0);

    const contact = await app.gql(`mutation { createContact(input: { name: "Cache Portal" }) { id } }`, {}, t.ownerToken);
    const portal = await app.gql(
      `mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`,
      { c: contact.data.createContact.id },
      t.ownerToken,
    );
    for (const token of [secret, t.ownerToken, portal.data.issuePortalToken.token]) await cachedOnBoth(token);
  });

  it("refuse an API key revoked on either instance on the very next request", async () => {
    for (let i = 0; i < 6; i++) {
      const { secret, id } = await createKey(app, t);
      await cachedOnBoth(secret);
      const [here, there] = i % 2 ? [B, A] : [A, B];
      const revoked = await gqlAt(here, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id }, t.ownerToken);
      expect(revoked.errors).toBeUndefined();
      expect(await refusedAt(there, secret)).toEqual(["UNAUTHENTICATED"]);
      expect(await refusedAt(here, secret)).toEqual(["UNAUTHENTICATED"]);
    }
  });

  it("refuse every session of an agent disabled on the other instance", async () => {
    const agent = await app.agent(t, "AGENT");
    await cachedOnBoth(agent.token);
    const disabled = await gqlAt(B, `mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: agent.id }, t.ownerToken);
    expect(disabled.errors).toBeUndefined();
    expect(await refusedAt(A, agent.token)).toEqual(["UNAUTHENTICATED"]);
    expect(await refusedAt(B, agent.token)).toEqual(["UNAUTHENTICATED"]);
  });

  it("refuse a session signed out on the other instance, and keep the agent's other session", async () => {
    const out = await app.signIn(t.slug, t.ownerEmail, t.password);
    const stays = await app.signIn(t.slug, t.ownerEmail, t.password);
    await cachedOnBoth(out);
    await cachedOnBoth(stays);
    expect((await gqlAt(A, `mutation { signOut }`, {}, out)).data).toEqual({ signOut: true });
    expect(await refusedAt(B, out)).toEqual(["UNAUTHENTICATED"]);
    expect(await refusedAt(A, out)).toEqual(["UNAUTHENTICATED"]);
    expect(await refusedAt(B, stays)).toEqual([]);
  });

  it("apply a role change made on one instance to the agent's next request on the other", async () => {
    const agent = await app.agent(t, "AGENT");
    await cachedOnBoth(agent.token);
    await gqlAt(A, `mutation($id: ID!) { updateAgentRole(id: $id, role: VIEWER) { id } }`, { id: agent.id }, t.ownerToken);
    const me = await gqlAt(B, VIEWER, {}, agent.token);
    expect(me.data.viewer.agent.role).toBe("VIEWER");
    expect(me.data.viewer.permissions).not.toContain("tickets:write");
    expect(codes(await gqlAt(B, `mutation { createContact(input: { name: "Not allowed" }) { id } }`, {}, agent.token))).toEqual([
      "FORBIDDEN",
    ]);
  });

  it("refuse portal links revoked on the other instance", async () => {
    const contact = await app.gql(`mutation { createContact(input: { name: "Revoked Portal" }) { id } }`, {}, t.ownerToken);
    const c = contact.data.createContact.id;
    const issued = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c }, t.ownerToken);
    const token = issued.data.issuePortalToken.token;
    await cachedOnBoth(token);
    expect((await gqlAt(B, `mutation($c: ID!) { revokePortalTokens(contactId: $c) }`, { c }, t.ownerToken)).data).toEqual({
      revokePortalTokens: 1,
    });
    expect(await refusedAt(A, token)).toEqual(["UNAUTHENTICATED"]);
    expect(await refusedAt(B, token)).toEqual(["UNAUTHENTICATED"]);
  });

  it("hear of a revocation made outside the API (SQL by hand)", async () => {
    const { secret, id } = await createKey(app, t);
    await cachedOnBoth(secret);
    await app.database.prisma.apiKey.update({ where: { id: rowId(id) }, data: { revokedAt: new Date() } });
    // No request waited for the notice here; it arrives within moments all the same.
    await until(
      async () => (await refusedAt(A, secret))[0] === "UNAUTHENTICATED" && (await refusedAt(B, secret))[0] === "UNAUTHENTICATED",
      20_000,
      "the notice",
    );
  });
});

// PGlite runs in this process: its listener cannot lose a connection. The cache's own
// behaviour while its listener is down is checked below, on its own.
describe.skipIf(!process.env.DATABASE_URL)("while the notice listener is down (PostgreSQL server)", () => {
  let app: TestApp;
  let peer: RunningServer;
  let t: TestTenant;
  let admin: pg.Client;
  let name: string;
  const connections = (allow: boolean) => admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS ${allow}`);
  beforeAll(async () => {
    app = await startApp(ENV);
    peer = await startPeer(app.database, ENV);
    t = await app.tenant();
    name = (await app.database.prisma.$queryRaw<{ db: string }[]>`SELECT current_database()::text AS db`)[0]!.db;
    admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await connections(true).catch(() => {});
    await admin?.end();
    await peer?.close();
    await app?.close();
  });

  it("sends every request to the database until the listener is back, then caches again", async () => {
    const { secret, id } = await createKey(app, t);
    for (const url of [app.url, peer.url]) await gqlAt(url, TYPENAME, {}, secret);
    await quiet(app);
    for (const url of [app.url, peer.url]) expect(await statements(app, url, secret)).toBe(0);

    // The pool keeps a few open connections for the requests below; new ones (the listeners') are refused.
    await Promise.all(Array.from({ length: 4 }, () => app.database.prisma.$queryRaw`SELECT pg_sleep(0.05)::text`));
    await connections(false);
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'deskgraph-listener'`,
      [name],
    );
    expect(killed.rowCount).toBe(2);

    // Both instances stop trusting their caches: every request looks its credential up.
    await until(
      async () => (await statements(app, app.url, secret)) > 0 && (await statements(app, peer.url, secret)) > 0,
      20_000,
      "the caches to be bypassed",
    );
    // A revocation whose notice nobody can hear: refused all the same.
    await app.database.prisma.apiKey.update({ where: { id: rowId(id) }, data: { revokedAt: new Date() } });
    expect(await refusedAt(peer.url, secret)).toEqual(["UNAUTHENTICATED"]);
    expect(await refusedAt(app.url, secret)).toEqual(["UNAUTHENTICATED"]);

    // Back: the listeners connect again, and the caches serve (and hear revocations) again.
    await connections(true);
    const again = await createKey(app, t);
    await until(
      async () => (await statements(app, app.url, again.secret)) === 0 && (await statements(app, peer.url, again.secret)) === 0,
      15_000,
      "the listeners",
    );
    await gqlAt(app.url, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: again.id }, t.ownerToken);
    expect(await refusedAt(peer.url, again.secret)).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("CredentialCache", () => {
  const credential = (subjects: string[], expiresAt?: number): CredentialLookup => ({
    credential: { viewer: { kind: "apiKey", tenantId: "t", apiKeyId: "k", permissions: new Set() }, subjects, expiresAt },
  });
  /** A look-up that counts its calls. */
  const loader = (result: () => CredentialLookup) => {
    const load = async () => {
      load.calls++;
      return result();
    };
    load.calls = 0;
    return load;
  };

  it("trusts nothing until its listener is up, nor while it is down", async () => {
    const cache = new CredentialCache(60_000, 100);
    const load = loader(() => credential(["apiKey:1"]));
    await cache.resolve("d", load);
    await cache.resolve("d", load);
    expect(load.calls).toBe(2);
    cache.resume();
    await cache.resolve("d", load);
    await cache.resolve("d", load);
    expect(load.calls).toBe(3);
    cache.suspend();
    await cache.resolve("d", load);
    await cache.resolve("d", load);
    expect(load.calls).toBe(5);
    expect(cache.size).toBe(0);
    // Back up: it starts empty, whatever it held before.
    cache.resume();
    await cache.resolve("d", load);
    expect(load.calls).toBe(6);
  });

  it("drops what depends on an announced row, and only that", async () => {
    const cache = new CredentialCache(60_000, 100);
    cache.resume();
    const one = loader(() => credential(["session:1", "agent:7"]));
    const two = loader(() => credential(["session:2", "agent:8"]));
    await cache.resolve("one", one);
    await cache.resolve("two", two);
    cache.invalidate("agent:7");
    await cache.resolve("one", one);
    await cache.resolve("two", two);
    expect([one.calls, two.calls]).toEqual([2, 1]);
  });

  it("does not keep a look-up that a notice overtook", async () => {
    const cache = new CredentialCache(60_000, 100);
    cache.resume();
    // The look-up read the row before the revocation committed; the notice arrives before it returns.
    const load = loader(() => {
      if (load.calls === 1) cache.invalidate("apiKey:1");
      return credential(["apiKey:1"]);
    });
    await cache.resolve("d", load);
    await cache.resolve("d", load);
    expect(load.calls).toBe(2);
  });

  it("shares a look-up under way, but not with a request that came after a notice", async () => {
    const cache = new CredentialCache(60_000, 100);
    cache.resume();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const load = async () => {
      calls++;
      await gate;
      return credential(["apiKey:1"]);
    };
    const first = cache.resolve("d", load);
    const joined = cache.resolve("d", load);
    expect(calls).toBe(1);
    cache.invalidate("apiKey:1");
    const after = cache.resolve("d", load);
    expect(calls).toBe(2);
    release();
    await Promise.all([first, joined, after]);
  });

  it("serves an entry until its TTL or the credential's own expiry, whichever comes first", async () => {
    const short = new CredentialCache(40, 100);
    short.resume();
    const a = loader(() => credential(["apiKey:1"]));
    await short.resolve("d", a);
    await short.resolve("d", a);
    await new Promise((r) => setTimeout(r, 60));
    await short.resolve("d", a);
    expect(a.calls).toBe(2);

    const long = new CredentialCache(60_000, 100);
    long.resume();
    const expiresAt = Date.now() + 40;
    const b = loader(() => (Date.now() < expiresAt ? credential(["session:1"], expiresAt) : { failure: "Session expired or signed out" }));
    expect(await long.resolve("d", b)).toHaveProperty("credential");
    await new Promise((r) => setTimeout(r, 60));
    expect(await long.resolve("d", b)).toEqual({ failure: "Session expired or signed out" });
  });

  it("holds at most its size, dropping the least recently used", async () => {
    const cache = new CredentialCache(60_000, 2);
    cache.resume();
    const load = loader(() => credential(["apiKey:1"]));
    await cache.resolve("a", load);
    await cache.resolve("b", load);
    await cache.resolve("a", load); // a is now the most recently used
    await cache.resolve("c", load); // b goes
    expect(cache.size).toBe(2);
    const before = load.calls;
    await cache.resolve("a", load);
    await cache.resolve("c", load);
    expect(load.calls).toBe(before);
    await cache.resolve("b", load);
    expect(load.calls).toBe(before + 1);
  });

  it("keeps no refusal", async () => {
    const cache = new CredentialCache(60_000, 100);
    cache.resume();
    const load = loader(() => ({ failure: "API key unknown or revoked" }));
    await cache.resolve("d", load);
    await cache.resolve("d", load);
    expect(load.calls).toBe(2);
  });
});
