import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { embeddedEnv, ROOT, tempDirs } from "./support/cli.js";
import { startVendor } from "./support/echo-plugin.js";
import { startOtlpCollector, type ExportedSpan, type OtlpCollector } from "./support/otlp-collector.js";
import { startReceiver, type Receiver } from "./support/webhooks.js";

/**
 * Tracing as an operator sees it in a trace backend: the app exports to a
 * collector on 127.0.0.1 that takes OTLP/HTTP JSON, as an OpenTelemetry
 * Collector does; the spans are read from what it received.
 */

const SERVER = 2;
const CLIENT = 3;

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const ancestors = (spans: ExportedSpan[], span: ExportedSpan): ExportedSpan[] => {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: ExportedSpan[] = [];
  for (let p = span.parentSpanId && byId.get(span.parentSpanId); p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined)
    chain.push(p);
  return chain;
};

async function until(what: string, done: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function webhookEndpoint(app: TestApp, t: TestTenant, url: string): Promise<void> {
  const key = await app.gql(
    `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
    { i: { name: "partner", scopes: ["TICKETS_READ"] } },
    t.ownerToken,
  );
  const created = await app.gql(
    `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }`,
    { i: { url, eventTypes: ["TICKET_CREATED"], selection: "seq type", apiKeyId: key.data.createApiKey.apiKey.id } },
    t.ownerToken,
  );
  expect(created.errors).toBeUndefined();
}

const ENV = {
  OTEL_SERVICE_NAME: "deskgraph-under-test",
  OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=s3cret%20key",
  // The partner's webhook endpoint is a receiver on 127.0.0.1.
  OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
  EVENT_POLL_MS: "200",
};

describe("with OTEL_EXPORTER_OTLP_ENDPOINT set", () => {
  let collector: OtlpCollector;
  let partner: Receiver;
  let vendor: Awaited<ReturnType<typeof startVendor>>;
  let app: TestApp | undefined;
  let t: TestTenant;
  let spans: ExportedSpan[];
  const traceId = hex(16);
  const callerSpanId = hex(8);
  // Personal data, in the variables and as a literal in the document: none of it may reach a span.
  const mark = hex(4);
  const person = { name: `Erika Mustermann ${mark}`, email: `erika.${mark}@example.org`, phone: "+49 151 23456789" };
  const subject = `Cannot sign in ${mark}`;
  const body = `My password for ${mark} stopped working`;
  const MUTATION = `mutation CreateTicket($requester: ContactInput!, $body: String!) {
    createTicket(input: { subject: "${subject}", body: $body, requester: $requester }) { id number }
  }`;
  let requestId: string | null;

  beforeAll(async () => {
    collector = await startOtlpCollector();
    partner = await startReceiver();
    vendor = await startVendor();
    app = await startApp({ ...ENV, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    t = await app.tenant();
    await webhookEndpoint(app, t, partner.url);
    // The test plugin sends each new message to its vendor, through the gateway.
    const settings = [
      { key: "endpoint", value: vendor.url },
      { key: "apiKey", value: "echo-key" },
    ];
    expect(
      (
        await app.gql(
          `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "test-echo", settings: $s) { settings { key } } }`,
          { s: settings },
          t.ownerToken,
        )
      ).errors,
    ).toBeUndefined();
    expect(
      (await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { enabled } }`, {}, t.ownerToken)).errors,
    ).toBeUndefined();
    const res = await app.gql(MUTATION, { requester: person, body }, t.ownerToken, { traceparent: `00-${traceId}-${callerSpanId}-01` });
    expect(res.errors).toBeUndefined();
    requestId = res.headers.get("x-request-id");
    // The ticket's first message reaches the plugin's hook after the commit.
    await until("the vendor call", () => vendor.received.length > 0);
    // Probes, as a load balancer sends them; /ready reads the database.
    const base = app.url.replace(/\/graphql$/, "");
    for (const probe of ["/health", "/ready"])
      expect((await fetch(`${base}${probe}`, { headers: { traceparent: `00-${hex(16)}-${hex(8)}-01` } })).status).toBe(200);
    await until("the webhook delivery", () => partner.received.length > 0);
    // Shutting down sends what the batch still holds.
    await app.close();
    app = undefined;
    spans = collector.spans();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await partner?.close();
    await vendor?.close();
    await collector?.close();
  });

  it("exports over OTLP/HTTP to <endpoint>/v1/traces, with the headers and service name configured", () => {
    expect(collector.requests.length).toBeGreaterThan(0);
    for (const r of collector.requests) {
      expect(r.path).toBe("/v1/traces");
      expect(r.headers["content-type"]).toMatch(/^application\/json/);
      expect(r.headers["x-collector-key"]).toBe("s3cret key");
    }
    expect(new Set(spans.map((s) => s.resource["service.name"]))).toEqual(new Set(["deskgraph-under-test"]));
  });

  it("continues the caller's trace: the request's span is a child of the traceparent it sent", () => {
    const http = spans.filter((s) => s.traceId === traceId && s.kind === SERVER);
    expect(http).toHaveLength(1);
    expect(http[0]).toMatchObject({ name: "POST /graphql", parentSpanId: callerSpanId });
    expect(http[0]!.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/graphql",
      "url.path": "/graphql",
      "http.response.status_code": 200,
      "deskgraph.request.id": requestId,
    });
  });

  it("spans the GraphQL operation under the request, with its name, type, document hash and tenant", () => {
    const [http] = spans.filter((s) => s.traceId === traceId && s.kind === SERVER);
    const operation = spans.find((s) => s.parentSpanId === http!.spanId && s.name === "mutation CreateTicket");
    expect(
      operation,
      spans
        .filter((s) => s.traceId === traceId)
        .map((s) => s.name)
        .join(", "),
    ).toBeDefined();
    expect(operation!.attributes).toEqual({
      "graphql.operation.type": "mutation",
      "graphql.operation.name": "CreateTicket",
      "deskgraph.graphql.document_sha256": createHash("sha256").update(MUTATION).digest("hex"),
      "deskgraph.tenant.id": t.id,
    });
  });

  it("has the database statements of the operation as its descendants", () => {
    const inTrace = spans.filter((s) => s.traceId === traceId);
    const operation = inTrace.find((s) => s.name === "mutation CreateTicket")!;
    const statements = inTrace.filter((s) => s.name === "prisma:client:db_query");
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const chain = ancestors(inTrace, statement);
      expect(chain.map((s) => s.spanId)).toContain(operation.spanId);
      expect(chain.at(-1)!.kind).toBe(SERVER);
      expect(statement.kind).toBe(CLIENT);
      expect(statement.attributes["db.system.name"]).toBe("postgresql");
    }
    // The ticket's own INSERT is among them, with placeholders instead of values.
    const inserts = statements
      .map((s) => String(s.attributes["db.query.text"]))
      .filter((q) => /INSERT INTO "?(public"?\.)?"?Ticket"?/.test(q));
    expect(inserts.length).toBeGreaterThan(0);
  });

  it("puts no personal data, variable or query text anywhere in the export", () => {
    const exported = collector.requests.map((r) => r.body).join("\n");
    for (const value of [person.name, person.email, person.phone, "4915123456789", subject, body, mark, "createTicket(input"]) {
      expect(exported, `the export contains ${value}`).not.toContain(value);
    }
  });

  it("traces a webhook delivery in a trace of its own, and sends the partner no trace context by default", () => {
    const delivery = spans.find((s) => s.name === "webhook delivery");
    expect(delivery).toBeDefined();
    expect(delivery!.parentSpanId || undefined).toBeUndefined();
    expect(delivery!.attributes).toMatchObject({ "deskgraph.tenant.id": t.id, "deskgraph.webhook.attempt": 1 });
    const post = spans.find((s) => s.parentSpanId === delivery!.spanId && s.kind === CLIENT && s.name === "POST");
    expect(post!.attributes).toMatchObject({
      "http.request.method": "POST",
      "server.address": "127.0.0.1",
      "http.response.status_code": 200,
    });
    expect(partner.received[0]!.headers.traceparent).toBeUndefined();
    expect(partner.received[0]!.headers.tracestate).toBeUndefined();
  });

  it("spans a vendor call through the plugin gateway, with its bookkeeping statements under it, and sends the vendor no trace context", () => {
    const calls = spans.filter((s) => s.name === "plugin test-echo assist");
    expect(calls).toHaveLength(vendor.received.length);
    const call = calls[0]!;
    expect(call.kind).toBe(CLIENT);
    expect(call.attributes).toEqual({
      "deskgraph.plugin.id": "test-echo",
      "deskgraph.plugin.operation": "assist",
      "deskgraph.plugin.purpose": "ai.assistance",
      "deskgraph.plugin.categories": ["user.content.message"],
      "deskgraph.plugin.outcome": "OK",
      "deskgraph.tenant.id": t.id,
    });
    // The call's record (PluginCall) is written inside its span.
    const statements = spans.filter((s) => s.name === "prisma:client:db_query" && ancestors(spans, s).includes(call));
    expect(statements.map((s) => String(s.attributes["db.query.text"])).some((q) => q.includes('"PluginCall"'))).toBe(true);
    for (const r of vendor.received) expect(r.headers.traceparent).toBeUndefined();
  });

  it("leaves probes out and starts no trace for background statements", () => {
    expect(spans.filter((s) => s.kind === SERVER).map((s) => s.attributes["url.path"])).not.toContain("/ready");
    expect(spans.filter((s) => s.kind === SERVER).map((s) => s.attributes["url.path"])).not.toContain("/health");
    // Every statement span belongs under a span of ours (a request, a delivery), never alone at the root.
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans.filter((s) => s.name.startsWith("prisma:")))
      expect(s.parentSpanId && ids.has(s.parentSpanId), s.name).toBeTruthy();
  });
});

