import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { openDatabase, type Database } from "../../../src/db/database.js";
import { createServer, type RunningServer } from "../../../src/server.js";
import { createTenant } from "../../../src/tenants/service.js";
import { startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { ROOT } from "../../../test/support/cli.js";
import { until } from "../../../test/support/webhooks.js";
import { startDovecot, type Dovecot } from "./dovecot.js";
import { startSmtpSink } from "./smtp-sink.js";

/**
 * Replies that could not be sent at once: a temporary failure tried again
 * with a growing wait until the attempts are spent, and a reply whose server
 * process was killed after committing it as QUEUED and before the send
 * finished, sent once after the restart, by one of two instances. Real
 * Dovecot (to connect the mailbox) and an SMTP sink; the crash needs a
 * database that outlives a process, so that part runs on PostgreSQL
 * (DATABASE_URL) only.
 */
const started = await startDovecot();
const skipped = "skipped" in started ? started.skipped : null;
if (skipped) console.warn(`\n\n!!! plugins/email/test/send-retry.test.ts SKIPPED: ${skipped}\n\n`);
const dovecot = started as Dovecot;
const serverUrl = process.env.DATABASE_URL;
if (!skipped && !serverUrl)
  console.warn("send-retry.test.ts: the crash case is skipped, it needs DATABASE_URL (a database that outlives a process)");

const ENV = {
  OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
  EMAIL_ALLOW_PLAINTEXT: "true",
  EMAIL_POLL_SECONDS: "5",
  EMAIL_LEASE_SECONDS: "10",
  EMAIL_SEND_RETRY_SECONDS: "1",
  EMAIL_SEND_ATTEMPTS: "3",
};
const WAIT = 40_000;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;

beforeAll(async () => {
  if (!skipped) sink = await startSmtpSink((username) => dovecot.passwordOf(username));
});
afterAll(async () => {
  await sink?.close();
  if (!skipped) await dovecot.close();
});

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<any>;
const server = (port: number) => ({ host: "127.0.0.1", port, security: "NONE" });
let users = 0;

/** Enables the plugin and connects a mailbox at the Dovecot whose replies go to the sink. */
async function connect(gql: Gql) {
  await gql(`mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
  const user = await dovecot.addUser(`retry${++users}-${randomBytes(2).toString("hex")}`);
  await gql(`mutation($i: ConnectMailboxInput!) { connectMailbox(input: $i) { id } }`, {
    i: { address: user.address, passwordLogin: { imap: server(dovecot.port), smtp: server(sink.port), password: user.password } },
  });
}

/** An EMAIL ticket from a requester, and an agent's reply to it (addMessage waits for the plugin's first attempt). */
async function reply(gql: Gql, to: string) {
  const opened = await gql(
    `mutation($to: String!) { createTicket(input: { channel: EMAIL, subject: "About your order", body: "Where is it?",
      requester: { name: "Rae", email: $to } }) { id } }`,
    { to },
  );
  const added = await gql(
    `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "It left today." }) { id deliveryStatus deliveryError } }`,
    {
      id: opened.createTicket.id,
    },
  );
  return added.addMessage as { id: string; deliveryStatus: string | null; deliveryError: string | null };
}
const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;
const sentTo = (address: string) => sink.sent.filter((s) => s.to.includes(address));

describe.skipIf(skipped !== null)("a reply the SMTP server could not take", () => {
  let app: TestApp;
  let t: TestTenant;
  const gql: Gql = async (query, variables = {}) => {
    const r = await app.gql(query, variables, t.ownerToken);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data;
  };
  beforeAll(async () => {
    app = await startApp({ ENCRYPTION_KEY: randomBytes(32).toString("base64"), ...ENV });
    t = await app.tenant();
    await connect(gql);
  }, 60_000);
  afterAll(() => app?.close());

  const message = (id: string) => app.database.forTenant(t.id).message.findUniqueOrThrow({ where: { id } });
  it("is tried again after a temporary failure (451) and sent once, the failure shown meanwhile", async () => {
    sink.deferNext(1);
    const added = await reply(gql, "rae@customer.test");
    // The first attempt ran before the answer: QUEUED, and why it is still waiting.
    expect(added).toMatchObject({ deliveryStatus: "QUEUED", deliveryError: "SMTP_451" });
    const id = rawId(added.id);
    await until(async () => (await message(id)).deliveryStatus === "SENT", WAIT, "the second attempt");
    expect(await message(id)).toMatchObject({ deliveryStatus: "SENT", deliveryError: null });
    const sent = sentTo("rae@customer.test");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.parsed.messageId).toBe(`<${(await message(id)).externalId}>`);
    expect(await app.database.forTenant(t.id).emailOutbound.count()).toBe(0);
    const calls = await app.database
      .forTenant(t.id)
      .pluginCall.findMany({ where: { pluginId: "email", operation: "send" }, orderBy: { at: "asc" } });
    expect(calls.map((c) => c.outcome)).toEqual(["FAILED", "OK"]);
  }, 60_000);

  it("is FAILED once EMAIL_SEND_ATTEMPTS (3 here) are spent, and at once for a permanent refusal (5xx)", async () => {
    sink.deferNext(3);
    const id = rawId((await reply(gql, "sol@customer.test")).id);
    await until(async () => (await message(id)).deliveryStatus === "FAILED", WAIT, "the attempts to be spent");
    expect(await message(id)).toMatchObject({ deliveryStatus: "FAILED", deliveryError: "SMTP_451" });
    expect(sentTo("sol@customer.test")).toEqual([]);
    expect(await app.database.forTenant(t.id).emailOutbound.count()).toBe(0);

    sink.refuseNext(1);
    expect(await reply(gql, "una@customer.test")).toMatchObject({ deliveryStatus: "FAILED", deliveryError: "SMTP_550" });
    expect(await app.database.forTenant(t.id).emailOutbound.count()).toBe(0);
    const calls = await app.database
      .forTenant(t.id)
      .pluginCall.findMany({ where: { pluginId: "email", operation: "send", outcome: "FAILED" } });
    // One failed attempt before this test, three in it, then one for the refusal.
    expect(calls).toHaveLength(5);
  }, 60_000);
});

/** `deskgraph serve` in a child process; resolves with its GraphQL URL once it listens. */
async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const m = /GraphiQL: (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${output}`)));
  });
  return { child, url };
}

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

