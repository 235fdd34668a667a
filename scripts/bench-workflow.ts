// Workflow figures: what automation rules add to ticket updates, and how fast the
// automations consumer keeps up.
//
//   npm run bench:workflow -- --rules 100 --updates 10000 --tickets 500
//
// Two tenants on one embedded database (in memory) behind the real server on
// 127.0.0.1: one with --rules TICKET_UPDATED rules (a few match every update and
// change the ticket, the rest are evaluated and do not match), its peer with none.
// The same updateTicket calls go to both, alternating, one at a time, so the two
// columns share the machine's noise. Rules run after commit (a consumer of the
// event feed), so the request's own latency should not move; the consumer's
// catch-up time and throughput are what the rules cost.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { createServer } from "../src/server.js";
import { createTenant } from "../src/tenants/service.js";
import { gql } from "./bench/http.js";

const { values: args } = parseArgs({
  options: { rules: { type: "string" }, updates: { type: "string" }, tickets: { type: "string" }, help: { type: "boolean" } },
});
if (args.help) {
  console.log("Usage: npm run bench:workflow -- [--rules 100] [--updates 1000] [--tickets 100]");
  process.exit(0);
}
const RULES = Number(args.rules ?? 100);
const UPDATES = Number(args.updates ?? 1_000);
const TICKETS = Number(args.tickets ?? 100);
if (
  ![RULES, UPDATES, TICKETS].every(Number.isInteger) ||
  RULES < 1 ||
  RULES > 500 ||
  UPDATES < 10 ||
  UPDATES > 100_000 ||
  TICKETS < 1 ||
  TICKETS > 10_000
) {
  console.error("--rules must be from 1 to 500, --updates from 10 to 100000, --tickets from 1 to 10000");
  process.exit(2);
}
/** Rules that match every update (they change tags; the rest compare and do not match). */
const MATCHING = Math.min(5, RULES);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"] as const;

async function tenant(database: Database, url: string, label: string) {
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
  const tickets: string[] = [];
  for (let i = 0; i < TICKETS; i++) {
    const r = await gql(
      url,
      token,
      `mutation($s: String!, $e: String!) { createTicket(input: { subject: $s, body: "b", requester: { name: "Req", email: $e } }) { id } }`,
      {
        s: `Order ${i} question`,
        e: `r${i}@${slug}.test`,
      },
    );
    tickets.push(r.createTicket.id);
  }
  return { id: tenant.id, token, tickets };
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

async function main() {
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: "memory://",
    LOG_LEVEL: "silent",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    RETENTION_SWEEP_MINUTES: "0",
  });
  const database = await openDatabase(config);
  await database.migrate();
  const server = await createServer(config, { database });
  try {
    const plain = await tenant(database, server.url, "plain");
    const ruled = await tenant(database, server.url, "rules");
    await addRules(server.url, ruled.token);
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
        await gql(server.url, t.token, update, { id: t.tickets[i % t.tickets.length], p });
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
    console.log(
      `\n${RULES} TICKET_UPDATED rules (${MATCHING} match each update), ${UPDATES} updates per tenant over ${TICKETS} tickets (embedded database, one request at a time)\n`,
    );
    console.log("| figure | no rules (peer) ms | with rules ms | added ms | ratio |\n| --- | ---: | ---: | ---: | ---: |");
    console.log(row("p50", 0.5));
    console.log(row("p99", 0.99));
    console.log(`\n| automations consumer | value |\n| --- | ---: |`);
    console.log(`| events in the tenant's feed | ${events} |`);
    console.log(`| runs logged | ${runs.map((r) => `${r._count} ${r.outcome}`).join(", ")} |`);
    console.log(`| caught up after the last update | ${Math.round(done - lastUpdate)} ms |`);
    console.log(`| events handled per second (first update to caught up) | ${Math.round(events / ((done - started) / 1000))} |`);
    console.log(
      `\n## SLA scheduler at 100k open tickets (events/s, lag)\nTODO: wired after merge with the SLA scheduler (src/scheduler/, src/sla/).`,
    );
    console.log(`\n## metrics over 1M tickets on PostgreSQL (≤ 500 ms)\nTODO: wired after merge with the reporting query (metrics).`);
  } finally {
    await server.close();
    await database.close();
  }
}

await main();
