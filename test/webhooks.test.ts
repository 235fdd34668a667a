import { randomBytes } from "node:crypto";
import { createClient } from "graphql-ws";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { recordEvents, type SealedEvent } from "../src/events/outbox.js";
import type { Tx } from "../src/db/tx.js";
import { webhookFanout } from "../src/webhooks/fanout.js";
import { sealIn } from "../src/sequencer/seal.js";
import { asSequencer } from "../src/sequencer/lock.js";
import { retryDelay } from "../src/retry.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { ALLOW_EVERYTHING, REFUSED_URLS } from "./support/refused-addresses.js";
import { startPeer } from "./support/peer.js";
import { sleep, startReceiver, until, verifyStandardWebhook, type Receiver } from "./support/webhooks.js";

const BASE_MS = 150;
const MAX_ATTEMPTS = 4;

let app: TestApp;
let A: TestTenant;
let B: TestTenant;
const receivers: Receiver[] = [];

const ENV = {
  // Endpoints on 127.0.0.1 are this test's receivers.
  OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32,::1",
  WEBHOOK_RETRY_BASE_MS: String(BASE_MS),
  WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  WEBHOOK_TIMEOUT_MS: "1500",
  EVENT_POLL_MS: "500",
  // Shared with the second instance below, which must open the same signing secrets.
  ENCRYPTION_KEY: randomBytes(32).toString("base64"),
};

beforeAll(async () => {
  app = await startApp(ENV);
  A = await app.tenant();
  B = await app.tenant();
});
afterAll(async () => {
  await app?.close();
  for (const r of receivers) await r.close();
});

