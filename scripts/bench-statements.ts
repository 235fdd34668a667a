// What one hand-written statement costs the server's thread through Prisma's client
// (`$queryRaw`) and sent past it (`database.sql`, src/db/direct-sql.ts): the statement of
// every simple `createTicket` (insertTicket: its number, the ticket, the first message, their
// events), the same text and values either way, on the embedded database and on server
// PostgreSQL, in alternating rounds.
//
//   npm run bench:statements -- --statements 2000 --rounds 3
//
// Per round and way: CPU of this process per statement (for the embedded database that
// includes the database's thread), wall time, and young-generation collections per thousand
// statements (what the allocation costs). One connection, one statement at a time.
// Server PostgreSQL is DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres; the bench
// creates a database of its own there and drops it at the end.
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createBenchDatabase } from "./bench/database.js";
import { intOption } from "./bench/options.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { createTenant } from "../src/tenants/service.js";
import { insertTicket, type NewTicket } from "../src/tickets/insert.js";
import type { CounterClient } from "../src/tickets/counter.js";

const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";

const { values: args } = parseArgs({
  options: { statements: { type: "string" }, rounds: { type: "string" }, backends: { type: "string" }, help: { type: "boolean" } },
});
if (args.help) {
  console.log("Usage: npm run bench:statements -- [--statements 2000] [--rounds 3] [--backends embedded,server]");
  process.exit(0);
}
const STATEMENTS = intOption(args.statements, "statements", 2000, 100, 20_000);
const ROUNDS = intOption(args.rounds, "rounds", 3, 1, 10);
const BACKENDS = (args.backends ?? "embedded,server").split(",").map((b) => b.trim());

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp() {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((e) => console.error("clean-up failed:", e));
}
process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));

let scavenges = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === 1) scavenges++;
}).observe({ entryTypes: ["gc"] });

interface Figures {
  cpuMicros: number;
  wallMicros: number;
  scavengesPerThousand: number;
}

async function run(client: CounterClient, ticket: (n: number) => NewTicket, count: number): Promise<Figures> {
  const cpu = process.cpuUsage();
  const since = scavenges;
  const start = performance.now();
  for (let n = 0; n < count; n++) {
    if (!(await insertTicket(client, ticket(n)))) throw new Error("the insert refused its requester");
  }
  const wall = performance.now() - start;
  // Collections are reported a moment after they end.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const used = process.cpuUsage(cpu);
  return {
    cpuMicros: (used.user + used.system) / count,
    wallMicros: (wall * 1000) / count,
    scavengesPerThousand: ((scavenges - since) * 1000) / count,
  };
}

async function measureOn(label: string, database: Database) {
  await database.migrate();
  const { tenant } = await createTenant(database, {
    name: "Statements",
    slug: `statements-${Date.now()}`,
    owner: { email: "owner@example.com", name: "Owner", password: "a long enough password" },
  });
  const contact = await database.prisma.contact.create({ data: { tenantId: tenant.id, name: "Ann", email: "ann@example.com" } });
  const ticket = (n: number): NewTicket => ({
    tenantId: tenant.id,
    subject: `Cannot sign in after the update (#${n})`,
    priority: "NORMAL",
    channel: "API",
    requesterId: contact.id,
    assigneeId: null,
    body: "Hello, since this morning none of our agents can sign in. The error says the session expired.",
    author: { authorType: "CONTACT", authorContactId: contact.id },
  });
  const ways: [string, CounterClient][] = [
    ["through Prisma ($queryRaw)", database.prisma],
    ["past Prisma (database.sql)", database.sql],
  ];
  // Warm both ways up (plans, code), unmeasured.
  for (const [, client] of ways) await run(client, ticket, Math.min(500, STATEMENTS));
  const results = new Map<string, Figures[]>(ways.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...ways].reverse() : ways;
    for (const [name, client] of order) results.get(name)!.push(await run(client, ticket, STATEMENTS));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n${label}: insertTicket, ${STATEMENTS} statements a round, ${ROUNDS} rounds (medians)`);
  console.log("way                            CPU µs/stmt  wall µs/stmt  scavenges/1000");
  const base = median(results.get(ways[0]![0])!.map((f) => f.cpuMicros));
  for (const [name] of ways) {
    const figures = results.get(name)!;
    const cpu = median(figures.map((f) => f.cpuMicros));
    console.log(
      `${name.padEnd(30)} ${cpu.toFixed(0).padStart(11)}  ${median(figures.map((f) => f.wallMicros))
        .toFixed(0)
        .padStart(12)}  ${median(figures.map((f) => f.scavengesPerThousand))
        .toFixed(1)
        .padStart(14)}   ${(cpu / base).toFixed(2)}× the CPU`,
    );
  }
}

try {
  if (BACKENDS.includes("embedded")) {
    const database = await openDatabase({ dataDir: "memory://" });
    try {
      await measureOn("Embedded PGlite", database);
    } finally {
      await database.close();
    }
  }
  if (BACKENDS.includes("server")) {
    const created = await createBenchDatabase(process.env.DATABASE_URL ?? DEFAULT_SERVER_URL, "deskgraph_statements", cleanups);
    if ("unreachable" in created) {
      console.log(`\nServer PostgreSQL: skipped, ${created.unreachable}`);
    } else {
      const database = await openDatabase({ dataDir: "memory://", databaseUrl: created.url, databasePoolSize: 1 });
      try {
        await measureOn(`Server PostgreSQL ${created.version}`, database);
      } finally {
        await database.close();
      }
    }
  }
} finally {
  await cleanUp();
}
