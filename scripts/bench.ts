// Throughput and latency of a ticket list page and of createTicket, on the
// embedded database (PGlite) and on server PostgreSQL, side by side in one run.
//
//   npm run bench -- --duration 10 --connections 10 --tickets 2000
//
// Each backend gets a fresh tenant seeded with direct Prisma writes, then the real
// server (createServer, as the tests start it) on 127.0.0.1 and an ephemeral port.
// autocannon runs on a worker thread (scripts/bench/load.ts). Server PostgreSQL is
// DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres; the bench creates a
// database of its own there and drops it at the end.
import { benchConfig } from "./bench/config.js";
import { createBenchDatabase } from "./bench/database.js";
import { intOption } from "./bench/options.js";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/database.js";
import { createServer } from "../src/server.js";
import { post, requesterIds as requesterIdsOf } from "./bench/http.js";
import { runLoad, type LoadResult } from "./bench/load.js";
import { createTicketBody, ticketsPageBody, type Operation } from "./bench/operations.js";
import { quiesce } from "./bench/quiesce.js";
import { machineLine, printTable } from "./bench/report.js";
import { seedBenchTenant } from "./bench/seed.js";
import { benchLifecycle } from "./bench/lifecycle.js";

const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";

// ---- options ----

const { values: args } = parseArgs({
  options: {
    duration: { type: "string" },
    connections: { type: "string" },
    tickets: { type: "string" },
    contacts: { type: "string" },
    warmup: { type: "string" },
    backends: { type: "string" },
    help: { type: "boolean" },
  },
});
if (args.help) {
  console.log(`Usage: npm run bench -- [options]
  --duration <s>       measured seconds per operation and backend (default 10, max 60)
  --connections <n>    concurrent connections (default 10)
  --tickets <n>        tickets seeded per backend, 1-4 messages each (default 2000)
  --contacts <n>       contacts seeded per backend (default 300)
  --warmup <s>         unmeasured seconds before each measurement (default 2)
  --backends <list>    embedded,server (default both)`);
  process.exit(0);
}
const options = {
  duration: intOption(args.duration, "duration", 10, 1, 60),
  connections: intOption(args.connections, "connections", 10, 1, 200),
  tickets: intOption(args.tickets, "tickets", 2000, 50, 20_000),
  contacts: intOption(args.contacts, "contacts", 300, 20, 10_000),
  warmup: intOption(args.warmup, "warmup", 2, 0, 10),
  backends: (args.backends ?? "embedded,server").split(",").map((b) => b.trim()),
};
const OPERATIONS: Operation[] = ["tickets", "createTicket"];

// ---- the overall time bound and clean-up ----

// Seeding and setup get two minutes; every measurement its warm-up, duration and slack.
const boundSeconds = 120 + options.backends.length * OPERATIONS.length * (options.warmup + options.duration + 20);
const { cleanups, cleanUp, run } = benchLifecycle({ ms: boundSeconds * 1000, label: `${boundSeconds}s` });

// ---- server PostgreSQL: a fresh database per run ----

// ---- one backend ----

interface Row extends LoadResult {
  backend: string;
  operation: Operation;
  /** SQL statements one request of this operation costs. */
  statements: number;
}

async function benchBackend(backend: string, databaseUrl?: string): Promise<Row[]> {
  const config = benchConfig(databaseUrl);
  const database = await openDatabase({ ...config, countStatements: true });
  cleanups.push(() => database.close());
  await database.migrate();

  const seeded = await seedBenchTenant(database, { tickets: options.tickets, contacts: options.contacts, agents: 12, tags: 15 });
  console.log(
    `[${backend}] seeded ${seeded.tickets} tickets, ${seeded.messages} messages, ${options.contacts} contacts in ${seeded.ms} ms`,
  );

  const server = await createServer(config, { database });
  cleanups.push(() => server.close());
  const token = seeded.apiKey;

  // Check both operations once before loading them, and count their SQL statements.
  // The first request also records the key's last use; count from the second.
  const page = await post(server.url, token, ticketsPageBody());
  if (page.tickets.edges.length !== 50 || page.tickets.totalCount !== seeded.tickets) {
    throw new Error(`[${backend}] unexpected first page: ${page.tickets.edges.length} edges of ${page.tickets.totalCount}`);
  }
  const statementsOf = async (body: string) => {
    const before = database.queryCount;
    await post(server.url, token, body);
    return database.queryCount - before;
  };
  const pageStatements = await statementsOf(ticketsPageBody());
  const requesterIds = await requesterIdsOf(server.url, token);
  const createStatements = await statementsOf(createTicketBody(0, requesterIds));
  console.log(`[${backend}] one tickets(first: 50) page costs ${pageStatements} SQL statements; one createTicket ${createStatements}`);

  const rows: Row[] = [];
  for (const operation of OPERATIONS) {
    console.log(
      `[${backend}] ${operation}: ${options.warmup}s warm-up, ${options.duration}s measured, ${options.connections} connections…`,
    );
    const result = await runLoad({
      url: server.url,
      label: operation,
      token,
      request: operation === "tickets" ? { body: ticketsPageBody() } : { createTicket: requesterIds },
      connections: options.connections,
      warmupSeconds: options.warmup,
      durationSeconds: options.duration,
    });
    await quiesce(() => database.queryCount);
    for (const sample of result.samples) console.log(`[${backend}] ${operation} error: ${sample}`);
    rows.push({ backend, operation, statements: operation === "tickets" ? pageStatements : createStatements, ...result });
  }
  await cleanUp();
  return rows;
}

// ---- report ----

function printRows(rows: Row[]) {
  const header = ["backend", "operation", "req/s", "p50 ms", "p99 ms", "requests", "errors", "non-2xx", "gql errors", "SQL/req"];
  const body = rows.map((r) => [
    r.backend,
    r.operation,
    r.rps.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    String(r.requests),
    String(r.errors),
    String(r.non2xx),
    String(r.graphqlErrors),
    String(r.statements),
  ]);
  printTable(header, body, 2);
}

async function main() {
  console.log(machineLine());
  console.log(
    `Settings: ${options.duration}s per run after ${options.warmup}s warm-up, ${options.connections} connections, ` +
      `${options.tickets} tickets, ${options.contacts} contacts per backend`,
  );
  const rows: Row[] = [];
  if (options.backends.includes("embedded")) rows.push(...(await benchBackend("pglite")));
  if (options.backends.includes("server")) {
    const serverUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL;
    const shown = new URL(serverUrl).host;
    const target = await createBenchDatabase(serverUrl, "deskgraph_bench", cleanups);
    if ("unreachable" in target) {
      console.log(`PostgreSQL at ${shown} is unreachable (${target.unreachable}); benchmarking PGlite only.`);
    } else {
      console.log(`PostgreSQL ${target.version} at ${shown}`);
      rows.push(...(await benchBackend("postgres", target.url)));
    }
  }
  console.log("");
  printRows(rows);
  console.log("\nreq/s: completed requests / measured seconds; errors: socket errors and timeouts;");
  console.log("gql errors: HTTP 2xx responses carrying a GraphQL errors array; SQL/req: statements one request sends.");
}

run(main);
