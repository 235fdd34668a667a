// Realtime fan-out: graphql-ws subscribers of one tenant's ticketEvents, on one
// instance and on two instances sharing Redis, side by side in one run.
//
//   npm run bench:realtime -- --subscribers 1000 --events 200
//
// Every server instance and the subscribers (one WebSocket each) run on threads of
// their own, against 127.0.0.1 only. After a warm-up that proves every subscription
// live, the bench commits --events ticket updates one after another and measures, for
// each event and subscriber, the time from the event's recording in the committing
// transaction (its occurredAt) to its arrival at the subscriber, and the deliveries
// per second. Server PostgreSQL is DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres
// (a database of its own, dropped at the end); Redis is REDIS_URL or 127.0.0.1:6379, or a
// redis-server the bench starts when none answers. Bounded in time; exits by itself.
// The servers run the compiled build (`npm run build`, done first) with NODE_ENV=production,
// as the Dockerfile runs them.
import { createBenchDatabase } from "./bench/database.js";
import { intOption } from "./bench/options.js";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, createServer as createNetServer } from "node:net";
import os from "node:os";
import { parseArgs } from "node:util";
import { Worker, type WorkerOptions } from "node:worker_threads";
import type { EventLoopUtilization } from "node:perf_hooks";
import type { ServerReady, ServerSpec } from "./bench/realtime-server.js";
import type { Collected, SubscribersCommand, SubscribersSpec, SubscribersStatus } from "./bench/realtime-subscribers.js";
import { benchLifecycle } from "./bench/lifecycle.js";
import { buildServer } from "./bench/child.js";

const DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_REDIS = "redis://127.0.0.1:6379";

const { values: args } = parseArgs({
  options: {
    subscribers: { type: "string" },
    events: { type: "string" },
    scenarios: { type: "string" },
    selection: { type: "string" },
    help: { type: "boolean" },
  },
});
const SCENARIOS = {
  embedded: { label: "embedded PGlite, 1 instance", instances: 1, postgres: false, redis: false },
  postgres: { label: "PostgreSQL, 1 instance", instances: 1, postgres: true, redis: false },
  "postgres-redis": { label: "PostgreSQL + Redis, 1 instance", instances: 1, postgres: true, redis: true },
  "two-instances": { label: "PostgreSQL + Redis, 2 instances", instances: 2, postgres: true, redis: true },
} as const;
type ScenarioName = keyof typeof SCENARIOS;
if (args.help) {
  console.log(`Usage: npm run bench:realtime -- [options]
  --subscribers <n>   graphql-ws subscribers, split evenly over the instances (default 1000, max 2000)
  --events <n>        ticket updates committed and measured (default 200, max 2000)
  --scenarios <list>  ${Object.keys(SCENARIOS).join(",")} (default all)
  --selection <s>     the TicketEvent fields each subscriber asks for (default "seq occurredAt"; must include both)`);
  process.exit(0);
}
const options = {
  subscribers: intOption(args.subscribers, "subscribers", 1000, 2, 2000),
  events: intOption(args.events, "events", 200, 10, 2000),
  scenarios: (args.scenarios ?? Object.keys(SCENARIOS).join(",")).split(",").map((s) => s.trim()) as ScenarioName[],
  selection: args.selection ?? "seq occurredAt",
};
for (const s of options.scenarios) {
  if (!(s in SCENARIOS)) {
    console.error(`Unknown scenario ${s}; choose from ${Object.keys(SCENARIOS).join(", ")}`);
    process.exit(2);
  }
}

// ---- the overall time bound and clean-up ----

const boundSeconds = 60 + options.scenarios.length * (120 + Math.ceil(options.events / 10));
const { cleanups, cleanUp, abort } = benchLifecycle({ ms: boundSeconds * 1000, label: `${boundSeconds}s` });

// ---- threads ----

