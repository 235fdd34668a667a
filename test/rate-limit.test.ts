import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../src/config.js";
import type { RunningServer } from "../src/server.js";
import { startBillingApp, type BillingTestApp } from "../plugins/stripe-billing/test/test-app.js";
import { codes, startApp, type GraphQLResponse, type TestApp } from "./support/app.js";
import { startPeer } from "./support/peer.js";
import { startRedis, type RedisProcess } from "./support/redis.js";

// Small limits and a one-minute window: a test sends a handful of requests, far quicker than the window.
const PLANS = {
  defaultPlan: "FREE",
  rateTiers: { tiny: { requestsPerMinute: 3 }, roomy: { requestsPerMinute: 100 } },
  plans: [
    { id: "FREE", name: "Free", seats: 3, plugins: [], rateTier: "tiny" },
    { id: "TEAM", name: "Team", priceId: "price_team_monthly", plugins: "*", rateTier: "roomy" },
  ],
};
const SECRET_KEY = `sk_test_${randomBytes(12).toString("hex")}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString("hex")}`;
const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-plans-"));
const plansFile = (plans: unknown, name = `plans-${randomBytes(3).toString("hex")}.json`) => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(plans));
  return file;
};

const VIEWER = `{ viewer { tenant { name } } }`;
const headersOf = (r: GraphQLResponse) => ({
  limit: r.headers.get("ratelimit-limit"),
  remaining: r.headers.get("ratelimit-remaining"),
  reset: r.headers.get("ratelimit-reset"),
  retryAfter: r.headers.get("retry-after"),
});

