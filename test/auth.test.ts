import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../src/graphql/schema.js";
import type { RunningServer } from "../src/server.js";
import { codes, startApp, type GraphQLResponse, type TestApp, type TestTenant } from "./support/app.js";
import { startPeer } from "./support/peer.js";
import { redisAnswers, startRedis, type RedisProcess } from "./support/redis.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const SIGN_IN = `mutation($t: String!, $e: String!, $p: String!) {
  signIn(tenant: $t, email: $e, password: $p) { token expiresAt agent { id name role } }
}`;
const INVITE = `mutation($i: InviteAgentInput!) { inviteAgent(input: $i) { invitationToken agent { id role invitationPending } } }`;
const ACCEPT = `mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { token agent { id name role } } }`;
const VIEWER = `{ viewer { kind permissions agent { id role } } }`;
const ROLE = `mutation($id: ID!, $r: AgentRole!) { updateAgentRole(id: $id, role: $r) { id role } }`;
const DISABLE = `mutation($id: ID!) { disableAgent(id: $id) { id disabled } }`;
const ENABLE = `mutation($id: ID!) { enableAgent(id: $id) { id disabled } }`;

const signIn = (a: TestApp, tenant: string, email: string, password: string) => a.gql(SIGN_IN, { t: tenant, e: email, p: password });
/** The global ID of a tenant's owner, as the API shows it. */
const ownerId = async (tenant: TestTenant) => (await app.gql(VIEWER, {}, tenant.ownerToken)).data.viewer.agent.id as string;

const emailOf = async (tenant: TestTenant, id: string) =>
  (await app.gql(`query($id: ID!) { node(id: $id) { ... on Agent { email } } }`, { id }, tenant.ownerToken)).data.node.email as string;

/** Invites an agent and returns the invitation, without accepting it. */
async function invite(tenant: TestTenant, role = "AGENT", token = tenant.ownerToken) {
  const email = `invitee-${Math.random().toString(36).slice(2)}@${tenant.slug}.test`;
  const r = await app.gql(INVITE, { i: { email, name: "Invitee", role } }, token);
  return { r, email };
}

describe("signIn", () => {
  it("returns a session token that identifies the agent", async () => {
    const r = await signIn(app, t.slug, t.ownerEmail, t.password);
    expect(r.errors).toBeUndefined();
    expect(r.data.signIn.token).toMatch(/^dgs_/);
    expect(new Date(r.data.signIn.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(r.data.signIn.agent).toMatchObject({ name: "Owner", role: "OWNER" });

    const me = await app.gql(VIEWER, {}, r.data.signIn.token);
    expect(me.data.viewer).toMatchObject({ kind: "AGENT", agent: { id: r.data.signIn.agent.id, role: "OWNER" } });
    expect(me.data.viewer.permissions).toContain("agents:manage");
  });

  it("accepts the email in any case", async () => {
    const r = await signIn(app, t.slug, t.ownerEmail.toUpperCase(), t.password);
    expect(r.data.signIn.token).toMatch(/^dgs_/);
  });

  it("refuses a wrong password, an unknown email and an unknown tenant alike", async () => {
    const wrongPassword = await signIn(app, t.slug, t.ownerEmail, "not the password");
    const unknownEmail = await signIn(app, t.slug, `nobody@${t.slug}.test`, t.password);
    const unknownTenant = await signIn(app, "no-such-tenant", t.ownerEmail, t.password);
    for (const r of [wrongPassword, unknownEmail, unknownTenant]) {
      expect(codes(r)).toEqual(["UNAUTHENTICATED"]);
      expect(r.data).toBeNull();
    }
    // The same message: a caller cannot tell which part was wrong.
    expect(new Set([wrongPassword, unknownEmail, unknownTenant].map((r) => r.errors![0]!.message)).size).toBe(1);
  });

  it("does not let one tenant's owner into another tenant", async () => {
    const other = await app.tenant();
    expect(codes(await signIn(app, other.slug, t.ownerEmail, t.password))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("sign-in rate limiting", () => {
  it("locks an account after SIGNIN_MAX_ATTEMPTS failures, even for the right password", async () => {
    const limited = await startApp({ SIGNIN_MAX_ATTEMPTS: "3", SIGNIN_WINDOW_SECONDS: "60" });
    try {
      const lt = await limited.tenant();
      for (let i = 0; i < 3; i++) {
        const r = await signIn(limited, lt.slug, lt.ownerEmail, `wrong ${i}`);
        expect(codes(r)).toEqual(["UNAUTHENTICATED"]);
        expect(r.status).toBe(200);
        expect(r.headers.get("retry-after")).toBeNull();
      }
      for (const password of ["wrong again", lt.password]) {
        const r = await signIn(limited, lt.slug, lt.ownerEmail, password);
        expect(codes(r)).toEqual(["RATE_LIMITED"]);
        const retry = r.errors![0]!.extensions!.retryAfterSeconds;
        expect(retry).toBeGreaterThan(0);
        expect(retry).toBeLessThanOrEqual(60);
        // HTTP clients and proxies see the lockout without reading the body.
        expect(r.status).toBe(429);
        expect(r.headers.get("retry-after")).toBe(String(retry));
        expect(r.errors![0]!.extensions!.http).toBeUndefined();
      }
      // Another account on the same address is not affected.
      const other = await limited.tenant();
      expect((await signIn(limited, other.slug, other.ownerEmail, other.password)).data.signIn.token).toMatch(/^dgs_/);
      // Unknown tenants are counted too.
      for (let i = 0; i < 3; i++) await signIn(limited, "ghost", "ghost@example.com", "x");
      expect(codes(await signIn(limited, "ghost", "ghost@example.com", "x"))).toEqual(["RATE_LIMITED"]);
    } finally {
      await limited.close();
    }
  });

  it("clears an account's failures when it signs in", async () => {
    const limited = await startApp({ SIGNIN_MAX_ATTEMPTS: "3" });
    try {
      const lt = await limited.tenant();
      await signIn(limited, lt.slug, lt.ownerEmail, "wrong 1");
      await signIn(limited, lt.slug, lt.ownerEmail, "wrong 2");
      expect(codes(await signIn(limited, lt.slug, lt.ownerEmail, lt.password))).toEqual([]);
      await signIn(limited, lt.slug, lt.ownerEmail, "wrong 3");
      expect(codes(await signIn(limited, lt.slug, lt.ownerEmail, "wrong 4"))).toEqual(["UNAUTHENTICATED"]);
      expect(codes(await signIn(limited, lt.slug, lt.ownerEmail, lt.password))).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it("limits a client address to 4× the budget across different accounts", async () => {
    const limited = await startApp({ SIGNIN_MAX_ATTEMPTS: "3", SIGNIN_WINDOW_SECONDS: "60" });
    try {
      const lt = await limited.tenant();
      // 11 failures, never more than 2 on one account, so no account is locked.
      for (let i = 0; i < 11; i++) {
        const r = await signIn(limited, lt.slug, `guess-${i % 6}@${lt.slug}.test`, "guess");
        expect(codes(r)).toEqual(["UNAUTHENTICATED"]);
      }
      expect(codes(await signIn(limited, lt.slug, lt.ownerEmail, lt.password))).toEqual([]);
      expect(codes(await signIn(limited, lt.slug, `guess-11@${lt.slug}.test`, "guess"))).toEqual(["UNAUTHENTICATED"]);
      // 12 = 4 × 3 failures from this address: now every account is refused here.
      const r = await signIn(limited, lt.slug, lt.ownerEmail, lt.password);
      expect(codes(r)).toEqual(["RATE_LIMITED"]);
      expect(r.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
      expect(r.errors![0]!.extensions!.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(r.status).toBe(429);
      expect(r.headers.get("retry-after")).toBe(String(r.errors![0]!.extensions!.retryAfterSeconds));
    } finally {
      await limited.close();
    }
  });
});

describe("sign-in rate limiting across instances", () => {
  let redis: RedisProcess | undefined;
  afterAll(async () => {
    await redis?.kill();
  });

  const signInAt = async (server: RunningServer, tenant: string, email: string, password: string): Promise<GraphQLResponse> => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: SIGN_IN, variables: { t: tenant, e: email, p: password } }),
    });
    const body = (await res.json()) as { errors?: any[] };
    return { status: res.status, errors: body.errors, headers: res.headers };
  };

  /** CI's server run sets REDIS_URL; elsewhere the test brings its own redis-server. Without either it says so and skips. */
  async function redisUrl(): Promise<string | null> {
    const given = process.env.REDIS_URL;
    if (given) {
      if (await redisAnswers(given)) return given;
      console.warn(`SKIPPED: REDIS_URL=${given} does not answer; the shared sign-in lockout is not tested`);
      return null;
    }
    try {
      return (redis = await startRedis()).url;
    } catch (err) {
      console.warn(
        `SKIPPED: no REDIS_URL and no redis-server to start (${(err as Error).message}); the shared sign-in lockout is not tested`,
      );
      return null;
    }
  }

  it("share one count through Redis: failures on either instance lock the account on both", async (ctx) => {
    const url = await redisUrl();
    if (!url) return ctx.skip();
    const env = {
      REDIS_URL: url,
      SIGNIN_MAX_ATTEMPTS: "3",
      SIGNIN_WINDOW_SECONDS: "60",
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    };
    const one = await startApp(env);
    const two = await startPeer(one.database, env);
    try {
      const lt = await one.tenant();
      // Three failures, spread over the instances: neither saw three by itself.
      for (const server of [one.server, two, one.server]) {
        expect(codes(await signInAt(server, lt.slug, lt.ownerEmail, "wrong"))).toEqual(["UNAUTHENTICATED"]);
      }
      for (const server of [two, one.server]) {
        const r = await signInAt(server, lt.slug, lt.ownerEmail, lt.password);
        expect(codes(r)).toEqual(["RATE_LIMITED"]);
        expect(r.status).toBe(429);
        expect(Number(r.headers.get("retry-after"))).toBe(r.errors![0]!.extensions!.retryAfterSeconds);
      }
      // Another account is not affected, on either instance.
      const other = await one.tenant();
      expect(codes(await signInAt(two, other.slug, other.ownerEmail, other.password))).toEqual([]);
    } finally {
      await two.close();
      await one.close();
    }
  });
});

describe("signOut", () => {
  it("ends this session only", async () => {
    const a = await app.signIn(t.slug, t.ownerEmail, t.password);
    const b = await app.signIn(t.slug, t.ownerEmail, t.password);
    const out = await app.gql(`mutation { signOut }`, {}, a);
    expect(out.data).toEqual({ signOut: true });
    expect(codes(await app.gql(VIEWER, {}, a))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await app.gql(`mutation { signOut }`, {}, a))).toEqual(["UNAUTHENTICATED"]);
    expect((await app.gql(VIEWER, {}, b)).data.viewer.kind).toBe("AGENT");
  });

  it("is for agent sessions; an API key is revoked instead", async () => {
    const key = await app.apiKey(t, ["TICKETS_READ"]);
    expect(codes(await app.gql(`mutation { signOut }`, {}, key))).toEqual(["FORBIDDEN"]);
  });
});

describe("invitations", () => {
  it("lets an invitee set a password once and sign in", async () => {
    const { r, email } = await invite(t, "AGENT");
    const { invitationToken, agent } = r.data.inviteAgent;
    expect(agent).toMatchObject({ role: "AGENT", invitationPending: true });
    expect(invitationToken).toMatch(/^dgi_/);
    // No password yet: nothing signs in.
    expect(codes(await signIn(app, t.slug, email, "a long enough password"))).toEqual(["UNAUTHENTICATED"]);

    // A password that is too short is refused without using up the invitation.
    const short = await app.gql(ACCEPT, { t: invitationToken, p: "short" });
    expect(codes(short)).toEqual(["VALIDATION"]);
    expect(short.errors![0]!.extensions!.fields[0].path).toEqual(["password"]);

    const accepted = await app.gql(ACCEPT, { t: invitationToken, p: "a long enough password" });
    expect(accepted.data.acceptInvitation.agent).toMatchObject({ id: agent.id, name: "Invitee", role: "AGENT" });
    const me = await app.gql(VIEWER, {}, accepted.data.acceptInvitation.token);
    expect(me.data.viewer.agent).toEqual({ id: agent.id, role: "AGENT" });
    const listed = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Agent { invitationPending } } }`,
      { id: agent.id },
      t.ownerToken,
    );
    expect(listed.data.node.invitationPending).toBe(false);

    // The token is single use.
    expect(codes(await app.gql(ACCEPT, { t: invitationToken, p: "another long password" }))).toEqual(["NOT_FOUND"]);
    expect(codes(await signIn(app, t.slug, email, "another long password"))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await signIn(app, t.slug, email, "a long enough password"))).toEqual([]);
  });

  it("refuses an unknown token and an email already on the team", async () => {
    expect(codes(await app.gql(ACCEPT, { t: "dgi_not-a-real-token", p: "a long enough password" }))).toEqual(["NOT_FOUND"]);
    const again = await app.gql(INVITE, { i: { email: t.ownerEmail, name: "Twin", role: "AGENT" } }, t.ownerToken);
    expect(codes(again)).toEqual(["CONFLICT"]);
    expect(again.errors![0]!.extensions).toMatchObject({ fields: [{ path: ["input", "email"] }], existingAgentId: await ownerId(t) });
  });
});

