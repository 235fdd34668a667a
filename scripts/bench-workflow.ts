// Workflow figures, in three sections (--sections rules,sla,metrics; all by default):
//
//   npm run bench:workflow -- --database server --rules 100 --updates 10000 --tickets 500 \
//     --sla-tickets 100000 --metrics-tickets 1000000
//
// rules: what automation rules add to ticket updates, and how fast the automations
// consumer keeps up. Two tenants behind the real server on 127.0.0.1: one with --rules
// TICKET_UPDATED rules (a few match every update and change the ticket, the rest are
// evaluated and do not match), its peer with none. The same updateTicket calls go to
// both, alternating, one at a time, so the two columns share the machine's noise. Rules
// run after commit (a consumer of the event feed), so the request's own latency should
// not move; the consumer's catch-up time and throughput are what the rules cost.
//
// sla: the durable scheduler with --sla-tickets open tickets whose breach timers fall
// due at once (or over --sla-spread seconds): events per second and lag
// (scripts/bench/workflow-sla.ts).
//
// metrics: the report over a year of --metrics-tickets tickets, each groupBy
// (scripts/bench/workflow-metrics.ts); the target (500 ms) is on server PostgreSQL.
//
// --database embedded (default: PGlite in memory) or server: a fresh database on
// DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres), dropped
// at the end. Seeding is set-based SQL (generate_series). Defaults are small.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { openDatabase, type Database } from "../src/db/database.js";
import { createServer } from "../src/server.js";
import { createTenant } from "../src/tenants/service.js";
import { benchConfig } from "./bench/config.js";
import { createBenchDatabase } from "./bench/database.js";
import { gql } from "./bench/http.js";
import { benchMetrics, metricsTable } from "./bench/workflow-metrics.js";
import { benchSlaScheduler, slaTable } from "./bench/workflow-sla.js";

const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const SECTIONS = ["rules", "sla", "metrics"] as const;

const { values: args } = parseArgs({
  options: {
    sections: { type: "string" },
    database: { type: "string" },
    rules: { type: "string" },
    updates: { type: "string" },
    tickets: { type: "string" },
    "sla-tickets": { type: "string" },
    "sla-spread": { type: "string" },
    "metrics-tickets": { type: "string" },
    help: { type: "boolean" },
  },
});
if (args.help) {
  console.log(
    "Usage: npm run bench:workflow -- [--sections rules,sla,metrics] [--database embedded|server] [--rules 100] [--updates 1000] [--tickets 100] [--sla-tickets 1000] [--sla-spread 0] [--metrics-tickets 10000]",
  );
  process.exit(0);
}
const RULES = Number(args.rules ?? 100);
const UPDATES = Number(args.updates ?? 1_000);
const TICKETS = Number(args.tickets ?? 100);
const SLA_TICKETS = Number(args["sla-tickets"] ?? 1_000);
const SLA_SPREAD = Number(args["sla-spread"] ?? 0);
const METRICS_TICKETS = Number(args["metrics-tickets"] ?? 10_000);
const DATABASE = args.database ?? "embedded";
const sections = (args.sections ?? SECTIONS.join(",")).split(",").map((x) => x.trim());
const fail = (message: string) => {
  console.error(message);
  process.exit(2);
};
if (
  ![RULES, UPDATES, TICKETS].every(Number.isInteger) ||
  RULES < 1 ||
  RULES > 500 ||
  UPDATES < 10 ||
  UPDATES > 100_000 ||
  TICKETS < 1 ||
  TICKETS > 10_000
) {
  fail("--rules must be from 1 to 500, --updates from 10 to 100000, --tickets from 1 to 10000");
}
if (!Number.isInteger(SLA_TICKETS) || SLA_TICKETS < 1 || SLA_TICKETS > 1_000_000) fail("--sla-tickets must be from 1 to 1000000");
if (!Number.isFinite(SLA_SPREAD) || SLA_SPREAD < 0 || SLA_SPREAD > 3600) fail("--sla-spread must be 0 to 3600 seconds");
if (!Number.isInteger(METRICS_TICKETS) || METRICS_TICKETS < 1 || METRICS_TICKETS > 10_000_000)
  fail("--metrics-tickets must be from 1 to 10000000");