describe("with WEBHOOK_TRACE_CONTEXT=true", () => {
  let collector: OtlpCollector;
  let partner: Receiver;
  let app: TestApp | undefined;
  beforeAll(async () => {
    collector = await startOtlpCollector();
    partner = await startReceiver();
    app = await startApp({ ...ENV, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/path`, WEBHOOK_TRACE_CONTEXT: "true" });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await partner?.close();
    await collector?.close();
  });

  it("sends the partner the traceparent of the delivery's POST span", async () => {
    const t = await app!.tenant();
    await webhookEndpoint(app!, t, partner.url);
    const res = await app!.gql(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
      { i: { subject: "s", body: "b", requester: { name: "R" } } },
      t.ownerToken,
    );
    expect(res.errors).toBeUndefined();
    await until("the webhook delivery", () => partner.received.length > 0);
    await app!.close();
    app = undefined;
    // The signal-specific endpoint is used as it is.
    expect(new Set(collector.requests.map((r) => r.path))).toEqual(new Set(["/custom/path"]));
    const post = collector.spans().find((s) => s.name === "POST" && s.kind === CLIENT);
    expect(post).toBeDefined();
    expect(partner.received[0]!.headers.traceparent).toBe(`00-${post!.traceId}-${post!.spanId}-01`);
  });
});

describe("without an endpoint", () => {
  const tempDir = tempDirs("deskgraph-tracing-");

  it("never loads the SDK: a server started without OTEL_* imports no OpenTelemetry SDK module", async () => {
    const dir = tempDir();
    const moduleLog = path.join(dir, "modules.txt");
    const env: Record<string, string | undefined> = {
      ...embeddedEnv(path.join(dir, "data")),
      PORT: "0",
      HOST: "127.0.0.1",
      MODULE_LOG: moduleLog,
    };
    for (const name of Object.keys(env)) if (name.startsWith("OTEL_")) delete env[name];
    const child = spawn(process.execPath, ["--import", "tsx", "--import", "./test/support/module-log.mjs", "src/main.ts", "serve"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on("data", (d) => {
          output += d;
          const m = /GraphQL(?: \+ GraphiQL)?: (http:\/\/\S+)/.exec(output);
          if (m) resolve(m[1]!);
        });
        child.stderr!.on("data", (d) => (output += d));
        void exited.then((code) => reject(new Error(`the server exited (${code}): ${output}`)));
      });
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", traceparent: `00-${hex(16)}-${hex(8)}-01` },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(await res.json()).toEqual({ data: { __typename: "Query" } });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    const modules = readFileSync(moduleLog, "utf8").split("\n");
    // The log works: the server's own modules are in it, the tracing interface among them.
    expect(modules.some((m) => m.endsWith("/src/observability/tracing.ts"))).toBe(true);
    expect(modules.some((m) => m.includes("/node_modules/graphql-yoga/"))).toBe(true);
    const sdk = modules.filter((m) =>
      /\/src\/observability\/tracing\/|@opentelemetry\/(sdk-|exporter-|otlp-|resources|instrumentation|context-async-hooks)|@prisma\/instrumentation/.test(
        m,
      ),
    );
    expect(sdk).toEqual([]);
  }, 120_000);

  it("sends nothing with OTEL_SDK_DISABLED=true, whatever endpoint is set", async () => {
    const collector = await startOtlpCollector();
    const app = await startApp({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    try {
      const t = await app.tenant();
      const res = await app.gql(`{ viewer { tenant { name } } }`, {}, t.ownerToken, { traceparent: `00-${hex(16)}-${hex(8)}-01` });
      expect(res.errors).toBeUndefined();
    } finally {
      await app.close();
      await collector.close();
    }
    expect(collector.requests).toEqual([]);
  }, 120_000);
});