/** Starts a TypeScript worker through tsx's API (tsx's loader does not reach workers on Node 20). */
function startWorker(file: string, data: unknown, options: WorkerOptions = {}): Worker {
  const href = new URL(file, import.meta.url).href;
  const boot = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${JSON.stringify(href)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(boot, { ...options, eval: true, workerData: data });
  worker.on("error", (err) => void abort(`A worker failed: ${err.stack ?? err}`, 1));
  return worker;
}

function next<T>(worker: Worker, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
    worker.once("message", (m: T) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
}

async function ask<T>(worker: Worker, command: SubscribersCommand | "close", ms = 30_000): Promise<T> {
  const answer = next<T>(worker, ms, typeof command === "string" ? command : command.type);
  worker.postMessage(command);
  return answer;
}

async function startInstance(spec: ServerSpec): Promise<ServerReady & { worker: Worker }> {
  // The server as it is deployed (the Dockerfile): NODE_ENV=production (graphql-js, for one, checks
  // every value's realm outside production) and a young generation of 96 MB, which is what
  // --max-semi-space-size=32 gives (V8 flags are per process; a worker takes its own limits).
  const worker = startWorker("./bench/realtime-server.ts", spec, {
    env: { ...process.env, NODE_ENV: "production" },
    resourceLimits: { maxYoungGenerationSizeMb: 96 },
  });
  cleanups.push(async () => {
    await ask(worker, "close", 20_000).catch(() => {});
    await worker.terminate();
  });
  return { ...(await next<ServerReady>(worker, 60_000, "server start")), worker };
}

/** How long a thread's event loop was busy, in ms, since `from` (its utilization, measured from outside). */
function busyMs(worker: Worker, from: EventLoopUtilization): number {
  return worker.performance.eventLoopUtilization(from).active;
}

// ---- backing services ----

const pingRedis = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      socket.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
  });

/** REDIS_URL, or the local Redis on 6379, or a redis-server of our own on a free port. */
async function redisUrl(): Promise<string> {
  const given = process.env.REDIS_URL ?? DEFAULT_REDIS;
  const url = new URL(given);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
    throw new Error("The bench talks to 127.0.0.1 only; REDIS_URL points elsewhere");
  if (await pingRedis(Number(url.port || 6379))) return given;
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  cleanups.push(async () => void child.kill("SIGTERM"));
  for (let i = 0; i < 100 && !(await pingRedis(port)); i++) await new Promise((r) => setTimeout(r, 50));
  console.log(`Started redis-server on 127.0.0.1:${port}.`);
  return `redis://127.0.0.1:${port}`;
}

// ---- one scenario ----

interface Row {
  scenario: string;
  instances: number;
  subscribers: number;
  events: number;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  deliveriesPerSecond: number;
  commitsPerSecond: number;
  /** Server threads' busy time per event (all instances), ms. */
  serverMsPerEvent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function post(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 500));
  return body.data;
}

