import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/audit/verify.js";
import { loadConfig } from "../src/config.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { createServer, type RunningServer } from "../src/server.js";
import { createTenant } from "../src/tenants/service.js";

// A server process killed after its requests committed and before its sequencer numbered
// them: the next server numbers everything, with no gap and nothing lost. It needs a
// database that outlives a process, so it runs on the PostgreSQL server only.
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) console.warn("sequencer-crash.test.ts: skipped, it needs DATABASE_URL (a PostgreSQL server that outlives a process)");

const TICKETS = 8;

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** `npm start` in a child process; resolves with its GraphQL URL once it listens. */
async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /GraphiQL: (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${output}`)));
  });
  return { child, url };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string }[] };
}

describe.skipIf(!serverUrl)("a server killed between commit and sequencing", () => {
  const name = `deskgraph_crash_${randomBytes(6).toString("hex")}`;
  let env: Record<string, string>;
  let database: Database;
  let child: ChildProcess | undefined;
  let next: RunningServer | undefined;

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
    };
    database = await openDatabase(loadConfig(env));
    await database.migrate();
  });
  afterAll(async () => {
    child?.kill("SIGKILL");
    await next?.close();
    await database?.close();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });

  it("loses nothing: the next server numbers every committed event and audit entry, gap-free", async () => {
    const password = "correct horse battery staple";
    const { tenant } = await createTenant(database, {
      name: "Crash",
      slug: "crash",
      owner: { email: "owner@crash.test", name: "Owner", password },
    });

    // Hold the tenant's sequencer lock (its row), as a sequencer elsewhere would: the child's own waits behind it.
    const holder = new pg.Client({ connectionString: env.DATABASE_URL });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query(`SELECT 1 FROM "Tenant" WHERE "id" = $1::uuid FOR NO KEY UPDATE`, [tenant.id]);

    const started = await startChild(env);
    child = started.child;
    const signIn = await gql(
      started.url,
      `mutation { signIn(tenant: "crash", email: "owner@crash.test", password: "${password}") { token } }`,
    );
    const token = signIn.data.signIn.token as string;
    const created = await Promise.all(
      Array.from({ length: TICKETS }, (_, i) =>
        gql(
          started.url,
          `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id number } }`,
          { i: { subject: `Crash ${i}`, body: "b", requester: { name: `P${i}` } } },
          token,
        ),
      ),
    );
    expect(created.flatMap((r) => r.errors ?? [])).toEqual([]);

    // Acknowledged, committed, and not numbered yet.
    const unsealed = await database.prisma.event.count({ where: { tenantId: tenant.id, seq: null } });
    expect(unsealed).toBe(2 * TICKETS);
    expect(await database.prisma.auditEntry.count({ where: { tenantId: tenant.id, seq: null } })).toBeGreaterThanOrEqual(TICKETS);

    child.kill("SIGKILL");
    await once(child, "exit");
    child = undefined;
    await holder.query("ROLLBACK");
    await holder.end();

    // The next server numbers what the dead one left, on start.
    next = await createServer(loadConfig(env), { database });
    await next.sequenced();
    const events = await database.prisma.event.findMany({ where: { tenantId: tenant.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 2 * TICKETS }, (_, i) => i + 1));
    const ticketIds = created.map((r) => Buffer.from(r.data.createTicket.id, "base64").toString().split(":")[1]);
    for (const id of ticketIds) {
      const own = events.filter((e) => e.ticketId === id);
      expect(own.map((e) => e.type)).toEqual(["TICKET_CREATED", "MESSAGE_ADDED"]);
    }
    expect(await database.prisma.auditEntry.count({ where: { tenantId: tenant.id, seq: null } })).toBe(0);
    const createdEntries = await database.prisma.auditEntry.count({ where: { tenantId: tenant.id, action: "mutation.createTicket" } });
    expect(createdEntries).toBe(TICKETS);
    expect(await verifyAuditChain(database, tenant.id)).toMatchObject({ valid: true, firstInvalidSeq: null });
  });
});
