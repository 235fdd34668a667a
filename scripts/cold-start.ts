// How long the compiled server takes from process start to its first answer.
//
//   npm run build && npx tsx scripts/cold-start.ts [--runs 3]
//
// Each run starts `node dist/src/main.js serve` on an empty embedded database
// (a fresh DATA_DIR: migrations, the demo seed) and then once more on the data
// it left (a restart). The clock starts just before the process is spawned and
// stops at the first successful GraphQL answer, polled every 10 ms. At that
// moment the demo tenant must already exist: the script reads the demo API key
// the seed wrote and asks for the demo tickets, and fails (exit 1) if they are
// not there. Budget: 5 s for the empty database (issue 12).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const ENTRY = "dist/src/main.js";
const BUDGET_MS = 5000;
const GIVE_UP_MS = 60_000;

interface Run {
  kind: "empty database" | "restart";
  firstAnswerMs: number;
  /** CPU the server process used until then (user + system, all its threads); null where /proc is missing. */
  cpuMs: number | null;
  demoTickets: number | null;
}

/** On a machine that is busy with other work the wall clock mostly measures the others: CPU time does not. */
function cpuTimeMs(pid: number | undefined): number | null {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name, in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function ask(url: string, query: string, token?: string): Promise<any | null> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { data?: unknown };
    return res.ok && body.data ? body : null;
  } catch {
    return null; // not listening yet
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function startAndMeasure(kind: Run["kind"], dataDir: string): Promise<Run> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const started = performance.now();
  const child = spawn(process.execPath, ["--enable-source-maps", "--max-semi-space-size=32", ENTRY, "serve"], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SEED_DEMO: "true",
      DATABASE_URL: "",
      REDIS_URL: "",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    let firstAnswerMs: number | null = null;
    while (firstAnswerMs === null) {
      if (child.exitCode !== null) throw new Error(`the server exited with status ${child.exitCode} before answering`);
      if (performance.now() - started > GIVE_UP_MS) throw new Error(`no answer in ${GIVE_UP_MS / 1000} s`);
      if (await ask(url, "{ __typename }")) firstAnswerMs = performance.now() - started;
      else await new Promise((r) => setTimeout(r, 10));
    }
    const cpuMs = cpuTimeMs(child.pid);
    // The first answer is in: the demo data must be there already.
    const file = path.join(dataDir, "demo-credentials.json");
    let demoTickets: number | null = null;
    if (existsSync(file)) {
      const { apiKey } = JSON.parse(readFileSync(file, "utf8")) as { apiKey: string };
      const answer = await ask(url, "{ tickets(first: 1) { totalCount } }", apiKey);
      demoTickets = answer?.data?.tickets?.totalCount ?? null;
    }
    return { kind, firstAnswerMs, cpuMs, demoTickets };
  } finally {
    await stop(child);
  }
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);

  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "deskgraph-cold-start-"));
    try {
      results.push(await startAndMeasure("empty database", dataDir));
      results.push(await startAndMeasure("restart", dataDir));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const seconds = (ms: number | null) => (ms === null ? "n/a" : `${(ms / 1000).toFixed(2)} s`);
  console.log("\n| run | data | first answer | server CPU until then | demo tickets at first answer |");
  console.log("| --: | --- | --: | --: | --: |");
  for (const [i, r] of results.entries()) {
    console.log(
      `| ${Math.floor(i / 2) + 1} | ${r.kind} | ${seconds(r.firstAnswerMs)} | ${seconds(r.cpuMs)} | ${r.demoTickets ?? "missing"} |`,
    );
  }
  const cold = results.filter((r) => r.kind === "empty database").map((r) => r.firstAnswerMs);
  const worst = Math.max(...cold);
  console.log(
    `\nEmpty database, slowest of ${cold.length}: ${(worst / 1000).toFixed(2)} s (budget ${BUDGET_MS / 1000} s${worst > BUDGET_MS ? ", OVER" : ""})`,
  );

  const unseeded = results.filter((r) => !r.demoTickets);
  if (unseeded.length) {
    console.error(`The server answered before the demo data existed in ${unseeded.length} run(s).`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