async function receiver(answer?: Receiver["answer"]) {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function apiKey(t: TestTenant, scopes: string[]) {
  const r = await app.gql(
    `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`,
    { i: { name: "partner", scopes } },
    t.ownerToken,
  );
  return { id: r.data.createApiKey.apiKey.id as string, secret: r.data.createApiKey.secret as string };
}

const CREATE = `mutation($i: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $i) { secret endpoint { id url eventTypes selection enabled signingSecrets { createdAt expiresAt } } }
}`;

async function endpoint(
  t: TestTenant,
  input: { url: string; eventTypes: string[]; selection: string; apiKeyId?: string; scopes?: string[] },
) {
  const apiKeyId = input.apiKeyId ?? (await apiKey(t, input.scopes ?? ["TICKETS_READ"])).id;
  const r = await app.gql(
    CREATE,
    { i: { url: input.url, eventTypes: input.eventTypes, selection: input.selection, apiKeyId } },
    t.ownerToken,
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return { id: r.data.createWebhookEndpoint.endpoint.id as string, secret: r.data.createWebhookEndpoint.secret as string, apiKeyId };
}

const DELIVERIES = `query($e: ID, $s: WebhookDeliveryStatus) {
  webhookDeliveries(endpointId: $e, status: $s, first: 100) {
    totalCount
    edges { node { id webhookId eventSeq eventType status attempts nextAttemptAt lastAttemptAt lastStatusCode lastError } }
  }
}`;
const deliveries = async (t: TestTenant, endpointId: string) =>
  (await app.gql(DELIVERIES, { e: endpointId }, t.ownerToken)).data.webhookDeliveries.edges.map((e: any) => e.node);

let requesters = 0;
const createTicket = async (t: TestTenant, subject: string) => {
  const requester = { name: "Rita Requester", email: `rita${++requesters}@example.com` };
  const r = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
    { i: { subject, body: "first message body", requester } },
    t.ownerToken,
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.createTicket.id as string;
};

describe("registering an endpoint", () => {
  it("returns a Standard Webhooks secret once and never again", async () => {
    const r = await receiver();
    const key = await apiKey(A, ["TICKETS_READ"]);
    const created = await app.gql(
      CREATE,
      { i: { url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq type", apiKeyId: key.id } },
      A.ownerToken,
    );
    expect(created.errors).toBeUndefined();
    const { secret, endpoint: ep } = created.data.createWebhookEndpoint;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    expect(ep).toMatchObject({ url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq type", enabled: true });
    expect(ep.signingSecrets).toHaveLength(1);
    expect(ep.signingSecrets[0].expiresAt).toBeNull();

    const listed = await app.gql(
      `{ webhookEndpoints { totalCount edges { node { id url apiKey { id } signingSecrets { createdAt } } } } }`,
      {},
      A.ownerToken,
    );
    expect(listed.data.webhookEndpoints.edges.map((e: any) => e.node.id)).toContain(ep.id);
    expect(listed.data.webhookEndpoints.edges.find((e: any) => e.node.id === ep.id).node.apiKey.id).toBe(key.id);
    expect(JSON.stringify(listed)).not.toContain(secret.slice(6));
    // Stored sealed, not in the clear.
    const row = await app.database.prisma.webhookEndpoint.findFirstOrThrow({ where: { url: r.url } });
    expect(JSON.stringify(row.secrets)).not.toContain(secret.slice(6));
  });

  it("refuses URLs that are not http(s) or carry credentials", async () => {
    const key = await apiKey(A, ["TICKETS_READ"]);
    for (const url of [
      "ftp://127.0.0.1/hook",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "not a url",
      "http://user:pass@127.0.0.1/hook",
    ]) {
      const r = await app.gql(CREATE, { i: { url, eventTypes: ["TICKET_CREATED"], selection: "seq", apiKeyId: key.id } }, A.ownerToken);
      expect(codes(r), url).toEqual(["VALIDATION"]);
      expect(r.errors![0]!.extensions!.fields[0].path, url).toEqual(["input", "url"]);
    }
  });

  it("refuses a selection that does not validate, with the GraphQL error", async () => {
    const key = await apiKey(A, ["TICKETS_READ"]);
    const attempt = (selection: string) =>
      app.gql(CREATE, { i: { url: "http://127.0.0.1:9/hook", eventTypes: ["TICKET_CREATED"], selection, apiKeyId: key.id } }, A.ownerToken);
    const unknown = await attempt("seq ticket { nonsense }");
    expect(codes(unknown)).toEqual(["VALIDATION"]);
    expect(unknown.errors![0]!.message).toContain('Cannot query field "nonsense" on type "Ticket"');
    expect(unknown.errors![0]!.extensions!.fields[0].path).toEqual(["input", "selection"]);
    expect(codes(await attempt("ticket"))).toEqual(["VALIDATION"]); // an object needs a selection
    expect(codes(await attempt("seq ticket {"))).toEqual(["VALIDATION"]);
    expect(codes(await attempt("   "))).toEqual(["VALIDATION"]);
    // Breaking out of the braces, to a second operation or another root field.
    expect(codes(await attempt("seq } } query Other { tickets { totalCount } } subscription X { ticketEvents { seq"))).toEqual([
      "VALIDATION",
    ]);
    expect(codes(await attempt('seq } ticketMessages(ticketId: "x") { id'))).toEqual(["VALIDATION"]);
    expect(codes(await attempt("seq message { body(x: 1) }"))).toEqual(["VALIDATION"]);
    expect(
      (await app.gql(`{ webhookEndpoints { edges { node { url } } } }`, {}, A.ownerToken)).data.webhookEndpoints.edges.map(
        (e: any) => e.node.url,
      ),
    ).not.toContain("http://127.0.0.1:9/hook");
  });

  it("needs a usable API key of the tenant and at least one event type", async () => {
    const url = "http://127.0.0.1:9/hook";
    const noTickets = await apiKey(A, ["CONTACTS_READ"]);
    const revoked = await apiKey(A, ["TICKETS_READ"]);
    await app.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: revoked.id }, A.ownerToken);
    const ofB = await apiKey(B, ["TICKETS_READ"]);
    const fine = await apiKey(A, ["TICKETS_READ"]);
    const attempt = (apiKeyId: string, eventTypes = ["TICKET_CREATED"]) =>
      app.gql(CREATE, { i: { url, eventTypes, selection: "seq", apiKeyId } }, A.ownerToken);
    expect(codes(await attempt(noTickets.id))).toEqual(["VALIDATION"]);
    expect(codes(await attempt(revoked.id))).toEqual(["VALIDATION"]);
    expect(codes(await attempt(ofB.id))).toEqual(["NOT_FOUND"]);
    expect(codes(await attempt(fine.id, []))).toEqual(["VALIDATION"]);
  });

  it("is for admins only", async () => {
    const agent = await app.agent(A, "AGENT");
    const key = await apiKey(A, ["TICKETS_READ"]);
    const r = await app.gql(
      CREATE,
      { i: { url: "http://127.0.0.1:9/hook", eventTypes: ["TICKET_CREATED"], selection: "seq", apiKeyId: key.id } },
      agent.token,
    );
    expect(codes(r)).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(`{ webhookEndpoints { totalCount } }`, {}, agent.token))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(`{ webhookEndpoints { totalCount } }`, {}, key.secret))).toEqual(["FORBIDDEN"]);
  });
});

describe("without OUTBOUND_ALLOW_PRIVATE", () => {
  let strict: TestApp;
  let T: TestTenant;
  beforeAll(async () => {
    strict = await startApp({ WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_MAX_ATTEMPTS: "1" });
    T = await strict.tenant();
  });
  afterAll(() => strict?.close());

  it("refuses every spelling of a loopback, private, link-local, multicast or reserved address, naming the field", async () => {
    const key = (
      await strict.gql(`mutation { createApiKey(input: { name: "k", scopes: [TICKETS_READ] }) { apiKey { id } } }`, {}, T.ownerToken)
    ).data.createApiKey.apiKey.id;
    for (const url of REFUSED_URLS) {
      const r = await strict.gql(CREATE, { i: { url, eventTypes: ["TICKET_CREATED"], selection: "seq", apiKeyId: key } }, T.ownerToken);
      expect(codes(r), url).toEqual(["ADDRESS_NOT_ALLOWED"]);
      expect(r.errors![0]!.extensions!.fields, url).toEqual([
        { path: ["input", "url"], message: expect.stringMatching(/ address: not allowed for outbound calls$/) },
      ]);
    }
    expect((await strict.gql(`{ webhookEndpoints { totalCount } }`, {}, T.ownerToken)).data.webhookEndpoints.totalCount).toBe(0);
  });

  it("accepts them once the operator lists their networks, and only those", async () => {
    const open = await startApp({ OUTBOUND_ALLOW_PRIVATE: ALLOW_EVERYTHING });
    const loopbackOnly = await startApp({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32,::1" });
    try {
      for (const server of [open, loopbackOnly]) {
        const t = await server.tenant();
        const key = (
          await server.gql(`mutation { createApiKey(input: { name: "k", scopes: [TICKETS_READ] }) { apiKey { id } } }`, {}, t.ownerToken)
        ).data.createApiKey.apiKey.id;
        const create = (url: string) =>
          server.gql(CREATE, { i: { url, eventTypes: ["TICKET_CREATED"], selection: "seq", apiKeyId: key } }, t.ownerToken);
        if (server === open) {
          for (const url of REFUSED_URLS) expect(codes(await create(url)), url).toEqual([]);
        } else {
          for (const url of [
            "http://127.0.0.1:8080/hook",
            "http://2130706433/hook",
            "http://127.1/hook",
            "http://localhost/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
          ]) {
            expect(codes(await create(url)), url).toEqual([]);
          }
          // Another loopback address, and the forms that only look alike, stay refused.
          for (const url of [
            "http://127.0.0.2/hook",
            "http://169.254.169.254/",
            "http://[::7f00:1]/hook",
            "http://[2002:7f00:1::1]/hook",
          ]) {
            expect(codes(await create(url)), url).toEqual(["ADDRESS_NOT_ALLOWED"]);
          }
        }
      }
    } finally {
      await open.close();
      await loopbackOnly.close();
    }
    // Two more servers to start: more than the default bound on a loaded machine.
  }, 60_000);

  it("checks the address again at delivery time and sends nothing to a private one", async () => {
    // As if the name had resolved to a public address at registration and to loopback now.
    const r = await receiver();
    const key = (
      await strict.gql(`mutation { createApiKey(input: { name: "k", scopes: [TICKETS_READ] }) { apiKey { id } } }`, {}, T.ownerToken)
    ).data.createApiKey.apiKey.id;
    const keyId = Buffer.from(key, "base64").toString().split(":")[1]!;
    // By number (sockets skip DNS for it) and by name (checked on the very answer the socket uses).
    const byNumber = r.url;
    const byName = r.url.replace("127.0.0.1", "localhost");
    const endpoints = await Promise.all(
      [byNumber, byName].map((url) =>
        strict.database.prisma.webhookEndpoint.create({
          data: { tenantId: T.id, url, eventTypes: ["TICKET_CREATED"], selection: "seq", apiKeyId: keyId, secrets: [] },
        }),
      ),
    );
    await strict.gql(`mutation { createTicket(input: { subject: "s", body: "b", requester: { name: "R" } }) { id } }`, {}, T.ownerToken);
    const failed = async (endpointId: string) =>
      strict.database.prisma.webhookDelivery.findFirst({ where: { endpointId, status: "FAILED" } });
    await until(
      async () => (await failed(endpoints[0]!.id)) !== null && (await failed(endpoints[1]!.id)) !== null,
      10_000,
      "two failed deliveries",
    );
    const [number, name] = [(await failed(endpoints[0]!.id))!, (await failed(endpoints[1]!.id))!];
    expect(number.lastError).toMatch(/^127\.0\.0\.1 is a loopback address: not allowed for outbound calls/);
    expect(name.lastError).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address: not allowed for outbound calls/);
    expect([number.lastStatusCode, name.lastStatusCode]).toEqual([null, null]);
    expect(r.received).toEqual([]);
  });
});

describe("deliveries", () => {
  it("carry only the selected fields, exactly as the key's subscription would, signed and verifiable", async () => {
    const r = await receiver();
    const selection = "seq type ticket { subject status requester { name email } }";
    const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_CREATED"], selection, scopes: ["TICKETS_READ"] });
    const key = await app.gql(`{ webhookEndpoints { edges { node { id apiKey { id } } } } }`, {}, A.ownerToken);
    expect(key.data.webhookEndpoints.edges.find((e: any) => e.node.id === ep.id).node.apiKey.id).toBe(ep.apiKeyId);

    // The same key, subscribed with the same selection, for comparison.
    const keySecret = (await apiKey(A, ["TICKETS_READ"])).secret;
    const ws = createClient({
      url: app.url.replace("http", "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${keySecret}` },
      retryAttempts: 0,
    });
    const viaSubscription: any[] = [];
    const stop = ws.subscribe(
      { query: `subscription { ticketEvents(filter: { types: [TICKET_CREATED] }) { ${selection} } }` },
      { next: (v) => viaSubscription.push(v), error: () => {}, complete: () => {} },
    );
    await sleep(300);

    await createTicket(A, "Printer on fire");
    await until(() => r.received.length >= 1 && viaSubscription.length >= 1, 20_000, "the webhook and the subscription");
    const hook = r.received[0]!;
    expect(hook.headers["content-type"]).toBe("application/json");
    expect(Object.keys(hook.json).sort()).toEqual(["data", "errors", "timestamp", "type"]);
    expect(hook.json.type).toBe("TICKET_CREATED");
    expect(new Date(hook.json.timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // Only the fields asked for; the email is not for a key without CONTACTS_READ.
    expect(hook.json.data).toEqual({
      seq: expect.any(Number),
      type: "TICKET_CREATED",
      ticket: { subject: "Printer on fire", status: "NEW", requester: { name: "Rita Requester", email: null } },
    });
    expect(hook.body).not.toContain("@example.com");
    expect(hook.body).not.toContain("first message body");
    expect(hook.json.errors).toEqual([
      { message: expect.any(String), path: ["ticketEvents", "ticket", "requester", "email"], code: "FORBIDDEN" },
    ]);
    expect(hook.json.data).toEqual(viaSubscription[0].data.ticketEvents);
    stop();
    await ws.dispose();

    // Signed: the reference verifier and the standardwebhooks package agree; tampering is caught.
    expect(verifyStandardWebhook(ep.secret, hook.headers, hook.body)).toBe(true);
    expect(new Webhook(ep.secret).verify(hook.body, hook.headers as Record<string, string>)).toEqual(hook.json);
    expect(verifyStandardWebhook(ep.secret, hook.headers, hook.body.replace("Printer", "Scanner"))).toBe(false);
    expect(() => new Webhook(ep.secret).verify(hook.body.replace("Printer", "Scanner"), hook.headers as Record<string, string>)).toThrow();
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`, hook.headers, hook.body)).toBe(false);
    expect(hook.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Math.abs(Number(hook.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);

    await until(async () => (await deliveries(A, ep.id))[0]?.status === "SUCCEEDED", 20_000, "the delivery log");
    const log = await deliveries(A, ep.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      status: "SUCCEEDED",
      attempts: 1,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
      eventType: "TICKET_CREATED",
    });
    expect(hook.headers["webhook-id"]).toBe(log[0].webhookId);
  });

  it("never deliver internal notes to a key without NOTES_READ", async () => {
    const publicOnly = await receiver();
    const withNotes = await receiver();
    const selection = "seq message { body internal }";
    const a = await endpoint(A, { url: publicOnly.url, eventTypes: ["MESSAGE_ADDED"], selection, scopes: ["TICKETS_READ"] });
    const b = await endpoint(A, { url: withNotes.url, eventTypes: ["MESSAGE_ADDED"], selection, scopes: ["TICKETS_READ", "NOTES_READ"] });
    const ticket = await createTicket(A, "Notes test");
    const add = (body: string, internal: boolean) =>
      app.gql(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId: ticket, body, internal } }, A.ownerToken);
    await add("secret internal note", true);
    await add("public reply", false);
    await until(() => withNotes.received.length >= 3 && publicOnly.received.length >= 2, 10_000, "deliveries");
    await sleep(500);
    expect(withNotes.received.map((x) => x.json.data.message)).toEqual([
      { body: "first message body", internal: false },
      { body: "secret internal note", internal: true },
      { body: "public reply", internal: false },
    ]);
    expect(publicOnly.received.map((x) => x.json.data.message)).toEqual([
      { body: "first message body", internal: false },
      { body: "public reply", internal: false },
    ]);
    expect(JSON.stringify(publicOnly.received.map((x) => x.body))).not.toContain("secret internal note");
    // Not even queued: the log of the endpoint without notes has no row for the note.
    expect(await deliveries(A, a.id)).toHaveLength(2);
    expect(await deliveries(A, b.id)).toHaveLength(3);
  });

  it("sign with both secrets during the grace period after a rotation, and with the new one after it", async () => {
    const r = await receiver();
    const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq" });
    const rotated = await app.gql(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret previousSecretsExpireAt endpoint { signingSecrets { createdAt expiresAt } } } }`,
      { id: ep.id },
      A.ownerToken,
    );
    const { secret: newSecret, previousSecretsExpireAt, endpoint: after } = rotated.data.rotateWebhookSecret;
    expect(newSecret).not.toBe(ep.secret);
    expect(newSecret).toMatch(/^whsec_/);
    const graceHours = (new Date(previousSecretsExpireAt).getTime() - Date.now()) / 3600_000;
    expect(graceHours).toBeGreaterThan(23.9);
    expect(graceHours).toBeLessThanOrEqual(24);
    expect(after.signingSecrets.map((s: any) => s.expiresAt)).toEqual([null, previousSecretsExpireAt]);

    await createTicket(A, "After rotation");
    await until(() => r.received.length >= 1);
    const hook = r.received[0]!;
    const signatures = String(hook.headers["webhook-signature"]).split(" ");
    expect(signatures).toHaveLength(2);
    for (const s of signatures) expect(s).toMatch(/^v1,/);
    for (const secret of [newSecret, ep.secret]) {
      expect(verifyStandardWebhook(secret, hook.headers, hook.body)).toBe(true);
      expect(() => new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>)).not.toThrow();
    }

    // The grace period ends (moved into the past here): only the new secret signs.
    const row = await app.database.prisma.webhookEndpoint.findFirstOrThrow({ where: { url: r.url } });
    const secrets = (row.secrets as any[]).map((s) => (s.expiresAt ? { ...s, expiresAt: new Date(Date.now() - 1000).toISOString() } : s));
    await app.database.prisma.webhookEndpoint.update({ where: { id: row.id }, data: { secrets } });
    await createTicket(A, "After the grace period");
    await until(() => r.received.length >= 2);
    const later = r.received[1]!;
    expect(String(later.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifyStandardWebhook(newSecret, later.headers, later.body)).toBe(true);
    expect(verifyStandardWebhook(ep.secret, later.headers, later.body)).toBe(false);
  });

  it("are retried with backoff against a failing endpoint, with the same webhook-id, and logged", async () => {
    let ep: { id: string; secret: string };
    let duringRetry: any;
    // The second attempt looks at the log while it is in flight: the first one's failure is recorded.
    const r = await receiver(async (n) => {
      if (n === 1) duringRetry = (await deliveries(A, ep.id))[0];
      return n === 0 ? 500 : n === 1 ? 503 : 200;
    });
    ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq" });
    await createTicket(A, "Flaky receiver");
    await until(async () => (await deliveries(A, ep.id))[0]?.status === "SUCCEEDED", 10_000, "success");
    expect(duringRetry).toMatchObject({ status: "PENDING", attempts: 2, lastStatusCode: 500, lastError: "HTTP 500" });
    const done = (await deliveries(A, ep.id))[0];
    expect(done).toMatchObject({ status: "SUCCEEDED", attempts: 3, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((x) => x.headers["webhook-id"]))).toEqual(new Set([done.webhookId]));
    expect(new Set(r.received.map((x) => x.body)).size).toBe(1);
    for (const x of r.received) expect(verifyStandardWebhook(ep.secret, x.headers, x.body)).toBe(true);
    // The waits between attempts (full jitter, at most base × 2^(n-1)) are retryDelay's, checked below without a clock;
    // three attempts within the wait above show the worker used them and not a fixed long delay.
    await sleep(500);
    expect(r.received).toHaveLength(3);
  });

  it("back off exponentially with full jitter, capped", () => {
    expect(retryDelay(1, 5000, 600_000, () => 0.999999)).toBe(4999);
    expect(retryDelay(2, 5000, 600_000, () => 0.999999)).toBe(9999);
    expect(retryDelay(4, 5000, 600_000, () => 0.999999)).toBe(39_999);
    expect(retryDelay(12, 5000, 600_000, () => 0.999999)).toBe(599_999);
    expect(retryDelay(3, 5000, 600_000, () => 0)).toBe(0);
    const samples = Array.from({ length: 2000 }, () => retryDelay(3, 1000, 600_000));
    expect(Math.max(...samples)).toBeLessThan(4000);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(1700);
    expect(mean).toBeLessThan(2300);
  });

  it("give up after the attempt bound and are marked FAILED; a timeout counts as a failure", async () => {
    const down = await receiver(() => 500);
    const ep = await endpoint(A, { url: down.url, eventTypes: ["TICKET_CREATED"], selection: "seq" });
    await createTicket(A, "Receiver down");
    await until(async () => (await deliveries(A, ep.id))[0]?.status === "FAILED", 15_000, "giving up");
    const [failed] = await deliveries(A, ep.id);
    expect(failed).toMatchObject({ status: "FAILED", attempts: MAX_ATTEMPTS, lastStatusCode: 500, nextAttemptAt: null });
    expect(failed.lastError).toBe(`HTTP 500 (gave up after ${MAX_ATTEMPTS} attempts)`);
    expect(down.received).toHaveLength(MAX_ATTEMPTS);
    await sleep(800);
    expect(down.received).toHaveLength(MAX_ATTEMPTS);
    expect((await app.gql(DELIVERIES, { e: ep.id, s: "FAILED" }, A.ownerToken)).data.webhookDeliveries.totalCount).toBe(1);
    expect((await app.gql(DELIVERIES, { e: ep.id, s: "SUCCEEDED" }, A.ownerToken)).data.webhookDeliveries.totalCount).toBe(0);

    const hangs = await receiver(() => "hang");
    const slow = await endpoint(A, { url: hangs.url, eventTypes: ["TICKET_CREATED"], selection: "seq" });
    await createTicket(A, "Receiver hangs");
    await until(
      async () => (await deliveries(A, slow.id))[0]?.attempts >= 1 && (await deliveries(A, slow.id))[0]?.lastError !== null,
      10_000,
      "a timeout",
    );
    expect((await deliveries(A, slow.id))[0].lastError).toBe("No answer within 1500 ms");
    await app.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: slow.id }, A.ownerToken);
  });

  it("can be re-sent, with the same webhook-id; a queued one cannot", async () => {
    // The re-sent delivery is held at the receiver until the test has tried to re-send it once more.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const r = await receiver(async (n) => {
      if (n === 1) await held;
      return 200;
    });
    const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq type" });
    await createTicket(A, "Resend me");
    await until(() => r.received.length >= 1);
    await until(async () => (await deliveries(A, ep.id))[0]?.status === "SUCCEEDED");
    const [first] = await deliveries(A, ep.id);
    const resent = await app.gql(
      `mutation($id: ID!) { resendWebhookDelivery(id: $id) { id status attempts } }`,
      { id: first.id },
      A.ownerToken,
    );
    expect(resent.errors).toBeUndefined();
    expect(resent.data.resendWebhookDelivery).toMatchObject({ id: first.id, status: "PENDING", attempts: 0 });
    expect(codes(await app.gql(`mutation($id: ID!) { resendWebhookDelivery(id: $id) { id } }`, { id: first.id }, A.ownerToken))).toEqual([
      "CONFLICT",
    ]);
    release();
    await until(() => r.received.length >= 2, 20_000, "the re-sent delivery");
    expect(r.received[1]!.headers["webhook-id"]).toBe(first.webhookId);
    expect(r.received[1]!.json.data).toEqual(r.received[0]!.json.data);
    expect(verifyStandardWebhook(ep.secret, r.received[1]!.headers, r.received[1]!.body)).toBe(true);
    await until(async () => (await deliveries(A, ep.id))[0]?.status === "SUCCEEDED");
    expect(await deliveries(A, ep.id)).toHaveLength(1);
  });

  it("stop when the endpoint's API key is revoked: pending ones fail with a clear error, nothing more is sent", async () => {
    const r = await receiver(() => 500);
    const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq" });
    await createTicket(A, "Before revocation");
    await until(() => r.received.length >= 1);
    await app.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: ep.apiKeyId }, A.ownerToken);
    await until(async () => (await deliveries(A, ep.id))[0]?.status === "FAILED", 10_000, "the pending delivery to fail");
    const sent = r.received.length;
    const [stopped] = await deliveries(A, ep.id);
    expect(stopped.lastError).toMatch(/API key was revoked/);
    const state = await app.gql(`query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { enabled } } }`, { id: ep.id }, A.ownerToken);
    expect(state.data.node.enabled).toBe(false);

    await createTicket(A, "After revocation");
    await sleep(1500);
    expect(r.received).toHaveLength(sent);
    expect(await deliveries(A, ep.id)).toHaveLength(1);
    // It cannot be switched back on with the revoked key.
    const again = await app.gql(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: true }) { enabled } }`,
      { id: ep.id },
      A.ownerToken,
    );
    expect(codes(again)).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(`mutation($id: ID!) { resendWebhookDelivery(id: $id) { id } }`, { id: stopped.id }, A.ownerToken))).toEqual([
      "VALIDATION",
    ]);
  });

  it("are updated and deleted with their endpoint", async () => {
    const r = await receiver();
    const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq" });
    const updated = await app.gql(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { eventTypes: [TICKET_CREATED, TICKET_UPDATED], selection: "seq type ticket { number }" }) { eventTypes selection } }`,
      { id: ep.id },
      A.ownerToken,
    );
    expect(updated.data.updateWebhookEndpoint).toEqual({
      eventTypes: ["TICKET_CREATED", "TICKET_UPDATED"],
      selection: "seq type ticket { number }",
    });
    const bad = await app.gql(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { selection: "nope" }) { id } }`,
      { id: ep.id },
      A.ownerToken,
    );
    expect(codes(bad)).toEqual(["VALIDATION"]);
    const ticket = await createTicket(A, "Updated endpoint");
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: HIGH }) { id } }`, { id: ticket }, A.ownerToken);
    // By webhook-id: an answer slower than WEBHOOK_TIMEOUT_MS (a loaded machine) is a failed attempt, sent again.
    const sent = () => [...new Map(r.received.map((x) => [x.headers["webhook-id"], x])).values()];
    await until(() => sent().length >= 2);
    expect(
      sent()
        .map((x) => x.json.type)
        .sort(),
    ).toEqual(["TICKET_CREATED", "TICKET_UPDATED"]);
    expect(sent()[0]!.json.data.ticket.number).toEqual(expect.any(Number));

    const deleted = await app.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: ep.id }, A.ownerToken);
    expect(deleted.data.deleteWebhookEndpoint).toBe(ep.id);
    expect(codes(await app.gql(DELIVERIES, { e: ep.id }, A.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(
      await app.database.prisma.webhookDelivery.count({ where: { endpointId: Buffer.from(ep.id, "base64").toString().split(":")[1] } }),
    ).toBe(0);
    await createTicket(A, "After delete");
    await sleep(800);
    expect(sent()).toHaveLength(2);
  });
});

