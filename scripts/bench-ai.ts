// AI assistance figures: the local provider's latency on a tenant of many tickets,
// its training time and memory, and the pseudonymisation's throughput and recall on
// a labelled set of messages in five languages.
//
//   npm run bench:ai -- --tickets 10000 --requests 200 --messages 1000
//
// The tenant is seeded with createMany on the embedded database (in memory), then
// the real server (createServer) on 127.0.0.1 answers classifyTicket,
// summarizeTicket and suggestReply over GraphQL, one request at a time, as a client
// would. Memory is the whole process, sampled every 5 ms while the model trains.
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Pseudonymiser } from "../src/ai/pseudonymise/pseudonymiser.js";
import { loadConfig } from "../src/config.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { createServer } from "../src/server.js";
import { createTenant } from "../src/tenants/service.js";
import { setTicketCounter } from "../src/tickets/counter.js";
import { labelledMessages } from "./bench/ai-messages.js";
import { gql } from "./bench/http.js";

const { values: args } = parseArgs({
  options: { tickets: { type: "string" }, requests: { type: "string" }, messages: { type: "string" }, help: { type: "boolean" } },
});
if (args.help) {
  console.log("Usage: npm run bench:ai -- [--tickets 10000] [--requests 200] [--messages 1000]");
  process.exit(0);
}
const TICKETS = Number(args.tickets ?? 10_000);
const REQUESTS = Number(args.requests ?? 200);
const MESSAGES = Number(args.messages ?? 1_000);
if (![TICKETS, REQUESTS, MESSAGES].every(Number.isInteger) || TICKETS < 50 || TICKETS > 100_000 || REQUESTS < 10 || REQUESTS > 5_000) {
  console.error("--tickets must be from 50 to 100000, --requests from 10 to 5000");
  process.exit(2);
}
if (MESSAGES < 200 || MESSAGES > 100_000) {
  console.error("--messages must be from 200 to 100000 (the recall figure needs at least 200 labelled messages)");
  process.exit(2);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

// ---- seeding ----

const TOPICS = [
  {
    tag: "billing",
    words: "invoice charged twice refund payment card amount VAT receipt",
    reply: "We refunded the double charge on your invoice.",
  },
  {
    tag: "login",
    words: "login password reset account locked sign in two-factor code",
    reply: "Your account is unlocked; please reset your password.",
  },
  {
    tag: "shipping",
    words: "parcel delivery tracking courier late address package",
    reply: "Your parcel is on its way; here is the tracking link.",
  },
  {
    tag: "bug",
    words: "error crash page broken button export fails upload",
    reply: "Thanks for the report; the fix ships with the next release.",
  },
];
const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"] as const;

async function seed(database: Database) {
  const slug = `bench-ai-${randomBytes(3).toString("hex")}`;
  const password = "bench password long enough";
  const { tenant, owner } = await createTenant(database, {
    name: "Bench AI",
    slug,
    owner: { email: `owner@${slug}.test`, name: "Owner", password },
  });
  const db = database.forTenant(tenant.id);
  const tags = await Promise.all(TOPICS.map((t) => db.tag.create({ data: { tenantId: tenant.id, name: t.tag } })));
  const contacts = Array.from({ length: Math.ceil(TICKETS / 5) }, (_, i) => ({
    id: randomUUID(),
    tenantId: tenant.id,
    name: `Customer ${i}`,
    email: `customer${i}@example.com`,
  }));
  for (let i = 0; i < contacts.length; i += 2000) await db.contact.createMany({ data: contacts.slice(i, i + 2000) });
  const tickets = [];
  const messages = [];
  const ticketTags = [];
  for (let i = 0; i < TICKETS; i++) {
    const topic = TOPICS[i % TOPICS.length]!;
    const words = topic.words.split(" ");
    const id = randomUUID();
    const solved = i % 2 === 0;
    tickets.push({
      id,
      tenantId: tenant.id,
      number: i + 1,
      subject: `${words[i % words.length]} ${words[(i + 3) % words.length]} problem`,
      requesterId: contacts[i % contacts.length]!.id,
      priority: PRIORITIES[(i + (i % TOPICS.length)) % PRIORITIES.length]!,
      status: solved ? ("SOLVED" as const) : ("OPEN" as const),
      solvedAt: solved ? new Date() : null,
    });
    ticketTags.push({ tenantId: tenant.id, ticketId: id, tagId: tags[i % TOPICS.length]!.id });
    const body = `Hello, ${words.slice(0, 4 + (i % 4)).join(" ")}. My ${words[(i + 1) % words.length]} has a ${words[(i + 2) % words.length]} issue since yesterday, please help.`;
    messages.push({
      tenantId: tenant.id,
      ticketId: id,
      authorType: "CONTACT" as const,
      authorContactId: contacts[i % contacts.length]!.id,
      body,
      channel: "EMAIL" as const,
    });
    if (solved)
      messages.push({
        tenantId: tenant.id,
        ticketId: id,
        authorType: "AGENT" as const,
        authorAgentId: owner.id,
        body: `Hello Customer ${i % contacts.length}, ${topic.reply}`,
        channel: "EMAIL" as const,
      });
  }
  for (let i = 0; i < tickets.length; i += 2000) await db.ticket.createMany({ data: tickets.slice(i, i + 2000) });
  for (let i = 0; i < ticketTags.length; i += 5000) await db.ticketTag.createMany({ data: ticketTags.slice(i, i + 5000) });
  for (let i = 0; i < messages.length; i += 2000) await db.message.createMany({ data: messages.slice(i, i + 2000) });
  await setTicketCounter(db, tenant.id, TICKETS);
  return {
    tenantId: tenant.id,
    slug,
    email: `owner@${slug}.test`,
    password,
    openTicketIds: tickets.filter((t) => t.status === "OPEN").map((t) => t.id),
  };
}

// ---- the local provider ----

async function benchLocalProvider() {
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: "memory://",
    LOG_LEVEL: "silent",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    RETENTION_SWEEP_MINUTES: "0",
    AI_TRAINING_MAX_TICKETS: String(TICKETS),
  });
  const database = await openDatabase(config);
  await database.migrate();
  const server = await createServer(config, { database });
  try {
    const t0 = performance.now();
    const s = await seed(database);
    console.log(`seeded ${TICKETS} tickets in ${Math.round(performance.now() - t0)} ms`);
    const token = (
      await gql(
        server.url,
        null,
        `mutation($t: String!, $e: String!, $p: String!) { signIn(tenant: $t, email: $e, password: $p) { token } }`,
        {
          t: s.slug,
          e: s.email,
          p: s.password,
        },
      )
    ).signIn.token as string;

    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 5);
    const trainStart = performance.now();
    await server.trainAi(s.tenantId);
    const trainMs = performance.now() - trainStart;
    clearInterval(sampler);
    const after = process.memoryUsage();

    const operations = {
      classifyTicket: `mutation($id: ID!) { classifyTicket(ticketId: $id) { classification { priority { value } } } }`,
      summarizeTicket: `mutation($id: ID!) { summarizeTicket(ticketId: $id) { text } }`,
      suggestReply: `mutation($id: ID!) { suggestReply(ticketId: $id) { text } }`,
    };
    const rows: string[][] = [];
    for (const [name, query] of Object.entries(operations)) {
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const id = Buffer.from(`Ticket:${s.openTicketIds[i % s.openTicketIds.length]}`).toString("base64");
        const start = performance.now();
        await gql(server.url, token, query, { id });
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      rows.push([name, String(REQUESTS), quantile(times, 0.5).toFixed(1), quantile(times, 0.99).toFixed(1)]);
    }
    console.log(`\nLocal provider on a tenant of ${TICKETS} tickets (embedded database, one request at a time)\n`);
    console.log("| operation | requests | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |");
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
    console.log(`\n| training | value |\n| --- | ---: |`);
    console.log(`| time | ${Math.round(trainMs)} ms |`);
    console.log(`| heap after − before | ${mb(after.heapUsed - before.heapUsed)} |`);
    console.log(`| peak heap during training − before | ${mb(peakHeap - before.heapUsed)} |`);
    console.log(`| peak RSS during training − before | ${mb(peakRss - before.rss)} |`);
  } finally {
    await server.close();
    await database.close();
  }
}

