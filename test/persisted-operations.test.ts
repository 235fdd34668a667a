import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig, ConfigError } from "../src/config.js";
import { loadManifest } from "../src/graphql/persisted-operations.js";
import { createTenant } from "../src/tenants/service.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

/** A manifest as graphql-codegen's client preset writes it (persisted-documents.json): { hash: document }. */
const TICKET_COUNT = "query TicketCount { tickets(first: 1) { totalCount } }";
const SIGN_IN =
  "mutation SignIn($tenant: String!, $email: String!, $password: String!) { signIn(tenant: $tenant, email: $email, password: $password) { token } }";
const hash = (document: string) => createHash("sha256").update(document).digest("hex");
const ID = hash(TICKET_COUNT);
const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-persisted-"));
const MANIFEST = path.join(dir, "persisted-documents.json");
writeFileSync(MANIFEST, JSON.stringify({ [ID]: TICKET_COUNT, [hash(SIGN_IN)]: SIGN_IN }));

/** A tenant whose owner signs in the way a client of a persisted-only server does: by documentId. */
async function tenantOn(app: TestApp, slug: string): Promise<{ id: string; ownerToken: string }> {
  const password = "correct horse battery staple";
  const email = `owner@${slug}.test`;
  const { tenant } = await createTenant(app.database, { name: slug, slug, owner: { email, name: "Owner", password } });
  const r = await post(app, { documentId: hash(SIGN_IN), variables: { tenant: slug, email, password } });
  if (!r.data?.signIn) throw new Error(`sign-in failed: ${JSON.stringify(r.errors)}`);
  return { id: tenant.id, ownerToken: r.data.signIn.token };
}

/** POSTs a body of our own (documentId is not a field TestApp.gql sends). */
async function post(app: TestApp, body: Record<string, unknown>, token?: string) {
  const res = await fetch(app.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, ...((await res.json()) as { data?: any; errors?: any[] }) };
}

describe("PERSISTED_OPERATIONS=allow", () => {
  let app: TestApp;
  let t: TestTenant;
  beforeAll(async () => {
    app = await startApp({ PERSISTED_OPERATIONS: "allow", PERSISTED_OPERATIONS_FILE: MANIFEST });
    t = await app.tenant();
  }, 120_000);
  afterAll(() => app?.close());

  it("runs an operation of the manifest by documentId, or by Apollo's persistedQuery extension", async () => {
    const byId = await post(app, { documentId: ID }, t.ownerToken);
    expect(byId.errors).toBeUndefined();
    expect(byId.data.tickets.totalCount).toBeTypeOf("number");
    const byExtension = await post(app, { extensions: { persistedQuery: { version: 1, sha256Hash: ID } } }, t.ownerToken);
    expect(byExtension.data.tickets.totalCount).toBeTypeOf("number");
  });

  it("still runs documents", async () => {
    const r = await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, t.ownerToken);
    expect(r.errors).toBeUndefined();
  });

  it("refuses an unknown id with PERSISTED_QUERY_NOT_FOUND", async () => {
    const r = await post(app, { documentId: "0".repeat(64) }, t.ownerToken);
    expect(r.status).toBe(400);
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
  });
});

describe("PERSISTED_OPERATIONS=require", () => {
  let app: TestApp;
  let t: TestTenant;
  let key: string;
  beforeAll(async () => {
    app = await startApp({ PERSISTED_OPERATIONS: "require", PERSISTED_OPERATIONS_FILE: MANIFEST, DESKGRAPH_MODE: "development" });
    t = (await tenantOn(app, `pq-dev-${Date.now()}`)) as TestTenant;
    key = await app.apiKey(t, ["TICKETS_READ"]);
  }, 120_000);
  afterAll(() => app?.close());

  it("runs operations of the manifest", async () => {
    const r = await post(app, { documentId: ID }, key);
    expect(r.errors).toBeUndefined();
    expect(r.data.tickets.totalCount).toBeTypeOf("number");
  });

  it("refuses documents of API keys and anonymous callers with PERSISTED_QUERY_REQUIRED, before anything runs", async () => {
    for (const token of [key, undefined]) {
      const r = await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, token);
      expect(r.status).toBe(400);
      expect(codes(r)).toEqual(["PERSISTED_QUERY_REQUIRED"]);
      expect(r.data).toBeUndefined();
    }
    const empty = await post(app, {}, key);
    expect(empty.errors?.map((e) => e.extensions?.code)).toEqual(["PERSISTED_QUERY_REQUIRED"]);
  });

  it("lets a signed-in agent send documents in development (GraphiQL)", async () => {
    const r = await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, t.ownerToken);
    expect(r.errors).toBeUndefined();
  });

  it("applies over WebSocket too", async () => {
    const client = createClient({
      url: app.url.replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
    try {
      const result = (query: string, extensions?: Record<string, unknown>) =>
        new Promise<any>((resolve, reject) => {
          let last: any;
          client.subscribe(
            { query, extensions },
            { next: (r) => (last = r), error: (e) => resolve({ errors: Array.isArray(e) ? e : [e] }), complete: () => resolve(last) },
          );
          setTimeout(() => reject(new Error("no answer")), 20_000).unref();
        });
      const refused = await result(`{ tickets(first: 1) { totalCount } }`);
      expect(refused.errors?.map((e: any) => e.extensions?.code)).toEqual(["PERSISTED_QUERY_REQUIRED"]);
      const ran = await result("", { persistedQuery: { version: 1, sha256Hash: ID } });
      expect(ran.data.tickets.totalCount).toBeTypeOf("number");
    } finally {
      await client.dispose();
    }
  });
});

describe("PERSISTED_OPERATIONS=require in production", () => {
  let app: TestApp;
  let t: TestTenant;
  beforeAll(async () => {
    app = await startApp({ PERSISTED_OPERATIONS: "require", PERSISTED_OPERATIONS_FILE: MANIFEST, DESKGRAPH_MODE: "production" });
    t = (await tenantOn(app, `pq-prod-${Date.now()}`)) as TestTenant;
  }, 120_000);
  afterAll(() => app?.close());

  it("refuses documents of signed-in agents too", async () => {
    const r = await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, t.ownerToken);
    expect(codes(r)).toEqual(["PERSISTED_QUERY_REQUIRED"]);
  });
});

describe("configuration", () => {
  it("needs a manifest, and a manifest of documents", () => {
    expect(() => loadConfig({ DATA_DIR: "memory://", PERSISTED_OPERATIONS: "require" })).toThrow(/PERSISTED_OPERATIONS_FILE/);
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ a: "query {", b: 3 }));
    expect(() => loadManifest(bad)).toThrow(ConfigError);
    expect(() => loadManifest(bad)).toThrow(/a: Syntax Error/);
  });
});