describe("reliability", () => {
  it("queues nothing for a change that rolls back", async () => {
    const r = await receiver();
    const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_UPDATED"], selection: "seq" });
    const before = await app.database.prisma.webhookDelivery.count();
    await expect(
      app.database.forTenant(A.id).$transaction(async (tx) => {
        await recordEvents(tx, A.id, [{ type: "TICKET_UPDATED", data: { changed: ["subject"] } }]);
        throw new Error("the change fails after recording its event");
      }),
    ).rejects.toThrow("the change fails");
    expect(await app.database.prisma.webhookDelivery.count()).toBe(before);
    await sleep(600);
    expect(r.received).toEqual([]);
    expect(await deliveries(A, ep.id)).toEqual([]);
  });

  it("wake the sender after a fan-out batch that queued a delivery, never after one that queued none", async () => {
    const quiet = await app.tenant();
    const created = await app.gql(
      `mutation { createTicket(input: { subject: "nobody listens", body: "b", requester: { name: "Quiet" } }) { id } }`,
      {},
      quiet.ownerToken,
    );
    expect(created.errors).toBeUndefined();
    // The server's own fan-out has had these events (before the endpoint below exists).
    await app.consumed(quiet);
    const events = (await app.database.prisma.event.findMany({
      where: { tenantId: quiet.id, seq: { not: null } },
      orderBy: { seq: "asc" },
    })) as SealedEvent[];
    expect(events.length).toBeGreaterThan(0);
    let woken = 0;
    const fanout = webhookFanout(() => woken++);
    // A batch is handled in its transaction, and afterCommit follows its commit (as the driver does).
    const batch = async () => {
      await app.database.forTenant(quiet.id).$transaction((tx) => fanout.handle({ tenantId: quiet.id, events, tx: tx as unknown as Tx }));
      fanout.afterCommit!(quiet.id);
    };
    await batch();
    expect(woken).toBe(0);
    // This fan-out queues them for the endpoint the server's did not know yet.
    const r = await receiver();
    const ep = await endpoint(quiet, { url: r.url, eventTypes: ["TICKET_CREATED"], selection: "seq" });
    await batch();
    expect(woken).toBe(1);
    expect((await deliveries(quiet, ep.id)).length).toBeGreaterThan(0);
    // Queued already: the same batch again queues nothing and wakes nobody.
    await batch();
    expect(woken).toBe(1);
  });

  it("resume a delivery whose sender died mid-attempt once its lease ends, and leave a live lease alone", async () => {
    const r = await receiver();
    const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_STATUS_CHANGED"], selection: "seq type" });
    const endpointId = Buffer.from(ep.id, "base64").toString().split(":")[1]!;
    // Two events numbered, fanned out, and both deliveries leased by a sender that died, in one transaction
    // (so that no live sender sees them in between): one lease has run out, the other has not. The fan-out
    // consumer takes the same events again later and queues nothing twice.
    const eventSeq = await asSequencer(app.database, A.id, async (tx, heads, stored) => {
      const start = heads.eventSeq;
      await recordEvents(tx, A.id, [
        { type: "TICKET_STATUS_CHANGED", data: { from: "NEW", to: "OPEN" } },
        { type: "TICKET_STATUS_CHANGED", data: { from: "OPEN", to: "PENDING" } },
      ]);
      await sealIn(tx, A.id, heads, stored);
      const events = (await tx.event.findMany({ where: { tenantId: A.id, seq: { gt: start } }, orderBy: { seq: "asc" } })) as SealedEvent[];
      await webhookFanout(() => {}).handle({ tenantId: A.id, events, tx: tx as unknown as Tx });
      await tx.webhookDelivery.updateMany({
        where: { endpointId, eventSeq: start + 1 },
        data: { attempts: 1, nextAttemptAt: new Date(Date.now() - 1000) },
      });
      await tx.webhookDelivery.updateMany({
        where: { endpointId, eventSeq: start + 2 },
        data: { attempts: 1, nextAttemptAt: new Date(Date.now() + 600_000) },
      });
      return start;
    });
    // Other activity's notice wakes the worker, which finds the run-out lease due.
    await app.gql(
      `mutation { createTicket(input: { subject: "wake", body: "b", requester: { name: "Waker" } }) { id } }`,
      {},
      A.ownerToken,
    );
    // By seq: an answer slower than WEBHOOK_TIMEOUT_MS (a loaded machine) is a failed attempt, sent again.
    const seqs = () => [...new Set(r.received.map((x) => x.json.data.seq))];
    await until(() => r.received.length >= 1);
    await sleep(1000);
    expect(seqs()).toEqual([eventSeq + 1]);
    // The second lease runs out (moved, rather than waited for): the worker's next look finds it due.
    await app.database.prisma.webhookDelivery.updateMany({
      where: { endpointId, eventSeq: eventSeq + 2 },
      data: { nextAttemptAt: new Date(Date.now() - 1000) },
    });
    await until(() => seqs().length >= 2, 20_000, "the second lease to end");
    expect(seqs()).toEqual([eventSeq + 1, eventSeq + 2]);
    // The worker records a success once the answer is in: after the receiver has the POST.
    await until(async () => (await deliveries(A, ep.id)).every((d: any) => d.status === "SUCCEEDED"), 20_000, "both successes recorded");
    const log = await deliveries(A, ep.id);
    expect(log.map((d: any) => [d.eventSeq, d.status])).toEqual([
      [eventSeq + 2, "SUCCEEDED"],
      [eventSeq + 1, "SUCCEEDED"],
    ]);
    // Each counts the dead sender's attempt and at least the one that succeeded; every POST was one of them.
    expect(log.every((d: any) => d.attempts >= 2)).toBe(true);
    expect(r.received.length).toBeLessThanOrEqual(log.reduce((n: number, d: any) => n + d.attempts - 1, 0));
  });

  it("two instances over one database send each delivery once", async () => {
    const second = await startPeer(app.database, ENV);
    try {
      const r = await receiver();
      const ep = await endpoint(A, { url: r.url, eventTypes: ["TICKET_CREATED", "MESSAGE_ADDED"], selection: "seq" });
      for (let i = 0; i < 10; i++) await createTicket(A, `Burst ${i}`);
      await until(
        async () => (await deliveries(A, ep.id)).filter((d: any) => d.status === "SUCCEEDED").length === 20,
        60_000,
        "20 deliveries",
      );
      await sleep(800);
      expect(new Set(r.received.map((x) => x.headers["webhook-id"])).size).toBe(20);
      // Every POST is an attempt its delivery recorded: no instance sent one that another had leased. (On a loaded
      // machine an answer can take longer than WEBHOOK_TIMEOUT_MS; that attempt counts as failed and is retried.)
      const log = await deliveries(A, ep.id);
      expect(r.received.length).toBeLessThanOrEqual(log.reduce((n: number, d: any) => n + d.attempts, 0));
    } finally {
      await second.close();
    }
    // A second server and twenty deliveries: more than the default bound on a loaded machine.
  }, 120_000);
});

