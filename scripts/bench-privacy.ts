// Time and memory of a data export (build + download) and of an erasure, for one
// contact with a long history, on the embedded database (PGlite, on disk as in
// production) and on server PostgreSQL, side by side in one run.
//
//   npm run bench:privacy -- --messages 10000 --tickets 1000
//
// Each backend gets a fresh tenant seeded with createMany, then the real server
// (createServer) on 127.0.0.1: requests are filed and completed over GraphQL and the
// export is fetched through its signed link, as a client would. Memory is the whole
// process (server, bench and, for PGlite, the database itself), sampled every 5 ms.
// Server PostgreSQL is DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres;
// the bench creates a database of its own there and drops it at the end.
import { createBenchDatabase } from "./bench/database.js";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { createServer } from "../src/server.js";
import { createTenant } from "../src/tenants/service.js";
import { setTicketCounter } from "../src/tickets/counter.js";
import { gql } from "./bench/http.js";

const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";

const { values: args } = parseArgs({
  options: { messages: { type: "string" }, tickets: { type: "string" }, backends: { type: "string" }, help: { type: "boolean" } },
});
if (args.help) {
  console.log(`Usage: npm run bench:privacy -- [--messages 10000] [--tickets 1000] [--backends embedded,server]`);
  process.exit(0);
}
const MESSAGES = Number(args.messages ?? 10_000);
const TICKETS = Number(args.tickets ?? 1_000);
if (!Number.isInteger(MESSAGES) || !Number.isInteger(TICKETS) || TICKETS < 1 || MESSAGES < TICKETS || MESSAGES > 200_000) {
  console.error("--messages must be an integer from --tickets to 200000, --tickets at least 1");
  process.exit(2);
}
const BACKENDS = (args.backends ?? "embedded,server").split(",").map((b) => b.trim());

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp() {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((e) => console.error("clean-up failed:", e));
}
process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));

// ---- measuring ----

interface Measure {
  ms: number;
  peakRss: number;
  peakHeap: number;
  startRss: number;
  startHeap: number;
}

/** Runs fn while sampling memory; peaks include whatever was already resident. */
async function measure<T>(fn: () => Promise<T>): Promise<[T, Measure]> {
  const start = process.memoryUsage();
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 5);
  const t0 = performance.now();
  try {
    const result = await fn();
    sample();
    return [result, { ms: performance.now() - t0, peakRss, peakHeap, startRss: start.rss, startHeap: start.heapUsed }];
  } finally {
    clearInterval(timer);
  }
}

// ---- seeding ----

const NAME = "Bianca Benchmark";
const EMAIL = "bianca.benchmark@example.com";
const PHONE = "+33612345678";
const FILLER = "The printer on the third floor shows error 0x3F again after the firmware update; restarting did not help. ";

/** One contact with `TICKETS` tickets and `MESSAGES` messages on them, plus a bystander whose messages mention her. */
async function seed(database: Database) {
  const password = "bench password long enough";
  const slug = `bench-${randomBytes(3).toString("hex")}`;
  const { tenant, owner } = await createTenant(database, {
    name: "Bench",
    slug,
    owner: { email: `owner@${slug}.test`, name: "Owner", password },
  });
  const db = database.forTenant(tenant.id);
  const contact = await db.contact.create({ data: { tenantId: tenant.id, name: NAME, email: EMAIL, phone: PHONE, locale: "fr" } });
  const bystander = await db.contact.create({ data: { tenantId: tenant.id, name: "Bruno Bystander", email: "bruno@example.com" } });
  const base = Date.UTC(2024, 0, 1);
  const tickets = Array.from({ length: TICKETS }, (_, i) => ({
    id: randomUUID(),
    tenantId: tenant.id,
    number: i + 1,
    subject: i % 50 === 0 ? `Call back ${NAME}` : `Printer problem #${i + 1}`,
    requesterId: contact.id,
    createdAt: new Date(base + i * 3_600_000),
  }));
  for (let i = 0; i < tickets.length; i += 1000) await db.ticket.createMany({ data: tickets.slice(i, i + 1000) });
  const other = await db.ticket.create({
    data: { tenantId: tenant.id, number: TICKETS + 1, subject: "Bruno's question", requesterId: bystander.id },
  });
  await setTicketCounter(db, tenant.id, TICKETS + 1);

  const perTicket = Math.floor(MESSAGES / TICKETS);
  const messages = [];
  for (let m = 0; m < MESSAGES; m++) {
    const ticket = tickets[Math.min(Math.floor(m / perTicket), TICKETS - 1)]!;
    const k = m % perTicket;
    // Half from her, most of the rest public agent replies (some naming her), one internal note per ticket.
    const fromHer = k % 2 === 0;
    const note = k === perTicket - 1;
    messages.push({
      tenantId: tenant.id,
      ticketId: ticket.id,
      authorType: fromHer ? ("CONTACT" as const) : ("AGENT" as const),
      authorContactId: fromHer ? contact.id : null,
      authorAgentId: fromHer ? null : owner.id,
      internal: !fromHer && note,
      body: fromHer ? FILLER : k % 3 === 1 ? `Hello ${NAME}, we will write to ${EMAIL}. ${FILLER}` : FILLER,
      channel: "EMAIL" as const,
      createdAt: new Date(ticket.createdAt.getTime() + k * 60_000),
    });
  }
  for (let i = 0; i < messages.length; i += 2000) await db.message.createMany({ data: messages.slice(i, i + 2000) });
  await db.message.createMany({
    data: Array.from({ length: 100 }, (_, i) => ({
      tenantId: tenant.id,
      ticketId: other.id,
      authorType: "CONTACT" as const,
      authorContactId: bystander.id,
      body: `My colleague ${NAME} (${PHONE}) had the same problem, case ${i}.`,
      channel: "EMAIL" as const,
    })),
  });
  return { tenantId: tenant.id, slug, ownerEmail: `owner@${slug}.test`, password, contactId: contact.id };
}