async function runScenario(name: ScenarioName, postgresUrl: string | null, redis: string | null): Promise<Row> {
  const scenario = SCENARIOS[name];
  const env: Record<string, string> = { ENCRYPTION_KEY: randomBytes(32).toString("base64"), EVENT_POLL_MS: "2000" };
  if (scenario.postgres) {
    const target = await createBenchDatabase(postgresUrl!, "deskgraph_bench_rt", cleanups);
    if ("unreachable" in target) throw new Error(`PostgreSQL unreachable: ${target.unreachable}`);
    env.DATABASE_URL = target.url;
  }
  if (scenario.redis) env.REDIS_URL = redis!;
  const mark = cleanups.length;

  const first = await startInstance({ env, seed: true });
  const instances = [first];
  for (let i = 1; i < scenario.instances; i++) instances.push(await startInstance({ env, seed: false }));
  const urls = instances.map((i) => i.url);
  const total = options.subscribers - (options.subscribers % urls.length);
  const targets = urls.map((url) => ({ url, count: total / urls.length }));
  const subscribers = startWorker("./bench/realtime-subscribers.ts", {
    targets,
    apiKey: first.apiKey!,
    selection: options.selection,
  } satisfies SubscribersSpec);
  cleanups.push(async () => {
    await ask(subscribers, { type: "close" }, 20_000).catch(() => {});
    await subscribers.terminate();
  });
  await next(subscribers, 60_000, "subscribers start");
  const status = () => ask<SubscribersStatus>(subscribers, { type: "status" });

  const update = (subject: string) =>
    post(first.url, first.ownerToken!, `mutation($id: ID!, $s: String!) { updateTicket(id: $id, input: { subject: $s }) { id } }`, {
      id: first.ticketId,
      s: subject,
    });

  // Connect, then commit warm-up events until every subscription has seen one.
  const connectBy = Date.now() + 60_000;
  let s = await status();
  while (s.connected < total) {
    if (Date.now() > connectBy) throw new Error(`[${name}] only ${s.connected} of ${total} subscribers connected: ${s.errors.join("; ")}`);
    await sleep(200);
    s = await status();
  }
  const warmBy = Date.now() + 60_000;
  for (let i = 0; s.live < total || s.minLastSeq < (await lastSeq(first)); i++) {
    if (Date.now() > warmBy) throw new Error(`[${name}] only ${s.live} of ${total} subscriptions live: ${s.errors.join("; ")}`);
    if (s.live < total) await update(`warm-up ${i}`);
    await sleep(300);
    s = await status();
  }
  const afterSeq = await lastSeq(first);
  console.log(`[${name}] ${total} subscribers on ${urls.length} instance(s) live; measuring ${options.events} events…`);

  const started = Date.now();
  const utilization = instances.map((i) => i.worker.performance.eventLoopUtilization());
  for (let i = 1; i <= options.events; i++) await update(`bench ${i}`);
  const committed = Date.now();
  const target = afterSeq + options.events;
  const drainBy = Date.now() + 60_000 + options.events * 100;
  while ((s = await status()).minLastSeq < target && Date.now() < drainBy) await sleep(100);
  const serverBusy = instances.reduce((sum, instance, i) => sum + busyMs(instance.worker, utilization[i]!), 0);
  const collected = await ask<Collected>(subscribers, { type: "collect", afterSeq }, 60_000);
  const sorted = collected.latencies.slice().sort((a, b) => a - b);
  const row: Row = {
    scenario: scenario.label,
    instances: urls.length,
    subscribers: total,
    events: options.events,
    expected: options.events * total,
    delivered: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    deliveriesPerSecond: sorted.length / Math.max(0.001, (collected.lastAt - started) / 1000),
    commitsPerSecond: options.events / Math.max(0.001, (committed - started) / 1000),
    serverMsPerEvent: serverBusy / options.events,
  };
  if (s.errors.length) console.log(`[${name}] subscriber errors: ${s.errors.join("; ")}`);
  // This scenario's threads and database go before the next one starts.
  for (const fn of cleanups.splice(mark).reverse()) await fn().catch((e) => console.error("clean-up failed:", e));
  return row;

  async function lastSeq(instance: ServerReady): Promise<number> {
    // The head of the tenant's feed: the last event's seq, through the public events query.
    let after: string | null = null;
    let seq = 0;
    for (;;) {
      const page: any = await post(
        instance.url,
        instance.ownerToken!,
        `query($a: String) { events(after: $a, first: 200) { edges { node { seq } } pageInfo { hasNextPage endCursor } } }`,
        { a: after },
      );
      seq = page.events.edges.at(-1)?.node.seq ?? seq;
      if (!page.events.pageInfo.hasNextPage) return seq;
      after = page.events.pageInfo.endCursor;
    }
  }
}

// ---- run ----

const rows: Row[] = [];
try {
  const needsPostgres = options.scenarios.some((n) => SCENARIOS[n].postgres);
  const needsRedis = options.scenarios.some((n) => SCENARIOS[n].redis);
  const postgresUrl = needsPostgres ? (process.env.DATABASE_URL ?? DEFAULT_POSTGRES) : null;
  if (postgresUrl && !["127.0.0.1", "localhost", "[::1]"].includes(new URL(postgresUrl).hostname))
    throw new Error("The bench talks to 127.0.0.1 only");
  const redis = needsRedis ? await redisUrl() : null;
  console.log(
    `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}); ${options.subscribers} subscribers, ${options.events} events, selection "${options.selection}"`,
  );
  buildServer();
  for (const name of options.scenarios) rows.push(await runScenario(name, postgresUrl, redis));
} catch (err) {
  await abort(`The bench failed: ${(err as Error).stack ?? err}`, 1);
}
await cleanUp();

const header = [
  "scenario",
  "instances",
  "subscribers",
  "events",
  "delivered / expected",
  "p50 ms",
  "p99 ms",
  "max ms",
  "deliveries/s",
  "commits/s",
  "server ms/event",
];
const lines = rows.map((r) => [
  r.scenario,
  String(r.instances),
  String(r.subscribers),
  String(r.events),
  `${r.delivered} / ${r.expected}`,
  String(r.p50),
  String(r.p99),
  String(r.max),
  r.deliveriesPerSecond.toFixed(0),
  r.commitsPerSecond.toFixed(0),
  r.serverMsPerEvent.toFixed(1),
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const fmt = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
console.log();
console.log(fmt(header));
console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
for (const l of lines) console.log(fmt(l));
console.log("\nLatency: from the event's recording in its transaction (occurredAt) to its arrival at the subscriber.");
console.log(
  "Server ms/event: how long the server threads' event loops were busy, per committed event, from the first commit until every subscriber had the last one (the commit's own request included).",
);
process.exit(rows.every((r) => r.delivered === r.expected) ? 0 : 1);
