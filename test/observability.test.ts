import { randomUUID } from "node:crypto";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { until } from "./support/webhooks.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

/** Probes, metrics and access logs, as an operator's load balancer and Prometheus see them. */
const TOKEN = "metrics-token-0123456789";

let app: TestApp;
let base: string;
let t: TestTenant;
beforeAll(async () => {
  // The sequencer's safety-net sweep is slowed down: a row written behind its back stays unnumbered.
  app = await startApp({ METRICS_TOKEN: TOKEN, SEQUENCER_POLL_MS: "3600000" });
  base = app.url.replace(/\/graphql$/, "");
  t = await app.tenant();
}, 120_000);
afterAll(() => app?.close());

const scrape = async () => {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

/** The value of one sample, by metric name and labels as printed. */
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("probes", () => {
  it("/health answers 200 without touching the database", async () => {
    // Background loops keep querying meanwhile; statements of requests are counted apart.
    const before = app.database.queryCount;
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(app.database.queryCount).toBe(before);
  });

  it("/ready reports the database, migrations, the sequencer and the file storage", async () => {
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ready", database: "up", migrations: "applied", sequencer: "up", blobStore: "up" });
  });

  it("/ready is 503 naming the sequencer while a committed row waits for it too long", async () => {
    // A committed event that no sequencer numbered, written as if ten minutes ago (a stuck sequencer).
    const id = randomUUID();
    await app.database.prisma.$executeRaw`
      INSERT INTO "Event" ("id", "tenantId", "type", "createdAt") VALUES (${id}::uuid, ${t.id}::uuid, 'ticket.stuck', (now() AT TIME ZONE 'UTC') - interval '10 minutes')`;
    try {
      const res = await fetch(`${base}/ready`);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      const body = await res.json();
      expect(body).toMatchObject({ status: "unavailable", database: "up", sequencer: "stalled", notReady: ["sequencer"] });
      expect(body.sequencerLag.oldestSeconds).toBeGreaterThan(60);
      expect(sample(await scrape(), "deskgraph_sequencer_unsealed_rows")).toBeGreaterThanOrEqual(1);
    } finally {
      await app.database.prisma.$executeRaw`DELETE FROM "Event" WHERE "id" = ${id}::uuid`;
    }
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});

describe("/metrics", () => {
  it("is refused without the operator's token", async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${t.ownerToken}` } })).status).toBe(401);
  });

  it("counts and times operations by type and name, and errors by code", async () => {
    await app.gql(`query TicketCount { tickets(first: 1) { totalCount } }`, {}, t.ownerToken);
    await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, t.ownerToken);
    await app.gql(`query Unauthenticated { tickets(first: 1) { totalCount } }`);
    const text = await scrape();
    expect(sample(text, 'deskgraph_graphql_requests_total{operation_type="query",operation_name="TicketCount",status="200"}')).toBe(1);
    expect(sample(text, 'deskgraph_graphql_request_duration_seconds_count{operation_type="query",operation_name="TicketCount"}')).toBe(1);
    expect(
      sample(text, 'deskgraph_graphql_request_duration_seconds_count{operation_type="query",operation_name="anonymous"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'deskgraph_graphql_errors_total{code="UNAUTHENTICATED"}')).toBeGreaterThanOrEqual(1);
    // No query text and no tenant in any label.
    expect(text).not.toContain("totalCount");
    expect(text).not.toContain(t.slug);
  });

  it("counts WebSocket connections, the operations on them and the subscriptions open", async () => {
    const client = createClient({
      url: app.url.replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${t.ownerToken}` },
      retryAttempts: 0,
      lazy: false,
    });
    const open = "deskgraph_subscriptions_active";
    const connections = "deskgraph_websocket_connections";
    try {
      const answer = await new Promise<any>((resolve, reject) => {
        let last: any;
        client.subscribe(
          { query: "query SocketCount { tickets(first: 1) { totalCount } }" },
          { next: (r) => (last = r), error: reject, complete: () => resolve(last) },
        );
      });
      expect(answer.data.tickets.totalCount).toBeTypeOf("number");
      let received = 0;
      const stop = client.subscribe(
        { query: "subscription Watch { ticketEvents { type } }" },
        { next: () => received++, error: () => {}, complete: () => {} },
      );
      await until(async () => sample(await scrape(), open) === 1, 20_000, "the subscription to be counted");
      const text = await scrape();
      expect(sample(text, connections)).toBe(1);
      expect(sample(text, 'deskgraph_websocket_operations_total{operation_type="query",operation_name="SocketCount"}')).toBe(1);
      expect(sample(text, 'deskgraph_websocket_operations_total{operation_type="subscription",operation_name="Watch"}')).toBe(1);
      stop();
      await until(async () => sample(await scrape(), open) === 0, 20_000, "the completed subscription to be uncounted");
      // A socket that closes with a subscription still open leaves no count behind.
      client.subscribe(
        { query: "subscription Again { ticketEvents { type } }" },
        { next: () => received++, error: () => {}, complete: () => {} },
      );
      await until(async () => sample(await scrape(), open) === 1, 20_000, "the second subscription to be counted");
    } finally {
      await client.dispose();
    }
    await until(
      async () => {
        const text = await scrape();
        return sample(text, open) === 0 && sample(text, connections) === 0;
      },
      20_000,
      "the closed socket to be uncounted",
    );
  });

  it("reports queue depths, sequencer lag, the database and process metrics", async () => {
    const text = await scrape();
    for (const name of [
      "deskgraph_database_up",
      "deskgraph_webhook_deliveries_pending",
      "deskgraph_search_outbox_depth",
      "deskgraph_sequencer_unsealed_rows",
      "deskgraph_sequencer_oldest_unsealed_seconds",
      "process_cpu_user_seconds_total",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(sample(text, name), name).toBeTypeOf("number");
    }
    expect(sample(text, "deskgraph_database_up")).toBe(1);
    if (app.database.kind === "server") expect(text).toMatch(/deskgraph_db_pool_connections\{state="in_use"\} \d+/);
  });

  it("times each event from the write of its row to its numbering", async () => {
    const count = (text: string) => sample(text, "deskgraph_event_numbering_delay_seconds_count") ?? 0;
    const within30s = (text: string) => sample(text, 'deskgraph_event_numbering_delay_seconds_bucket{le="30"}') ?? 0;
    const before = await scrape();
    // An event written ten minutes before its commit, as a slow import's would be: counted, beyond 30 s.
    const id = randomUUID();
    await app.database.prisma.$executeRaw`
      INSERT INTO "Event" ("id", "tenantId", "type", "createdAt") VALUES (${id}::uuid, ${t.id}::uuid, 'ticket.slow', (now() AT TIME ZONE 'UTC') - interval '10 minutes')`;
    await app.sequenced(t);
    const afterSlow = await scrape();
    expect(count(afterSlow)).toBe(count(before) + 1);
    expect(within30s(afterSlow)).toBe(within30s(before));
    expect(
      sample(afterSlow, "deskgraph_event_numbering_delay_seconds_sum")! - sample(before, "deskgraph_event_numbering_delay_seconds_sum")!,
    ).toBeGreaterThan(590);
    // A ticket's event, numbered as its mutation commits: counted once, well within 30 s.
    const created = await app.gql(
      `mutation { createTicket(input: { subject: "Timed", body: "x", requester: { name: "Tim" } }) { id } }`,
      {},
      t.ownerToken,
    );
    expect(created.errors).toBeUndefined();
    await app.sequenced(t);
    const afterTicket = await scrape();
    expect(count(afterTicket)).toBeGreaterThan(count(afterSlow));
    expect(within30s(afterTicket) - within30s(afterSlow)).toBe(count(afterTicket) - count(afterSlow));
  });

  it("does not exist without METRICS_TOKEN", async () => {
    const other = await startApp();
    try {
      expect((await fetch(other.url.replace(/\/graphql$/, "/metrics"))).status).toBe(404);
    } finally {
      await other.close();
    }
  }, 120_000);
});

describe("the sequencer", () => {
  it("seals a read's access record soon on its own (the safety net is an hour away here)", async () => {
    const created = await app.gql(`mutation { createContact(input: { name: "Read Me" }) { id } }`, {}, t.ownerToken);
    expect(created.errors).toBeUndefined();
    const requestId = randomUUID();
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.ownerToken}`, "x-request-id": requestId },
      body: JSON.stringify({
        query: `query($id: ID!) { node(id: $id) { ... on Contact { name } } }`,
        variables: { id: created.data.createContact.id },
      }),
    });
    expect((await res.json()).data.node.name).toBe("Read Me");
    const sealed = () =>
      app.database.prisma.auditEntry.count({ where: { tenantId: t.id, requestId, action: "personalData.read", seq: { not: null } } });
    await until(async () => (await sealed()) === 1, 20_000, "the access record to be sealed");
  });
});