describe.skipIf(skipped !== null || !serverUrl)("a server killed between committing a reply and sending it", () => {
  const name = `deskgraph_mailcrash_${randomBytes(6).toString("hex")}`;
  let env: Record<string, string>;
  let database: Database;
  let child: ChildProcess | undefined;
  const restarted: RunningServer[] = [];

  beforeAll(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(serverUrl!);
    url.pathname = `/${name}`;
    env = {
      DATABASE_URL: url.toString(),
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      SEED_DEMO: "false",
      RETENTION_SWEEP_MINUTES: "0",
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      ...ENV,
    };
    database = await openDatabase(loadConfig(env));
    await database.migrate();
  }, 60_000);
  afterAll(async () => {
    child?.kill("SIGKILL");
    for (const s of restarted) await s.close();
    await database?.close();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });

  it("sends the reply once after the restart, from one of two instances", async () => {
    const password = "correct horse battery staple";
    const { tenant } = await createTenant(database, {
      name: "Crash",
      slug: "mailcrash",
      owner: { email: "owner@mailcrash.test", name: "Owner", password },
    });
    const first = await startChild(env);
    child = first.child;
    const post = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
      const res = await fetch(first.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: unknown[] };
    };
    const signIn = await post(`mutation { signIn(tenant: "mailcrash", email: "owner@mailcrash.test", password: "${password}") { token } }`);
    const token = signIn.data.signIn.token as string;
    const gql: Gql = async (query, variables) => {
      const r = await post(query, variables, token);
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      return r.data;
    };
    await connect(gql);

    // The reply is committed and claimed (QUEUED); its send reaches the SMTP server, which hangs; the process dies.
    const held = sink.holdNext();
    void reply(gql, "kim@customer.test").catch(() => {});
    await held;
    child.kill("SIGKILL");
    await once(child, "exit");
    child = undefined;

    const tdb = database.forTenant(tenant.id);
    const queued = await tdb.message.findFirstOrThrow({ where: { authorType: "AGENT" } });
    expect(queued.deliveryStatus).toBe("QUEUED");
    expect(await tdb.emailOutbound.findUniqueOrThrow({ where: { messageId: queued.id } })).toMatchObject({
      attempts: 1,
      leaseHolder: expect.any(String),
    });
    expect(sentTo("kim@customer.test")).toEqual([]);

    // Two instances start; once the dead one's lease lapses, one of them sends it.
    restarted.push(await createServer(loadConfig(env), { database }), await createServer(loadConfig(env), { database }));
    await until(
      async () => (await tdb.message.findUniqueOrThrow({ where: { id: queued.id } })).deliveryStatus === "SENT",
      WAIT,
      "the reply to be sent",
    );
    const sent = sentTo("kim@customer.test");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.parsed.messageId).toBe(`<${queued.externalId}>`);
    // Nothing is left on its way: neither instance can send it again.
    expect(await tdb.emailOutbound.count()).toBe(0);
    expect(await tdb.pluginCall.count({ where: { pluginId: "email", operation: "send", outcome: "OK" } })).toBe(1);
  }, 120_000);
});
