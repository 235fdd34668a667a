import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "graphql-ws";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { listenOnServer } from "../src/db/notifications.js";
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from "./support/private-postgres.js";
import { startReceiver, until, sleep, type Receiver } from "./support/webhooks.js";
import { freePort } from "./support/free-port.js";
import { SERVE_ARGS, SERVE_COMMAND } from "./support/serve-command.js";

/**
 * An operator's view of a database outage: Deskgraph runs as its own process
 * (`src/main.ts serve`) on a PostgreSQL server of the test's own, which the
 * test restarts, stops and starts under concurrent writes and an open
 * subscription. The shared PostgreSQL server is never touched.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const unavailable = privatePostgresUnavailable();
if (unavailable) console.warn(`\n*** test/database-restart.test.ts: the PostgreSQL restart tests are SKIPPED: ${unavailable} ***\n`);

interface ServerProcess {
  child: ChildProcess;
  /** Every line the process wrote (pino JSON lines and console lines). */
  lines: string[];
  /** Pino log records with this message. */
  logged(msg: string): Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Starts `src/main.ts serve` with this environment (nothing inherited that names a database or Redis). */
function serve(env: Record<string, string>): ServerProcess {
  const { DATABASE_URL: _d, REDIS_URL: _r, ELASTICSEARCH_URL: _e, ...inherited } = process.env;
  const child = spawn(SERVE_COMMAND, SERVE_ARGS, {
    cwd: ROOT,
    env: { ...inherited, NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = "";
    stream.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString("utf8")).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const logged = (msg: string) =>
    lines.flatMap((l) => {
      if (!l.startsWith("{")) return [];
      try {
        const record = JSON.parse(l) as Record<string, unknown>;
        return record.msg === msg ? [record] : [];
      } catch {
        return [];
      }
    });
  return { child, lines, logged, exited };
}

async function stopProcess(p: ServerProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null) return;
  p.child.kill("SIGTERM");
  const stopped = await Promise.race([p.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!stopped) p.child.kill("SIGKILL");
}

const find = (lines: string[], pattern: RegExp) => lines.map((l) => pattern.exec(l)).find(Boolean) ?? null;

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    // A request that hangs is a failure of its own: it shows up as a network outcome, never as a stuck test.
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] };
  return { status: res.status, retryAfter: res.headers.get("retry-after"), ...body };
}