describe("disableAgent and enableAgent", () => {
  it("ends every session of the agent at once and blocks sign-in until enabled", async () => {
    const { r, email } = await invite(t, "AGENT");
    const agentId = r.data.inviteAgent.agent.id;
    const first = (await app.gql(ACCEPT, { t: r.data.inviteAgent.invitationToken, p: "a long enough password" })).data.acceptInvitation
      .token;
    const second = await app.signIn(t.slug, email, "a long enough password");
    expect((await app.gql(VIEWER, {}, first)).data.viewer.kind).toBe("AGENT");

    const disabled = await app.gql(DISABLE, { id: agentId }, t.ownerToken);
    expect(disabled.data.disableAgent).toEqual({ id: agentId, disabled: true });
    for (const token of [first, second]) {
      expect(codes(await app.gql(`{ tickets { totalCount } }`, {}, token))).toEqual(["UNAUTHENTICATED"]);
    }
    expect(codes(await signIn(app, t.slug, email, "a long enough password"))).toEqual(["UNAUTHENTICATED"]);
    const team = await app.gql(`{ agents { edges { node { id } } } }`, {}, t.ownerToken);
    expect(team.data.agents.edges.map((e: any) => e.node.id)).not.toContain(agentId);

    const enabled = await app.gql(ENABLE, { id: agentId }, t.ownerToken);
    expect(enabled.data.enableAgent).toEqual({ id: agentId, disabled: false });
    const fresh = await app.signIn(t.slug, email, "a long enough password");
    expect((await app.gql(VIEWER, {}, fresh)).data.viewer.agent.id).toBe(agentId);
    // Enabling does not bring old sessions back.
    expect(codes(await app.gql(VIEWER, {}, first))).toEqual(["UNAUTHENTICATED"]);
  });

  it("does not let an agent disable themselves", async () => {
    const admin = await app.agent(t, "ADMIN");
    expect(codes(await app.gql(DISABLE, { id: admin.id }, admin.token))).toEqual(["CONFLICT"]);
    expect(codes(await app.gql(DISABLE, { id: await ownerId(t) }, t.ownerToken))).toEqual(["CONFLICT"]);
    expect((await app.gql(VIEWER, {}, admin.token)).data.viewer.kind).toBe("AGENT");
  });
});