// ---- pseudonymisation ----

function benchPseudonymisation() {
  const messages = labelledMessages(MESSAGES);
  let total = 0;
  let replaced = 0;
  let knownTotal = 0;
  let knownMissed = 0;
  const missedExamples: string[] = [];
  for (const m of messages) {
    const out = new Pseudonymiser(m.people, { regions: ["DE", "FR", "NL", "ES", "GB"] }).pseudonymise(m.text);
    for (const id of m.identifiers) {
      total++;
      const kept = out.toLowerCase().includes(id.value.toLowerCase());
      if (!kept) replaced++;
      if (id.known) knownTotal++;
      if (kept && id.known) knownMissed++;
      if (kept && missedExamples.length < 5) missedExamples.push(`${m.language}: ${id.value}`);
    }
  }
  // Throughput: each message with a session of its own, as a call does.
  const rounds = Math.max(1, Math.round(5000 / messages.length));
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const m of messages) new Pseudonymiser(m.people, { regions: ["DE", "FR", "NL", "ES", "GB"] }).pseudonymise(m.text);
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `\nPseudonymisation on ${messages.length} labelled messages in 5 languages (${total} identifiers, ${knownTotal} known to the database)\n`,
  );
  console.log("| figure | value | goal |\n| --- | ---: | ---: |");
  console.log(`| identifiers replaced | ${((100 * replaced) / total).toFixed(2)} % | ≥ 99 % |`);
  console.log(`| database-known identifiers missed | ${knownMissed} | 0 |`);
  console.log(`| throughput | ${Math.round((rounds * messages.length) / seconds)} messages/s | |`);
  if (missedExamples.length) console.log(`\nmissed, for instance: ${missedExamples.join("; ")}`);
}

benchPseudonymisation();
await benchLocalProvider();