// ---- one backend ----

interface Row {
  backend: string;
  step: string;
  m: Measure;
  note: string;
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

async function benchBackend(backend: string, databaseUrl?: string): Promise<Row[]> {
  const dataDir = databaseUrl ? "memory://" : mkdtempSync(path.join(os.tmpdir(), "deskgraph-bench-privacy-"));
  if (!databaseUrl) cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    RETENTION_SWEEP_MINUTES: "0",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const database = await openDatabase(config);
  cleanups.push(() => database.close());
  await database.migrate();
  const server = await createServer(config, { database });
  cleanups.push(() => server.close());

  const t0 = performance.now();
  const s = await seed(database);
  console.log(
    `[${backend}] seeded ${TICKETS} tickets and ${MESSAGES} messages for one contact in ${Math.round(performance.now() - t0)} ms`,
  );
  const signIn = await gql(
    server.url,
    null,
    `mutation($t: String!, $e: String!, $p: String!) { signIn(tenant: $t, email: $e, password: $p) { token } }`,
    {
      t: s.slug,
      e: s.ownerEmail,
      p: s.password,
    },
  );
  const token: string = signIn.signIn.token;
  const contact = globalId("Contact", s.contactId);
  const fileAndComplete = async (type: string) => {
    const filed = await gql(
      server.url,
      token,
      `mutation($c: ID!, $t: DataSubjectRequestType!) { fileDataSubjectRequest(input: { contactId: $c, type: $t }) { id } }`,
      {
        c: contact,
        t: type,
      },
    );
    return (
      await gql(server.url, token, `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { receipt export { url } } }`, {
        id: filed.fileDataSubjectRequest.id,
      })
    ).completeDataSubjectRequest;
  };

  const rows: Row[] = [];
  const [access, build] = await measure(() => fileAndComplete("ACCESS"));
  rows.push({
    backend,
    step: "export: build",
    m: build,
    note: `${access.receipt.counts.messages} messages, ${(access.receipt.bytes / 1024).toFixed(0)} KiB gzip`,
  });

  const [downloaded, dl] = await measure(async () => {
    const res = await fetch(access.export.url, { headers: { "accept-encoding": "gzip" } });
    if (res.status !== 200) throw new Error(`download: HTTP ${res.status}`);
    const text = await res.text();
    return { bytes: Buffer.byteLength(text), messages: (JSON.parse(text) as { messages: unknown[] }).messages.length };
  });
  if (downloaded.messages !== access.receipt.counts.messages) throw new Error("the download does not hold every message");
  rows.push({ backend, step: "export: download", m: dl, note: `${(downloaded.bytes / 1024 / 1024).toFixed(1)} MiB JSON, parsed` });

  const [erasure, erase] = await measure(() => fileAndComplete("ERASURE"));
  const c = erasure.receipt.counts;
  rows.push({
    backend,
    step: "erasure",
    m: erase,
    note: `${c.messagesRedacted} redacted, ${c.subjectsScrubbed} subjects + ${c.bodiesScrubbed} bodies scrubbed, leftovers ${erasure.receipt.verification.leftovers}`,
  });
  if (erasure.receipt.verification.leftovers !== 0) throw new Error("the erasure left identifiers behind");
  return rows;
}

// ---- main ----

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
const all: Row[] = [];
try {
  for (const backend of BACKENDS) {
    // Each backend's server and database are closed before the next starts, so its memory is its own.
    await cleanUp();
    if (backend === "embedded") all.push(...(await benchBackend("embedded (PGlite)")));
    else if (backend === "server") {
      const target = await createBenchDatabase(process.env.DATABASE_URL ?? DEFAULT_SERVER_URL, "deskgraph_bench_privacy", cleanups);
      if ("unreachable" in target) console.log(`[server] skipped: PostgreSQL unreachable (${target.unreachable})`);
      else all.push(...(await benchBackend("server PostgreSQL", target.url)));
    } else console.log(`unknown backend ${backend}; use embedded and/or server`);
  }
} finally {
  await cleanUp();
}

console.log(
  `\nOne contact, ${TICKETS} tickets, ${MESSAGES} messages · Node ${process.version} · ${os.cpus()[0]?.model ?? "?"} ×${os.cpus().length}\n`,
);
console.log("| backend | step | time | peak RSS (start) | peak heap (start) | notes |");
console.log("| --- | --- | ---: | ---: | ---: | --- |");
for (const r of all) {
  console.log(
    `| ${r.backend} | ${r.step} | ${(r.m.ms / 1000).toFixed(2)} s | ${mib(r.m.peakRss)} (${mib(r.m.startRss)}) | ${mib(r.m.peakHeap)} (${mib(r.m.startHeap)}) | ${r.note} |`,
  );
}