const CREATE_TICKET = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id subject } }`;

describe.skipIf(unavailable)("a PostgreSQL outage under load", () => {
  let pgServer: PrivatePostgres;
  let server: ServerProcess;
  let dataDir: string;
  let url = "";
  let apiKey = "";
  let ownerPassword = "";
  const clients: Client[] = [];
  let receiver: Receiver;

  beforeAll(async () => {
    pgServer = await startPrivatePostgres();
    dataDir = mkdtempSync(path.join(tmpdir(), "deskgraph-outage-"));
    receiver = await startReceiver();
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await stopProcess(server);
    await receiver?.close();
    await pgServer?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("waits at start for a database that is not up yet, then serves", async () => {
    await pgServer.stop();
    server = serve({
      PORT: "0",
      DATA_DIR: dataDir,
      DATABASE_URL: pgServer.url(),
      DATABASE_STARTUP_WAIT_SECONDS: "300",
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "info",
      EVENT_POLL_MS: "200",
      OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32,::1",
      WEBHOOK_RETRY_BASE_MS: "200",
      WEBHOOK_RETRY_CAP_MS: "2000",
      WEBHOOK_TIMEOUT_MS: "5000",
    });
    const output = () => server.lines.slice(-30).join("\n");
    await until(
      () => server.logged("database not reachable yet; retrying").length >= 2 || server.child.exitCode !== null,
      120_000,
      "start-up retries",
    );
    expect(server.child.exitCode, output()).toBeNull();

    await pgServer.start();
    await until(
      () => !!find(server.lines, /Demo API key \(all scopes\): (dgk_\S+)/) || server.child.exitCode !== null,
      120_000,
      "the server to start",
    );
    expect(server.child.exitCode, output()).toBeNull();
    url = find(server.lines, /GraphQL(?: \+ GraphiQL)?: (http:\S+)/)![1]!;
    apiKey = find(server.lines, /Demo API key \(all scopes\): (dgk_\S+)/)![1]!;
    ownerPassword = find(server.lines, /sign in as owner@demo\.test \/ (\S+)/)![1]!;
    const r = await gql(url, `{ viewer { tenant { name } } }`, {}, apiKey);
    expect(r.data?.viewer.tenant.name).toBe("Demo Support");
  }, 300_000);

  it("restarts and stops under concurrent writes: the process lives, writes fail fast with SERVICE_UNAVAILABLE meanwhile, nothing acknowledged is lost, the subscription resumes without a gap", async () => {
    expect(url, "the server did not start").not.toBe("");
    const base = url.replace(/\/graphql$/, "");

    // A partner's webhook endpoint for new tickets: the webhook worker must resume too.
    const token = (
      await gql(url, `mutation($p: String!) { signIn(tenant: "demo", email: "owner@demo.test", password: $p) { token } }`, {
        p: ownerPassword,
      })
    ).data.signIn.token;
    const key = await gql(
      url,
      `mutation { createApiKey(input: { name: "partner", scopes: [TICKETS_READ] }) { apiKey { id } } }`,
      {},
      token,
    );
    const endpoint = await gql(
      url,
      `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }`,
      { i: { url: receiver.url, eventTypes: ["TICKET_CREATED"], selection: "seq ticketId", apiKeyId: key.data.createApiKey.apiKey.id } },
      token,
    );
    expect(endpoint.errors).toBeUndefined();

    // An open subscription from the head of the feed; it must never end or fail.
    const events: { seq: number; type: string; ticketId: string | null }[] = [];
    const subscriptionErrors: unknown[] = [];
    let closed: { code: number; reason: string } | undefined;
    const client = createClient({
      url: url.replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${apiKey}` },
      retryAttempts: 0,
      on: { closed: (e) => (closed = e as { code: number; reason: string }) },
    });
    clients.push(client);
    let subscribed = false;
    client.subscribe(
      { query: `subscription { ticketEvents { seq type ticketId } }` },
      {
        next: (r) => (r.errors ? subscriptionErrors.push(r.errors) : events.push(r.data!.ticketEvents as (typeof events)[number])),
        error: (e) => subscriptionErrors.push(e),
        complete: () => subscriptionErrors.push("completed"),
      },
    );
    client.on("connected", () => (subscribed = true));
    await until(() => subscribed, 30_000, "the subscription");
    // The subscription reads its starting point once it is open: a ticket it delivers says it is live.
    let first: { id: string; subject: string; at: number } | undefined;
    for (let n = 0; !first; n++) {
      const subject = `before-${n}`;
      const r = await gql(url, CREATE_TICKET, { i: { subject, body: "b", requester: { name: "R" } } }, apiKey);
      const id = r.data.createTicket.id as string;
      // Not delivered: it was committed before the subscription read its starting point; try another.
      const delivered = await until(() => events.some((e) => e.ticketId === id), 10_000).then(
        () => true,
        () => false,
      );
      if (delivered) first = { id, subject, at: Date.now() };
    }

    // Eight clients writing, each as fast as it is answered.
    const acked: { id: string; subject: string; at: number }[] = [first];
    const refused: { at: number; retryAfter: string | null }[] = [];
    const other: unknown[] = [];
    let stopping = false;
    const writer = async (w: number) => {
      for (let n = 0; !stopping; n++) {
        const subject = `w${w}-${n}`;
        try {
          const r = await gql(url, CREATE_TICKET, { i: { subject, body: `body ${subject}`, requester: { name: `R ${w}` } } }, apiKey);
          if (r.status === 200 && r.data?.createTicket) acked.push({ id: r.data.createTicket.id, subject, at: Date.now() });
          else if (r.status === 503 && r.errors?.[0]?.extensions?.code === "SERVICE_UNAVAILABLE")
            refused.push({ at: Date.now(), retryAfter: r.retryAfter });
          else other.push({ status: r.status, errors: r.errors });
          // A real client would wait Retry-After; a short wait here measures how soon service returns.
          if (r.status !== 200) await sleep(50);
        } catch (err) {
          other.push({ network: String(err) });
          await sleep(50);
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    const ackedAfter = (t: number) => acked.filter((a) => a.at > t).length;

    try {
      // 1. Restarts as an operator does them (`pg_ctlcluster … restart` is `pg_ctl restart -m fast`).
      // Several: whatever a restart leaks (pooled connections, say) adds up until nothing works.
      await until(() => acked.length >= 20, 60_000, "writes before the restart");
      for (let i = 0; i < 3; i++) {
        await pgServer.restart();
        const restarted = Date.now();
        await until(() => ackedAfter(restarted) >= 20 || server.child.exitCode !== null, 60_000, `writes after restart ${i + 1}`);
        expect(server.child.exitCode, server.lines.slice(-30).join("\n")).toBeNull();
      }

      // 2. A longer outage: stop, look at what clients get, start again.
      await pgServer.stop();
      const stoppedAt = Date.now();
      await until(() => refused.some((r) => r.at > stoppedAt), 60_000, "a write refused with SERVICE_UNAVAILABLE");
      const during = await gql(url, `{ viewer { tenant { name } } }`, {}, apiKey);
      expect(during.status).toBe(503);
      expect(during.retryAfter).toMatch(/^\d+$/);
      expect(during.errors?.map((e) => e.extensions?.code)).toEqual(["SERVICE_UNAVAILABLE"]);
      expect(during.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await ready.json()).toMatchObject({ status: "unavailable", database: "down" });
      expect((await fetch(`${base}/health`)).status).toBe(200);
      // A new WebSocket is told to come back later (1013), not refused (4403) or failed for good (4500).
      const lateCloses: number[] = [];
      const late = createClient({
        url: url.replace("http://", "ws://"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${apiKey}` },
        retryAttempts: 0,
        lazy: false,
        on: { closed: (e) => lateCloses.push((e as { code: number }).code) },
        onNonLazyError: () => {},
      });
      clients.push(late);
      await until(() => lateCloses.length > 0, 30_000, "the new socket to close");
      expect(lateCloses[0]).toBe(1013);
      await late.dispose();
      // Every writer has been refused at least once while the database was away: nobody hangs.
      const refusedBefore = refused.length;
      await until(() => refused.length >= refusedBefore + 8, 60_000, "more refused writes");
      // An outage of some seconds, not a blip: the server's probe backs off to its longest interval meanwhile.
      await sleep(3000);

      await pgServer.start();
      const back = Date.now();
      await until(() => ackedAfter(back) > 0, 60_000, "a successful write after the database is back");
      const firstWrite = acked.find((a) => a.at > back)!.at;
      let readyAt = 0;
      await until(
        async () => {
          const r = await fetch(`${base}/ready`);
          if (r.status === 200) readyAt = Date.now();
          return r.status === 200;
        },
        60_000,
        "/ready",
      );
      await until(() => ackedAfter(back) >= 40, 60_000, "writes after the outage");
      const outage = refused.filter((r) => r.at >= stoppedAt && r.at <= back);
      console.log(
        `[database-restart] PostgreSQL back (pg_ctl start returned) → first successful createTicket: ${firstWrite - back} ms; /ready 200 after ${readyAt - back} ms. ` +
          `During the ${back - stoppedAt} ms outage the 8 writers got ${outage.length} × HTTP 503 SERVICE_UNAVAILABLE (Retry-After: ${[...new Set(outage.map((r) => r.retryAfter))].join(", ")}) ` +
          `and nothing else; ${refused.length} refusals in all, ${acked.length} writes acknowledged.`,
      );
    } catch (err) {
      // What the server said is the first thing to read when this fails.
      throw new Error(`${(err as Error).message}\n--- server output, last 40 lines ---\n${server.lines.slice(-40).join("\n")}`, {
        cause: err,
      });
    } finally {
      stopping = true;
      await Promise.all(writers);
    }

    expect(other, "responses other than success or SERVICE_UNAVAILABLE").toEqual([]);
    expect(refused.every((r) => r.retryAfter !== null)).toBe(true);
    expect(server.child.exitCode).toBeNull();
    expect(server.lines.filter((l) => /Unhandled 'error' event|uncaught|UnhandledPromiseRejection/i.test(l))).toEqual([]);

    // No acknowledged write is missing.
    const db = new pg.Client({ connectionString: pgServer.url() });
    await db.connect();
    try {
      const { rows } = await db.query<{ subject: string }>(`SELECT "subject" FROM "Ticket" WHERE "subject" = ANY($1)`, [
        acked.map((a) => a.subject),
      ]);
      expect(new Set(rows.map((r) => r.subject)).size).toBe(acked.length);
    } finally {
      await db.end();
    }

    // The subscription stayed open and delivered every acknowledged ticket, in order, once, with no gap.
    const created = () => new Set(events.filter((e) => e.type === "TICKET_CREATED").map((e) => e.ticketId));
    await until(() => acked.every((a) => created().has(a.id)), 60_000, "every acknowledged ticket on the subscription");
    expect(subscriptionErrors).toEqual([]);
    expect(closed).toBeUndefined();
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));

    // The webhook worker came back too: every acknowledged ticket reached the partner.
    const delivered = () => new Set(receiver.received.map((r) => r.json?.data?.ticketId));
    await until(() => acked.every((a) => delivered().has(a.id)), 90_000, "a webhook for every acknowledged ticket");
  }, 600_000);

  it("the credential listener LISTENs again after a restart, saying it was down meanwhile", async () => {
    const log = pino({ level: "silent" });
    const states: string[] = [];
    const heard: string[] = [];
    const listener = await listenOnServer(
      pgServer.url(),
      "deskgraph_test",
      { message: (payload) => heard.push(payload), up: () => states.push("up"), down: () => states.push("down") },
      log,
      { heartbeatMs: 500, timeoutMs: 1000 },
    );
    const notify = async (payload: string) => {
      const c = new pg.Client({ connectionString: pgServer.url() });
      await c.connect();
      await c.query("SELECT pg_notify('deskgraph_test', $1)", [payload]);
      await c.end();
    };
    try {
      await until(() => states.at(-1) === "up", 30_000, "the listener to listen");
      await notify("one");
      await until(() => heard.includes("one"), 30_000, "a notification");

      await pgServer.stop();
      // Whoever relies on it (the credential cache) stops trusting what it heard.
      await until(() => states.at(-1) === "down", 30_000, "the listener to say it is down");

      await pgServer.start();
      await until(() => states.at(-1) === "up", 60_000, "the listener to listen again");
      await notify("two");
      await until(() => heard.includes("two"), 30_000, "a notification after the restart");
    } finally {
      await listener.close();
    }
  }, 120_000);
});

describe("a database that cannot be reached at start", () => {
  it("is retried for DATABASE_STARTUP_WAIT_SECONDS, then the process exits non-zero with a clear message", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), "deskgraph-unreachable-"));
    try {
      const p = serve({
        PORT: "0",
        DATA_DIR: dataDir,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/deskgraph`,
        DATABASE_STARTUP_WAIT_SECONDS: "2",
        ENCRYPTION_KEY: randomBytes(32).toString("base64"),
        LOG_LEVEL: "info",
      });
      const code = await Promise.race([p.exited, sleep(120_000).then(() => "still running" as const)]);
      if (code === "still running") p.child.kill("SIGKILL");
      expect(code, p.lines.join("\n")).toBe(1);
      expect(p.logged("database not reachable yet; retrying").length).toBeGreaterThanOrEqual(2);
      const message = p.lines.find((l) => l.startsWith("The database could not be reached"));
      expect(message, p.lines.join("\n")).toMatch(/ECONNREFUSED/);
      expect(message).toMatch(/DATABASE_STARTUP_WAIT_SECONDS/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