describe("with billing: the plan's rate tier", () => {
  let billingApp: BillingTestApp;
  let app: TestApp;
  let api: BillingTestApp["api"];
  const deliver = async (event: object) => (await billingApp.deliver(event)).status;

  beforeAll(async () => {
    billingApp = await startBillingApp(
      { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET },
      { BILLING_PLANS_FILE: plansFile(PLANS), BILLING_RETURN_URL: "https://desk.example.test/billing" },
    );
    ({ app, api } = billingApp);
  });
  afterAll(async () => {
    await billingApp?.close();
  });

  it("refuses the tenant's operations beyond its tier with RATE_LIMITED, 429 and Retry-After; other tenants are unaffected", async () => {
    const t = await app.tenant();
    const other = await app.tenant();
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const r = await app.gql(VIEWER, {}, t.ownerToken);
      expect(r.status).toBe(200);
      expect(r.errors).toBeUndefined();
      seen.push(headersOf(r));
    }
    expect(seen.map((h) => [h.limit, h.remaining, h.retryAfter])).toEqual([
      ["3", "2", null],
      ["3", "1", null],
      ["3", "0", null],
    ]);
    for (const h of seen) expect(Number(h.reset)).toBeGreaterThanOrEqual(1);
    for (const h of seen) expect(Number(h.reset)).toBeLessThanOrEqual(60);

    const refused = await app.gql(
      `mutation { createTicket(input: { subject: "s", body: "b", requester: { name: "R" } }) { id } }`,
      {},
      t.ownerToken,
    );
    expect(refused.status).toBe(429);
    expect(codes(refused)).toEqual(["RATE_LIMITED"]);
    expect(refused.data).toBeNull();
    const retry = refused.errors![0]!.extensions!.retryAfterSeconds;
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.errors![0]!.extensions!.http).toBeUndefined();
    expect(headersOf(refused)).toMatchObject({ limit: "3", remaining: "0", retryAfter: String(retry) });
    // Nothing ran: no ticket was created.
    expect(await app.database.prisma.ticket.count({ where: { tenantId: t.id } })).toBe(0);

    // The other tenant has its own budget.
    const fine = await app.gql(VIEWER, {}, other.ownerToken);
    expect(fine.errors).toBeUndefined();
    expect(headersOf(fine)).toMatchObject({ limit: "3", remaining: "2", retryAfter: null });
  });

  it("is one budget for all of a tenant's callers; signing in is not counted", async () => {
    const t = await app.tenant();
    const key = await app.apiKey(t, ["TICKETS_READ"]); // 1
    expect(codes(await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, key))).toEqual([]); // 2
    expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual([]); // 3
    expect(codes(await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, key))).toEqual(["RATE_LIMITED"]);
    // Anonymous: a new session is handed out, then its first request is over the tenant's budget.
    const session = await app.signIn(t.slug, t.ownerEmail, t.password);
    expect(codes(await app.gql(VIEWER, {}, session))).toEqual(["RATE_LIMITED"]);
  });

  it("counts the start of a subscription over WebSocket and refuses it beyond the tier", async () => {
    const t = await app.tenant();
    for (let i = 0; i < 3; i++) expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual([]);
    const client = createClient({
      url: app.url.replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${t.ownerToken}` },
      retryAttempts: 0,
    });
    try {
      const results: any[] = [];
      for await (const r of client.iterate({ query: `subscription { ticketEvents { seq } }` })) results.push(r);
      expect(results).toHaveLength(1);
      expect(results[0].errors.map((e: any) => e.extensions.code)).toEqual(["RATE_LIMITED"]);
      expect(results[0].errors[0].extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      await client.dispose();
    }
  });

  it("a plan change through the Stripe webhook applies on the next request; webhooks are never throttled", async () => {
    const t = await app.tenant();
    const checkout = await app.gql(
      `mutation($d: BillingDetailsInput) { startCheckout(plan: "TEAM", seats: 1, details: $d) { id } }`,
      { d: { companyName: "Muster GmbH", address: { line1: "Hauptstr. 1", postalCode: "10115", city: "Berlin", country: "DE" } } },
      t.ownerToken,
    ); // 1
    expect(checkout.errors).toBeUndefined();
    const plan = await app.gql(`{ billing { plan planDetails { rateTier requestsPerMinute } } }`, {}, t.ownerToken); // 2
    expect(plan.data.billing).toEqual({ plan: "FREE", planDetails: { rateTier: "tiny", requestsPerMinute: 3 } });
    expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual([]); // 3
    expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual(["RATE_LIMITED"]);

    // The tenant is over its budget; Stripe's events still go through.
    const { session, subscription } = api.completeCheckout(checkout.data.startCheckout.id);
    expect(await deliver(api.event("checkout.session.completed", session))).toBe(200);
    expect(await deliver(api.event("customer.subscription.created", subscription))).toBe(200);

    const after = await app.gql(`{ billing { plan planDetails { rateTier requestsPerMinute } } }`, {}, t.ownerToken);
    expect(after.errors).toBeUndefined();
    expect(after.data.billing).toEqual({ plan: "TEAM", planDetails: { rateTier: "roomy", requestsPerMinute: 100 } });
    // Same window, same count (five so far), a larger budget.
    expect(headersOf(after)).toMatchObject({ limit: "100", remaining: "95", retryAfter: null });
  });
});

describe("without billing", () => {
  it("limits nothing unless the operator sets API_RATE_LIMIT_PER_MINUTE", async () => {
    const app = await startApp();
    try {
      const t = await app.tenant();
      for (let i = 0; i < 12; i++) {
        const r = await app.gql(VIEWER, {}, t.ownerToken);
        expect(codes(r)).toEqual([]);
        expect(headersOf(r)).toEqual({ limit: null, remaining: null, reset: null, retryAfter: null });
      }
    } finally {
      await app.close();
    }
  });

  it("applies API_RATE_LIMIT_PER_MINUTE to each tenant", async () => {
    const app = await startApp({ API_RATE_LIMIT_PER_MINUTE: "2" });
    try {
      const [a, b] = [await app.tenant(), await app.tenant()];
      expect(headersOf(await app.gql(VIEWER, {}, a.ownerToken))).toMatchObject({ limit: "2", remaining: "1" });
      expect(codes(await app.gql(VIEWER, {}, a.ownerToken))).toEqual([]);
      const refused = await app.gql(VIEWER, {}, a.ownerToken);
      expect(codes(refused)).toEqual(["RATE_LIMITED"]);
      expect(refused.headers.get("retry-after")).toBe(String(refused.errors![0]!.extensions!.retryAfterSeconds));
      // A subscription over server-sent events is refused at its start, with the same status and headers.
      const sse = await fetch(app.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${a.ownerToken}` },
        body: JSON.stringify({ query: `subscription { ticketEvents { seq } }` }),
      });
      expect(sse.status).toBe(429);
      expect(sse.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(sse.headers.get("ratelimit-remaining")).toBe("0");
      expect(await sse.text()).toMatch(/event: next\ndata: .*"code":"RATE_LIMITED"[\s\S]*event: complete/);
      expect(codes(await app.gql(VIEWER, {}, b.ownerToken))).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("never throttles a plugin vendor's webhook", async () => {
    const app = await startApp({ API_RATE_LIMIT_PER_MINUTE: "3" });
    try {
      const t = await app.tenant();
      const settings = [
        { key: "endpoint", value: "https://echo.example" },
        { key: "apiKey", value: "k" },
      ];
      expect(
        codes(
          await app.gql(
            `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "test-echo", settings: $s) { id } }`,
            { s: settings },
            t.ownerToken,
          ),
        ),
      ).toEqual([]);
      expect(
        codes(await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { enabled } }`, {}, t.ownerToken)),
      ).toEqual([]);
      expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual([]);
      expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual(["RATE_LIMITED"]);
      for (let i = 0; i < 3; i++) {
        const hook = await fetch(app.url.replace("/graphql", `/plugins/test-echo/${t.slug}/ping`), { method: "POST" });
        expect(hook.status).toBe(200);
        expect(await hook.text()).toBe("echo ping");
        expect(hook.headers.get("ratelimit-limit")).toBeNull();
      }
    } finally {
      await app.close();
    }
  });
});

describe("several instances", () => {
  let redis: RedisProcess | undefined;
  afterAll(async () => {
    await redis?.kill();
  });

  const gqlAt = async (server: RunningServer, query: string, token: string) => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { errors?: any[] };
    return { status: res.status, errors: body.errors, headers: res.headers } as GraphQLResponse;
  };

  it("share one budget through Redis", async () => {
    // CI sets REDIS_URL; otherwise the test brings its own redis-server.
    const redisUrl = process.env.REDIS_URL ?? (redis = await startRedis()).url;
    const env = { REDIS_URL: redisUrl, API_RATE_LIMIT_PER_MINUTE: "3", ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    const app = await startApp(env);
    const peer = await startPeer(app.database, env);
    try {
      const t = await app.tenant();
      expect(headersOf(await gqlAt(app.server, VIEWER, t.ownerToken)).remaining).toBe("2");
      expect(headersOf(await gqlAt(peer, VIEWER, t.ownerToken)).remaining).toBe("1");
      expect(headersOf(await gqlAt(app.server, VIEWER, t.ownerToken)).remaining).toBe("0");
      expect(codes(await gqlAt(peer, VIEWER, t.ownerToken))).toEqual(["RATE_LIMITED"]);
      expect(codes(await gqlAt(app.server, VIEWER, t.ownerToken))).toEqual(["RATE_LIMITED"]);
    } finally {
      await peer.close();
      await app.close();
    }
  });

  it("let requests through while Redis is unreachable (fail open)", async () => {
    const own = await startRedis();
    const app = await startApp({ REDIS_URL: own.url, API_RATE_LIMIT_PER_MINUTE: "1" });
    try {
      const t = await app.tenant();
      expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual([]);
      expect(codes(await app.gql(VIEWER, {}, t.ownerToken))).toEqual(["RATE_LIMITED"]);
      await own.kill();
      for (let i = 0; i < 3; i++) {
        const r = await app.gql(VIEWER, {}, t.ownerToken);
        expect(codes(r)).toEqual([]);
        expect(r.headers.get("ratelimit-limit")).toBeNull();
      }
    } finally {
      await app.close();
      await own.kill();
    }
  });
});

describe("the plans file", () => {
  const load =
    (plans: unknown, extra: Record<string, string> = {}) =>
    () =>
      loadConfig({
        DATA_DIR: "memory://",
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        BILLING_PLANS_FILE: plansFile(plans),
        ...extra,
      });

  it("accepts the example file, whose plans all name one of its tiers", () => {
    const config = loadConfig({
      DATA_DIR: "memory://",
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      BILLING_PLANS_FILE: path.resolve("config/plans.example.json"),
    });
    const plans = config.billing!.plans;
    expect(plans.plans.map((p) => [p.id, plans.rateTierOf(p).requestsPerMinute])).toEqual([
      ["FREE", 300],
      ["TEAM", 1200],
      ["BUSINESS", 6000],
    ]);
  });

  it("stops the server with the field named when a tier is missing or wrong", () => {
    expect(load({ ...PLANS, rateTiers: undefined })).toThrow(/BILLING_PLANS_FILE: .*rateTiers/);
    const typo = { ...PLANS, plans: [PLANS.plans[0], { ...PLANS.plans[1], rateTier: "rommy" }] };
    expect(load(typo)).toThrow(/plans\.1\.rateTier: no rate tier "rommy" in rateTiers \(tiny, roomy\)/);
    expect(load({ ...PLANS, rateTiers: { ...PLANS.rateTiers, tiny: { requestsPerMinute: 0 } } })).toThrow(
      /rateTiers\.tiny\.requestsPerMinute/,
    );
    expect(load({ ...PLANS, rateTiers: { ...PLANS.rateTiers, tiny: { requestsPerMinut: 3 } } })).toThrow(/rateTiers\.tiny/);
  });

  it("refuses API_RATE_LIMIT_PER_MINUTE with billing on, where the plans decide", () => {
    expect(load(PLANS, { API_RATE_LIMIT_PER_MINUTE: "100" })).toThrow(/API_RATE_LIMIT_PER_MINUTE: with billing on/);
    expect(() => loadConfig({ DATA_DIR: "memory://", API_RATE_LIMIT_PER_MINUTE: "0" })).toThrow(/API_RATE_LIMIT_PER_MINUTE/);
  });
});