if (DATABASE !== "embedded" && DATABASE !== "server") fail("--database is embedded or server");
for (const x of sections) if (!(SECTIONS as readonly string[]).includes(x)) fail(`unknown section ${x}; use ${SECTIONS.join(", ")}`);
/** Rules that match every update (they change tags; the rest compare and do not match). */
const MATCHING = Math.min(5, RULES);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"] as const;

async function tenant(database: Database, url: string, label: string, tickets = TICKETS) {
  const slug = `bench-wf-${label}-${randomBytes(3).toString("hex")}`;
  const password = "bench password long enough";
  const { tenant } = await createTenant(database, {
    name: `Bench ${label}`,
    slug,
    owner: { email: `owner@${slug}.test`, name: "Owner", password },
  });
  const token = (
    await gql(url, null, `mutation($t: String!, $e: String!, $p: String!) { signIn(tenant: $t, email: $e, password: $p) { token } }`, {
      t: slug,
      e: `owner@${slug}.test`,
      p: password,
    })
  ).signIn.token as string;
  const ids: string[] = [];
  for (let i = 0; i < tickets; i++) {
    const r = await gql(
      url,
      token,
      `mutation($s: String!, $e: String!) { createTicket(input: { subject: $s, body: "b", requester: { name: "Req", email: $e } }) { id } }`,
      {
        s: `Order ${i} question`,
        e: `r${i}@${slug}.test`,
      },
    );
    ids.push(r.createTicket.id);
  }
  return { id: tenant.id, token, tickets: ids };
}

async function addRules(url: string, token: string) {
  for (let i = 0; i < RULES; i++) {
    const matching = i < MATCHING;
    const conditions = matching
      ? { all: [{ field: "subject", op: "CONTAINS", value: "order" }], any: [] }
      : {
          all: [
            { field: "subject", op: "CONTAINS", value: `never-${i}` },
            { field: "priority", op: "IN", values: ["HIGH", "URGENT"] },
          ],
          any: [
            { field: "tags", op: "CONTAINS", value: `t${i}` },
            { field: "requester.emailDomain", op: "EQ", value: `d${i}.test` },
          ],
        };
    await gql(url, token, `mutation($i: CreateAutomationRuleInput!) { createAutomationRule(input: $i) { id } }`, {
      i: {
        name: `rule ${i}`,
        trigger: "TICKET_UPDATED",
        conditions,
        actions: [{ type: matching ? "ADD_TAGS" : "SET_STATUS", ...(matching ? { tags: [`auto-${i}`] } : { status: "PENDING" }) }],
      },
    });
  }
}

/** Whether the automations consumer has handled every event of the tenant. */
async function caughtUp(database: Database, tenantId: string): Promise<boolean> {
  const [t, cursor] = await Promise.all([
    database.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { eventSeq: true } }),
    database.prisma.eventConsumerCursor.findUnique({ where: { consumer_tenantId: { consumer: "automations", tenantId } } }),
  ]);
  const pending = await database.prisma.event.count({ where: { tenantId, seq: null } });
  return pending === 0 && (cursor?.position ?? 0) >= t.eventSeq;
}