describe("tenant isolation", () => {
  it("B's endpoints never get A's events, and B cannot see or touch A's endpoints and deliveries", async () => {
    const ofA = await receiver();
    const ofB = await receiver();
    const a = await endpoint(A, { url: ofA.url, eventTypes: ["TICKET_CREATED"], selection: "seq ticket { subject }" });
    const b = await endpoint(B, { url: ofB.url, eventTypes: ["TICKET_CREATED"], selection: "seq ticket { subject }" });
    await createTicket(A, "A's private ticket");
    await until(() => ofA.received.length >= 1);
    await sleep(800);
    expect(ofB.received).toEqual([]);
    await createTicket(B, "B's own ticket");
    await until(() => ofB.received.length >= 1);
    expect(ofB.received.map((x) => x.json.data.ticket.subject)).toEqual(["B's own ticket"]);
    expect(ofA.received.map((x) => x.json.data.ticket.subject)).toEqual(["A's private ticket"]);

    const [delivery] = await deliveries(A, a.id);
    const listed = await app.gql(
      `{ webhookEndpoints { edges { node { id } } } webhookDeliveries { edges { node { id } } } }`,
      {},
      B.ownerToken,
    );
    expect(JSON.stringify(listed.data)).not.toContain(a.id);
    expect(JSON.stringify(listed.data)).not.toContain(delivery.id);
    expect(listed.data.webhookEndpoints.edges.map((e: any) => e.node.id)).toContain(b.id);
    expect(codes(await app.gql(DELIVERIES, { e: a.id }, B.ownerToken))).toEqual(["NOT_FOUND"]);
    for (const id of [a.id, delivery.id]) {
      expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, B.ownerToken)).data.node).toBeNull();
    }
    for (const [query, id] of [
      [`mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { url: "http://127.0.0.1:9/x" }) { id } }`, a.id],
      [`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, a.id],
      [`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, a.id],
      [`mutation($id: ID!) { resendWebhookDelivery(id: $id) { id } }`, delivery.id],
    ] as const) {
      expect(codes(await app.gql(query, { id }, B.ownerToken)), query).toEqual(["NOT_FOUND"]);
    }
    // A's endpoint is as it was.
    const still = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url signingSecrets { expiresAt } } } }`,
      { id: a.id },
      A.ownerToken,
    );
    expect(still.data.node).toEqual({ url: ofA.url, signingSecrets: [{ expiresAt: null }] });
  });
});