describe("updateAgentRole", () => {
  it("lets an admin change non-owners, but only an owner grant, remove or disable OWNER", async () => {
    const own = await app.tenant();
    const owner = await ownerId(own);
    const admin = await app.agent(own, "ADMIN");
    const agent = await app.agent(own, "AGENT");

    expect((await app.gql(ROLE, { id: agent.id, r: "VIEWER" }, admin.token)).data.updateAgentRole.role).toBe("VIEWER");
    expect(codes(await app.gql(ROLE, { id: agent.id, r: "OWNER" }, admin.token))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(ROLE, { id: admin.id, r: "OWNER" }, admin.token))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(ROLE, { id: owner, r: "ADMIN" }, admin.token))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(DISABLE, { id: owner }, admin.token))).toEqual(["FORBIDDEN"]);
    expect(codes((await invite(own, "OWNER", admin.token)).r)).toEqual(["FORBIDDEN"]);

    const roles = await app.gql(`{ agents { edges { node { id role } } } }`, {}, own.ownerToken);
    const roleOf = (id: string) => roles.data.agents.edges.find((e: any) => e.node.id === id).node.role;
    expect([roleOf(owner), roleOf(admin.id), roleOf(agent.id)]).toEqual(["OWNER", "ADMIN", "VIEWER"]);

    expect((await app.gql(ROLE, { id: admin.id, r: "OWNER" }, own.ownerToken)).data.updateAgentRole.role).toBe("OWNER");
  });

  it("takes effect on the agent's open sessions", async () => {
    const agent = await app.agent(t, "AGENT");
    const create = `mutation { createContact(input: { name: "Role check" }) { id } }`;
    await app.gql(ROLE, { id: agent.id, r: "VIEWER" }, t.ownerToken);
    expect(codes(await app.gql(create, {}, agent.token))).toEqual(["FORBIDDEN"]);
    await app.gql(ROLE, { id: agent.id, r: "AGENT" }, t.ownerToken);
    expect(codes(await app.gql(create, {}, agent.token))).toEqual([]);
  });

  it("keeps at least one active owner", async () => {
    const own = await app.tenant();
    const first = await ownerId(own);
    expect(codes(await app.gql(ROLE, { id: first, r: "ADMIN" }, own.ownerToken))).toEqual(["CONFLICT"]);

    const second = await app.agent(own, "ADMIN");
    await app.gql(ROLE, { id: second.id, r: "OWNER" }, own.ownerToken);
    // A disabled owner does not count.
    expect((await app.gql(DISABLE, { id: second.id }, own.ownerToken)).data.disableAgent.disabled).toBe(true);
    expect(codes(await app.gql(ROLE, { id: first, r: "ADMIN" }, own.ownerToken))).toEqual(["CONFLICT"]);
    await app.gql(ENABLE, { id: second.id }, own.ownerToken);

    // With two active owners, one may step down; then the other is the last.
    const secondToken = await app.signIn(own.slug, await emailOf(own, second.id), "a long enough password");
    expect((await app.gql(ROLE, { id: first, r: "ADMIN" }, own.ownerToken)).data.updateAgentRole.role).toBe("ADMIN");
    expect(codes(await app.gql(ROLE, { id: second.id, r: "ADMIN" }, secondToken))).toEqual(["CONFLICT"]);
    expect(codes(await app.gql(DISABLE, { id: second.id }, secondToken))).toEqual(["CONFLICT"]);
    expect((await app.gql(VIEWER, {}, secondToken)).data.viewer.agent.role).toBe("OWNER");
  });
});