async function benchRules(database: Database, url: string) {
  const plain = await tenant(database, url, "plain");
  const ruled = await tenant(database, url, "rules");
  await addRules(url, ruled.token);
  console.log(`seeded 2 × ${TICKETS} tickets and ${RULES} rules`);
  const times = { plain: [] as number[], ruled: [] as number[] };
  const update = `mutation($id: ID!, $p: TicketPriority!) { updateTicket(id: $id, input: { priority: $p }) { id } }`;
  const started = performance.now();
  for (let i = 0; i < UPDATES; i++) {
    const p = PRIORITIES[i % PRIORITIES.length];
    for (const [name, t] of [
      ["plain", plain],
      ["ruled", ruled],
    ] as const) {
      const start = performance.now();
      await gql(url, t.token, update, { id: t.tickets[i % t.tickets.length], p });
      times[name].push(performance.now() - start);
    }
  }
  const lastUpdate = performance.now();
  console.log(`${UPDATES} updates per tenant in ${Math.round(lastUpdate - started)} ms; waiting for the automations consumer`);
  while (!(await caughtUp(database, ruled.id))) await new Promise((r) => setTimeout(r, 20));
  const done = performance.now();
  const runs = await database.prisma.automationRun.groupBy({ by: ["outcome"], where: { tenantId: ruled.id }, _count: true });
  const events = (await database.prisma.tenant.findUniqueOrThrow({ where: { id: ruled.id }, select: { eventSeq: true } })).eventSeq;
  for (const list of Object.values(times)) list.sort((a, b) => a - b);
  const row = (label: string, q: number) => {
    const a = quantile(times.plain, q);
    const b = quantile(times.ruled, q);
    return `| updateTicket ${label} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b - a).toFixed(1)} | ${(b / a).toFixed(2)} |`;
  };
  return [
    `\n${RULES} TICKET_UPDATED rules (${MATCHING} match each update), ${UPDATES} updates per tenant over ${TICKETS} tickets (one request at a time)\n`,
    "| figure | no rules (peer) ms | with rules ms | added ms | ratio |\n| --- | ---: | ---: | ---: | ---: |",
    row("p50", 0.5),
    row("p99", 0.99),
    `\n| automations consumer | value |\n| --- | ---: |`,
    `| events in the tenant's feed | ${events} |`,
    `| runs logged | ${runs.map((r) => `${r._count} ${r.outcome}`).join(", ")} |`,
    `| caught up after the last update | ${Math.round(done - lastUpdate)} ms |`,
    `| events handled per second (first update to caught up) | ${Math.round(events / ((done - started) / 1000))} |`,
  ].join("\n");
}

async function main() {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e) => console.error("clean-up failed:", e));
  };
  process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));
  let databaseUrl: string | undefined;
  let backend = "the embedded database (PGlite)";
  if (DATABASE === "server") {
    const target = await createBenchDatabase(process.env.DATABASE_URL || DEFAULT_SERVER_URL, "deskgraph_bench_workflow", cleanups);
    if ("unreachable" in target) fail(`server PostgreSQL unreachable: ${target.unreachable}`);
    else {
      databaseUrl = target.url;
      backend = `server PostgreSQL ${target.version}`;
    }
  }
  const tables: string[] = [];
  try {
    const config = benchConfig(databaseUrl);
    const database = await openDatabase(config);
    cleanups.push(() => database.close());
    await database.migrate();
    const server = await createServer(config, { database });
    cleanups.push(() => server.close());
    console.log(`on ${backend}`);
    if (sections.includes("rules")) tables.push(await benchRules(database, server.url));
    // The report before the scheduler: the scheduler's events keep consumers busy for a while after.
    if (sections.includes("metrics")) {
      const t = await tenant(database, server.url, "metrics", 0);
      tables.push(metricsTable(await benchMetrics(database, server.url, t.token, t.id, METRICS_TICKETS), backend));
      if (DATABASE === "embedded") tables.push("\n(The 500 ms target is for server PostgreSQL: --database server.)");
    }
    if (sections.includes("sla")) {
      const t = await tenant(database, server.url, "sla", 0);
      tables.push(slaTable(await benchSlaScheduler(database, t.id, SLA_TICKETS, SLA_SPREAD)));
    }
  } finally {
    await cleanUp();
  }
  console.log(`\nWorkflow figures on ${backend}`);
  for (const t of tables) console.log(t);
}

await main();