describe("API keys", () => {
  const CREATE_KEY = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id name prefix scopes lastUsedAt revokedAt } } }`;
  const LIST = `query($r: Boolean) { apiKeys(includeRevoked: $r) { totalCount edges { node { id name prefix scopes lastUsedAt revokedAt createdBy { id } } } } }`;
  const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;

  it("shows the secret once; the list shows prefix, scopes and last use, never the secret", async () => {
    const created = await app.gql(
      CREATE_KEY,
      { i: { name: "Zapier", scopes: ["TICKETS_READ", "CONTACTS_READ", "TICKETS_READ"] } },
      t.ownerToken,
    );
    const { secret, apiKey } = created.data.createApiKey;
    expect(secret).toMatch(/^dgk_.{40,}$/);
    expect(apiKey).toMatchObject({ name: "Zapier", scopes: ["TICKETS_READ", "CONTACTS_READ"], lastUsedAt: null, revokedAt: null });
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    expect(apiKey.prefix.length).toBeLessThan(secret.length / 2);

    const listed = await app.gql(LIST, {}, t.ownerToken);
    const node = listed.data.apiKeys.edges.find((e: any) => e.node.id === apiKey.id).node;
    expect(node).toMatchObject({
      prefix: apiKey.prefix,
      scopes: ["TICKETS_READ", "CONTACTS_READ"],
      lastUsedAt: null,
      createdBy: { id: await ownerId(t) },
    });
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(codes(await app.gql(`{ apiKeys { edges { node { secret } } } }`, {}, t.ownerToken))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);

    const me = await app.gql(VIEWER, {}, secret);
    expect(me.data.viewer).toEqual({ kind: "API_KEY", permissions: ["contacts:read", "tickets:read"], agent: null });
    // The last use is written just after the request, which does not wait for it.
    const lastUsed = async () =>
      (await app.gql(LIST, {}, t.ownerToken)).data.apiKeys.edges.find((e: any) => e.node.id === apiKey.id).node.lastUsedAt;
    const deadline = Date.now() + 2000;
    while (!(await lastUsed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(Math.abs(new Date(await lastUsed()).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("stops a revoked key on its next request; revoking twice is a conflict", async () => {
    const created = await app.gql(CREATE_KEY, { i: { name: "Old", scopes: ["TICKETS_READ"] } }, t.ownerToken);
    const { secret, apiKey } = created.data.createApiKey;
    expect(codes(await app.gql(`{ tickets { totalCount } }`, {}, secret))).toEqual([]);

    const revoked = await app.gql(REVOKE, { id: apiKey.id }, t.ownerToken);
    expect(revoked.data.revokeApiKey.revokedAt).toBeTruthy();
    const refused = await app.gql(`{ tickets { totalCount } }`, {}, secret);
    expect(codes(refused)).toEqual(["UNAUTHENTICATED"]);
    expect(refused.data).toBeNull();
    expect(codes(await app.gql(REVOKE, { id: apiKey.id }, t.ownerToken))).toEqual(["CONFLICT"]);

    const active = await app.gql(LIST, {}, t.ownerToken);
    expect(active.data.apiKeys.edges.map((e: any) => e.node.id)).not.toContain(apiKey.id);
    const all = await app.gql(LIST, { r: true }, t.ownerToken);
    expect(all.data.apiKeys.edges.map((e: any) => e.node.id)).toContain(apiKey.id);
    expect(all.data.apiKeys.totalCount).toBe(active.data.apiKeys.totalCount + 1);
  });
});

describe("callers without valid credentials", () => {
  /** Real objects of the tenant, so that a leak or a write would show. */
  let ids: { ticket: string; contact: string; owner: string; apiKey: string };
  beforeAll(async () => {
    const ticket = await app.gql(
      `mutation { createTicket(input: { subject: "Anon target", body: "b", requester: { name: "Target", email: "target@example.com" } }) { id requester { id } } }`,
      {},
      t.ownerToken,
    );
    const key = await app.gql(
      `mutation { createApiKey(input: { name: "target", scopes: [TICKETS_READ] }) { apiKey { id } } }`,
      {},
      t.ownerToken,
    );
    ids = {
      ticket: ticket.data.createTicket.id,
      contact: ticket.data.createTicket.requester.id,
      owner: await ownerId(t),
      apiKey: key.data.createApiKey.apiKey.id,
    };
  });

  const FAKE = (type: string) => Buffer.from(`${type}:00000000-0000-4000-8000-000000000000`).toString("base64");
  const anonRequestId = Buffer.from("DataSubjectRequest:00000000-0000-4000-8000-000000000000").toString("base64");
  /** One document per root field; signIn and acceptInvitation are the only doors open to anonymous callers. */
  const anonymous = (): Record<"Query" | "Mutation", Record<string, [string, Record<string, unknown>?] | null>> => ({
    Query: {
      viewer: [`{ viewer { kind } }`],
      node: [`query($id: ID!) { node(id: $id) { id ... on Ticket { subject } } }`, { id: ids.ticket }],
      ticket: [`{ ticket(number: 1) { subject } }`],
      tickets: [`{ tickets { totalCount edges { node { subject } } } }`],
      customFields: [`{ customFields { key } }`],
      views: [`{ views { name } }`],
      view: [
        `query($id: ID!) { view(id: $id) { name } }`,
        { id: Buffer.from("View:00000000-0000-0000-0000-000000000000").toString("base64") },
      ],
      tags: [`{ tags { name } }`],
      contact: [`query($id: ID!) { contact(id: $id) { name email } }`, { id: ids.contact }],
      contacts: [`{ contacts { totalCount edges { node { name email } } } }`],
      search: [`{ search(query: "target") { totalCount edges { node { result { ... on Contact { name email } } } } } }`],
      organizations: [`{ organizations { totalCount edges { node { name } } } }`],
      agents: [`{ agents { totalCount edges { node { name email } } } }`],
      apiKeys: [`{ apiKeys { totalCount edges { node { prefix } } } }`],
      dataCategories: [`{ dataCategories { name } }`],
      processingPurposes: [`{ processingPurposes { name } }`],
      plugins: [`{ plugins { id enabled } }`],
      plugin: [`{ plugin(id: "test-echo") { id enabled } }`],
      pluginCalls: [`{ pluginCalls { totalCount } }`],
      mailboxes: [`{ mailboxes { id address } }`],
      recordOfProcessing: [`{ recordOfProcessing { markdown } }`],
      retentionPolicy: [`{ retentionPolicy { target keepDays } }`],
      sweepRuns: [`{ sweepRuns { totalCount } }`],
      similarTickets: [`query($id: ID!) { similarTickets(ticketId: $id) { tickets { ticket { subject } } } }`, { id: ids.ticket }],
      aiCalls: [`{ aiCalls { totalCount } }`],
      aiSettings: [`{ aiSettings { enabled } }`],
      policyVersions: [`{ policyVersions { version } }`],
      auditLog: [`{ auditLog { totalCount edges { node { action actorId subjectId } } } }`],
      verifyAuditChain: [`{ verifyAuditChain { valid headSeq } }`],
      // Public on purpose: a tenant's privacy page lists its subprocessors.
      subprocessors: null,
      events: [`{ events { edges { node { type } } } }`],
      webhookEndpoints: [`{ webhookEndpoints { totalCount edges { node { url } } } }`],
      operatorTenants: [`{ operatorTenants(first: 5) { edges { node { slug } } } }`],
      operatorClosureReceipts: [`{ operatorClosureReceipts(slug: "x") { closedAt } }`],
      operatorAuditLog: [`{ operatorAuditLog(first: 5) { action } }`],
      webhookDeliveries: [`{ webhookDeliveries { totalCount edges { node { status } } } }`],
      dataSubjectRequests: [`{ dataSubjectRequests { totalCount edges { node { type details } } } }`],
      personalDataScan: [`{ personalDataScan(email: "target@example.com") { total } }`],
      billing: [`{ billing { plan status details { companyName } } }`],
      calendars: [`{ calendars { name } }`],
      slaPolicies: [`{ slaPolicies { name } }`],
      teams: [`{ teams { name } }`],
      metrics: [`{ metrics(range: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }, groupBy: DAY) { key ticketsCreated } }`],
      macros: [`{ macros { id body } }`],
      previewMacro: [`query($t: ID!) { previewMacro(ticketId: $t, body: "{{requester.name}}") { body } }`, { t: ids.ticket }],
      automationRules: [`{ automationRules { id name } }`],
      automationRuns: [`{ automationRuns { edges { node { outcome } } } }`],
      testAutomation: [`query($t: ID!) { testAutomation(ticketId: $t) { matched } }`, { t: ids.ticket }],
      notificationSettings: [`{ notificationSettings { kind enabled } }`],
      notifications: [`{ notifications { kind status } }`],
    },
    Mutation: {
      signIn: null,
      setNotificationTemplate: [
        `mutation { setNotificationTemplate(input: { kind: TICKET_ACKNOWLEDGEMENT, locale: "en", subject: "Anon", body: "Anon" }) { kind } }`,
      ],
      deleteNotificationTemplate: [`mutation { deleteNotificationTemplate(kind: TICKET_ACKNOWLEDGEMENT, locale: "en") { kind } }`],
      setNotificationEnabled: [`mutation { setNotificationEnabled(kind: TICKET_ACKNOWLEDGEMENT, enabled: true) { enabled } }`],
      sendMarketingEmail: [
        `mutation($c: ID!) { sendMarketingEmail(input: { contactIds: [$c], subject: "Anon", body: "Anon" }) { queued } }`,
        { c: ids.contact },
      ],
      createWebhookEndpoint: [
        `mutation($k: ID!) { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hook", eventTypes: [TICKET_CREATED], selection: "seq", apiKeyId: $k }) { secret } }`,
        { k: ids.apiKey },
      ],
      updateWebhookEndpoint: [
        `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { id } }`,
        { id: Buffer.from("WebhookEndpoint:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      deleteWebhookEndpoint: [
        `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`,
        { id: Buffer.from("WebhookEndpoint:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      rotateWebhookSecret: [
        `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`,
        { id: Buffer.from("WebhookEndpoint:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      resendWebhookDelivery: [
        `mutation($id: ID!) { resendWebhookDelivery(id: $id) { id } }`,
        { id: Buffer.from("WebhookDelivery:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      acceptInvitation: null,
      // Its token is its credential: a requester rates without signing in (test/satisfaction.test.ts refuses bad tokens).
      submitSatisfaction: null,
      createCustomField: [`mutation { createCustomField(input: { entity: TICKET, key: "anon", label: "A", type: TEXT }) { id } }`],
      updateCustomField: [
        `mutation($id: ID!) { updateCustomField(id: $id, input: { label: "x" }) { id } }`,
        { id: Buffer.from("CustomField:00000000-0000-0000-0000-000000000000").toString("base64") },
      ],
      deleteCustomField: [
        `mutation($id: ID!) { deleteCustomField(id: $id) { id } }`,
        { id: Buffer.from("CustomField:00000000-0000-0000-0000-000000000000").toString("base64") },
      ],
      mergeTickets: [
        `mutation($s: [ID!]!, $t: ID!) { mergeTickets(sourceIds: $s, targetId: $t) { id } }`,
        { s: [ids.ticket], t: ids.ticket },
      ],
      splitTicket: [
        `mutation($m: ID!) { splitTicket(messageId: $m) { id } }`,
        { m: Buffer.from("Message:00000000-0000-0000-0000-000000000000").toString("base64") },
      ],
      createView: [`mutation { createView(input: { name: "anon" }) { id } }`],
      updateView: [
        `mutation($id: ID!) { updateView(id: $id, input: { name: "x" }) { id } }`,
        { id: Buffer.from("View:00000000-0000-0000-0000-000000000000").toString("base64") },
      ],
      deleteView: [
        `mutation($id: ID!) { deleteView(id: $id) }`,
        { id: Buffer.from("View:00000000-0000-0000-0000-000000000000").toString("base64") },
      ],
      signOut: [`mutation { signOut }`],
      createMacro: [`mutation { createMacro(input: { title: "x", body: "y" }) { id } }`],
      updateMacro: [
        `mutation($id: ID!) { updateMacro(id: $id, input: { body: "y" }) { id } }`,
        { id: Buffer.from("Macro:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      deleteMacro: [
        `mutation($id: ID!) { deleteMacro(id: $id) }`,
        { id: Buffer.from("Macro:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      applyMacro: [
        `mutation($t: ID!, $m: ID!) { applyMacro(ticketId: $t, macroId: $m) { message { id } } }`,
        { t: ids.ticket, m: Buffer.from("Macro:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      createAutomationRule: [
        `mutation { createAutomationRule(input: { name: "x", trigger: TICKET_CREATED, actions: [{ type: ADD_TAGS, tags: ["x"] }] }) { id } }`,
      ],
      updateAutomationRule: [
        `mutation($id: ID!) { updateAutomationRule(id: $id, input: { enabled: false }) { id } }`,
        { id: Buffer.from("AutomationRule:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      deleteAutomationRule: [
        `mutation($id: ID!) { deleteAutomationRule(id: $id) }`,
        { id: Buffer.from("AutomationRule:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      reorderAutomationRules: [
        `mutation($ids: [ID!]!) { reorderAutomationRules(ids: $ids) { id } }`,
        { ids: [Buffer.from("AutomationRule:00000000-0000-4000-8000-000000000000").toString("base64")] },
      ],
      createTicket: [`mutation($c: ID!) { createTicket(input: { subject: "s", body: "b", requesterId: $c }) { id } }`, { c: ids.contact }],
      updateTicket: [`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "x" }) { id } }`, { id: ids.ticket }],
      addMessage: [`mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "x" }) { id } }`, { id: ids.ticket }],
      createContact: [`mutation { createContact(input: { name: "Anon" }) { id } }`],
      updateContact: [`mutation($id: ID!) { updateContact(id: $id, input: { name: "x" }) { id } }`, { id: ids.contact }],
      mergeContacts: [`mutation($id: ID!) { mergeContacts(sourceId: $id, targetId: $id) { id } }`, { id: ids.contact }],
      createOrganization: [`mutation { createOrganization(input: { name: "Anon Inc" }) { id } }`],
      inviteAgent: [`mutation { inviteAgent(input: { email: "x@example.com", name: "X" }) { invitationToken } }`],
      updateAgentRole: [`mutation($id: ID!) { updateAgentRole(id: $id, role: VIEWER) { id } }`, { id: ids.owner }],
      disableAgent: [`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: ids.owner }],
      enableAgent: [`mutation($id: ID!) { enableAgent(id: $id) { id } }`, { id: ids.owner }],
      createApiKey: [`mutation { createApiKey(input: { name: "x", scopes: [TICKETS_READ] }) { secret } }`],
      revokeApiKey: [`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: ids.apiKey }],
      grantConsent: [`mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: ids.contact }],
      withdrawConsent: [`mutation($c: ID!) { withdrawConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: ids.contact }],
      objectToProcessing: [
        `mutation($c: ID!) { objectToProcessing(input: { contactId: $c, purpose: "analytics" }) { id } }`,
        { c: ids.contact },
      ],
      withdrawObjection: [
        `mutation($c: ID!) { withdrawObjection(input: { contactId: $c, purpose: "analytics" }) { id } }`,
        { c: ids.contact },
      ],
      issuePortalToken: [`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: ids.contact }],
      revokePortalTokens: [`mutation($c: ID!) { revokePortalTokens(contactId: $c) }`, { c: ids.contact }],
      createAttachmentUpload: [
        `mutation($t: ID!) { createAttachmentUpload(input: { ticketId: $t, filename: "a.txt", contentType: "text/plain", size: 1 }) { uploadUrl } }`,
        { t: ids.ticket },
      ],
      uploadAttachment: [
        `mutation($t: ID!, $f: Upload!) { uploadAttachment(input: { ticketId: $t, file: $f }) { id } }`,
        { t: ids.ticket, f: new File(["x"], "a.txt", { type: "text/plain" }) },
      ],
      addAttachment: [
        `mutation($m: ID!) { addAttachment(input: { messageId: $m, filename: "a.txt", contentType: "text/plain", contentBase64: "eA==" }) { id } }`,
        { m: Buffer.from("Message:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      restrictProcessing: [`mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "x") { id } }`, { c: ids.contact }],
      liftRestriction: [`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: ids.contact }],
      placeLegalHold: [`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "x") { id } }`, { c: ids.contact }],
      releaseLegalHold: [`mutation($c: ID!) { releaseLegalHold(contactId: $c) { id } }`, { c: ids.contact }],
      configurePlugin: [
        `mutation { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: "http://127.0.0.1:1" }]) { id } }`,
      ],
      enablePlugin: [`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { id } }`],
      disablePlugin: [`mutation { disablePlugin(id: "test-echo") { id } }`],
      connectMailbox: [
        `mutation { connectMailbox(input: { address: "x@example.com", passwordLogin: { imap: { host: "imap.example.com", port: 993, security: TLS }, smtp: { host: "smtp.example.com", port: 465, security: TLS }, password: "x" } }) { id } }`,
      ],
      startMailboxAuthorization: [
        `mutation { startMailboxAuthorization(input: { provider: GOOGLE, address: "x@example.com" }) { state } }`,
      ],
      completeMailboxAuthorization: [`mutation { completeMailboxAuthorization(input: { code: "c", state: "s" }) { id } }`],
      disconnectMailbox: [
        `mutation($id: ID!) { disconnectMailbox(id: $id) { id } }`,
        { id: Buffer.from("Mailbox:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      setRetentionRule: [`mutation { setRetentionRule(target: SOLVED_TICKET_MESSAGES, keepDays: 1, action: DELETE) { target } }`],
      removeRetentionRule: [`mutation { removeRetentionRule(target: SOLVED_TICKET_MESSAGES) { target } }`],
      publishPolicyVersion: [`mutation { publishPolicyVersion(input: { version: "anon" }) { id } }`],
      acceptPolicyVersion: [
        `mutation($id: ID!) { acceptPolicyVersion(id: $id) { id } }`,
        { id: Buffer.from("PolicyVersion:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      fileDataSubjectRequest: [
        `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ERASURE }) { id } }`,
        { c: ids.contact },
      ],
      extendDataSubjectRequest: [`mutation($id: ID!) { extendDataSubjectRequest(id: $id, reason: "x") { id } }`, { id: anonRequestId }],
      refuseDataSubjectRequest: [`mutation($id: ID!) { refuseDataSubjectRequest(id: $id, reason: "x") { id } }`, { id: anonRequestId }],
      completeDataSubjectRequest: [`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { id } }`, { id: anonRequestId }],
      startCheckout: [`mutation { startCheckout(plan: "TEAM", seats: 3) { url } }`],
      openBillingPortal: [`mutation { openBillingPortal { url } }`],
      changeSeats: [`mutation { changeSeats(seats: 4) { seats } }`],
      cancelSubscription: [`mutation { cancelSubscription { status } }`],
      operatorCreateTenant: [
        `mutation { operatorCreateTenant(input: { name: "X", slug: "x-co", ownerEmail: "o@x.io", ownerName: "O" }) { invitationToken } }`,
      ],
      operatorCloseTenant: [`mutation { operatorCloseTenant(slug: "x") { slug } }`],
      operatorReopenTenant: [`mutation { operatorReopenTenant(slug: "x") { slug } }`],
      suggestReply: [`mutation($id: ID!) { suggestReply(ticketId: $id) { text } }`, { id: ids.ticket }],
      summarizeTicket: [`mutation($id: ID!) { summarizeTicket(ticketId: $id) { text } }`, { id: ids.ticket }],
      classifyTicket: [`mutation($id: ID!) { classifyTicket(ticketId: $id) { provider } }`, { id: ids.ticket }],
      translateMessage: [
        `mutation($m: ID!) { translateMessage(messageId: $m, targetLocale: "de") { text } }`,
        { m: Buffer.from("Message:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      acceptSuggestion: [
        `mutation($id: ID!) { acceptSuggestion(id: $id) { accepted } }`,
        { id: Buffer.from("AiSuggestion:00000000-0000-4000-8000-000000000000").toString("base64") },
      ],
      updateAiSettings: [`mutation { updateAiSettings(input: { enabled: false }) { enabled } }`],
      createCalendar: [
        `mutation { createCalendar(input: { name: "C", timeZone: "UTC", hours: [{ weekday: 1, from: "09:00", to: "17:00" }] }) { id } }`,
      ],
      updateCalendar: [`mutation($id: ID!) { updateCalendar(id: $id, input: { name: "X" }) { id } }`, { id: FAKE("Calendar") }],
      deleteCalendar: [`mutation($id: ID!) { deleteCalendar(id: $id) }`, { id: FAKE("Calendar") }],
      createSlaPolicy: [`mutation { createSlaPolicy(input: { name: "P", resolutionMinutes: 60 }) { id } }`],
      updateSlaPolicy: [`mutation($id: ID!) { updateSlaPolicy(id: $id, input: { name: "X" }) { id } }`, { id: FAKE("SlaPolicy") }],
      deleteSlaPolicy: [`mutation($id: ID!) { deleteSlaPolicy(id: $id) }`, { id: FAKE("SlaPolicy") }],
      reorderSlaPolicies: [`mutation($id: ID!) { reorderSlaPolicies(ids: [$id]) { id } }`, { id: FAKE("SlaPolicy") }],
      createTeam: [`mutation { createTeam(input: { name: "T" }) { id } }`],
      updateTeam: [`mutation($id: ID!) { updateTeam(id: $id, input: { name: "X" }) { id } }`, { id: FAKE("Team") }],
      deleteTeam: [`mutation($id: ID!) { deleteTeam(id: $id) }`, { id: FAKE("Team") }],
      changeTeamMembers: [`mutation($id: ID!) { changeTeamMembers(teamId: $id, removeAgentIds: []) { id } }`, { id: FAKE("Team") }],
      setMyAvailability: [`mutation { setMyAvailability(available: false) { available } }`],
      assignTicket: [`mutation($t: ID!, $id: ID!) { assignTicket(ticketId: $t, teamId: $id) { id } }`, { t: ids.ticket, id: FAKE("Team") }],
    },
  });

  /** What the owner sees; a refused request must leave it as it was. */
  const state = async () =>
    (
      await app.gql(
        `query($id: ID!) {
          ticket(id: $id) { subject messages { totalCount } requester { name restricted legalHold consents { purpose status } } }
          contacts { totalCount } tickets { totalCount } organizations { totalCount }
          agents { totalCount edges { node { role disabled } } } apiKeys { totalCount }
        }`,
        { id: ids.ticket },
        t.ownerToken,
      )
    ).data;

  it("has a case for every root field", () => {
    for (const kind of ["Query", "Mutation"] as const) {
      const type = kind === "Query" ? schema.getQueryType()! : schema.getMutationType()!;
      expect(Object.keys(anonymous()[kind]).sort(), `${kind} fields without an anonymous case`).toEqual(
        Object.keys(type.getFields()).sort(),
      );
    }
  });

  it("reaches no data and changes nothing without credentials", async () => {
    const before = await state();
    for (const kind of ["Query", "Mutation"] as const) {
      for (const [field, doc] of Object.entries(anonymous()[kind])) {
        if (!doc) continue;
        const r = await app.gql(doc[0], doc[1] ?? {});
        expect(codes(r), field).toEqual(["UNAUTHENTICATED"]);
        expect(r.data?.[field] ?? null, field).toBeNull();
        expect(JSON.stringify(r), field).not.toMatch(/Anon target|target@example\.com/);
      }
    }
    expect(await state()).toEqual(before);
  });

  it("refuses garbage, unknown and malformed credentials", async () => {
    const headers = [
      "Bearer garbage",
      "Bearer dgs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "Bearer dgk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "Basic b3duZXI6cGFzcw==",
      t.ownerToken, // a real token without the Bearer scheme
    ];
    for (const authorization of headers) {
      const r = await app.gql(`{ tickets { totalCount } }`, {}, undefined, { authorization });
      expect(codes(r), authorization).toEqual(["UNAUTHENTICATED"]);
      expect(r.data).toBeNull();
    }
    // The same token, sent properly, works: the refusals above are about the credentials.
    expect(codes(await app.gql(`{ tickets { totalCount } }`, {}, t.ownerToken))).toEqual([]);
  });
});
