// Multi-tenant fairness (bench:compare): one noisy tenant must not stall the
// others. A second, small tenant B reads its tickets page at a low, steady
// rate, first alone, then while tenant A (the bench's main tenant) creates
// tickets on 10 connections, both against the same Deskgraph server process
// on server PostgreSQL. Target: B's p99 under A's load at most 2× its p99 alone.
import { startServerChild } from "./child.js";
import type { DeskgraphExtra, DeskgraphSpec } from "./deskgraph-server.js";
import { post, requesterIds } from "./http.js";
import { runLoad, type LoadResult, type LoadSpec } from "./load.js";
import { ticketsPageBody } from "./operations.js";
import { deskgraphPage } from "./page-shape.js";
import { quiesce } from "./quiesce.js";
import { judge, printTable } from "./report.js";
import { seedOnServer, type Seeded, type SeedSize } from "./seed.js";

const TENANT_B: SeedSize = { tickets: 200, contacts: 40, agents: 3, tags: 5, tagsOnEveryTicket: 2 };
const PAGE_SIZE = 20;
/** B is a probe, not a load: a fixed rate it can hold, so that its latency is what moves, not its own demand. */
const PROBE = { connections: 2, rate: 40 };
const NOISY_CONNECTIONS = 10;
/** A keeps loading this long after B's window, so that the whole window lies inside A's load. */
const NOISY_OVERRUN_SECONDS = 2;
const TARGET_RATIO = 2;

export interface FairnessSpec {
  databaseUrl: string;
  /** The tenant already seeded there: the noisy one. */
  tenantA: Seeded;
  warmupSeconds: number;
  /** Added to the warm-up of B alone, the server's first measurement (see bench-compare.ts). */
  serverWarmupSeconds: number;
  durationSeconds: number;
  cleanups: (() => Promise<void>)[];
}

export interface FairnessResult {
  tenantBTickets: number;
  /** B alone. */
  idle: LoadResult;
  /** B while A loads. */
  loaded: LoadResult;
  /** A's createTicket load over the same time. */
  noisy: LoadResult;
}

/** Resolves for every caller once `n` have called: lets two loads start their measured runs together. */
function meeting(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const everyone = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === n) open();
    return everyone;
  };
}

function reportErrors(label: string, result: LoadResult) {
  for (const sample of result.samples) console.log(`[fairness] ${label} error: ${sample}`);
}

export async function benchFairness(spec: FairnessSpec): Promise<FairnessResult> {
  const tenantB = await seedOnServer(spec.databaseUrl, TENANT_B);
  console.log(`[fairness] seeded tenant B: ${tenantB.tickets} tickets, ${tenantB.messages} messages in ${tenantB.ms} ms`);
  const child = await startServerChild<DeskgraphExtra>(
    "Deskgraph (PostgreSQL, two tenants)",
    "./deskgraph-server.ts",
    { databaseUrl: spec.databaseUrl } satisfies DeskgraphSpec,
    spec.cleanups,
  );
  const { url } = child;
  const body = ticketsPageBody(PAGE_SIZE);
  const page = deskgraphPage(await post(url, tenantB.apiKey, body));
  if (page.rows.length !== PAGE_SIZE || page.totalCount !== tenantB.tickets) {
    throw new Error(
      `[fairness] tenant B's key is served ${page.rows.length} tickets of ${page.totalCount}, not ${PAGE_SIZE} of ${tenantB.tickets}`,
    );
  }
  const drained = () => quiesce(async () => (await child.stats()).statements);
  const probe: LoadSpec = {
    url,
    label: "tenant B tickets page",
    token: tenantB.apiKey,
    request: { body },
    connections: PROBE.connections,
    rate: PROBE.rate,
    warmupSeconds: spec.warmupSeconds,
    durationSeconds: spec.durationSeconds,
  };
  const noisy: LoadSpec = {
    url,
    label: "tenant A createTicket",
    token: spec.tenantA.apiKey,
    request: { createTicket: await requesterIds(url, spec.tenantA.apiKey) },
    connections: NOISY_CONNECTIONS,
    warmupSeconds: spec.warmupSeconds,
    durationSeconds: spec.durationSeconds + NOISY_OVERRUN_SECONDS,
  };

  const timing = `${spec.warmupSeconds}s warm-up, ${spec.durationSeconds}s measured`;
  console.log(
    `[fairness] tenant B's tickets page alone, ${PROBE.rate} req/s on ${PROBE.connections} connections: ` +
      `${spec.warmupSeconds + spec.serverWarmupSeconds}s warm-up, ${spec.durationSeconds}s measured…`,
  );
  await drained();
  const idle = await runLoad({ ...probe, warmupSeconds: spec.warmupSeconds + spec.serverWarmupSeconds });
  reportErrors("tenant B alone", idle);

  console.log(`[fairness] the same while tenant A creates tickets on ${NOISY_CONNECTIONS} connections: ${timing}…`);
  await drained();
  // Both warm up, then wait for each other: their measured runs start together.
  // Unlike bench:compare's other measurements, nothing drains the server or reads
  // its CPU in between: it is meant to be busy with A while B is measured.
  const together = meeting(2);
  const [noisyResult, loaded] = await Promise.all([runLoad(noisy, together), runLoad(probe, together)]);
  reportErrors("tenant A", noisyResult);
  reportErrors("tenant B under load", loaded);
  await drained();
  await child.close();
  return { tenantBTickets: tenantB.tickets, idle, loaded, noisy: noisyResult };
}

const failed = (r: LoadResult) => r.errors + r.non2xx + r.graphqlErrors;

/** B's figures alone and under A's load, then PASS or MISS; `n/a` when not measured. */
export function printFairness(result: FairnessResult | undefined) {
  const what = `tenant B's p99 under tenant A's load ≤ ${TARGET_RATIO}× idle`;
  if (!result) return judge(what, undefined, false, "");
  const { idle, loaded, noisy } = result;
  console.log(
    `Multi-tenant fairness: tenant B (${result.tenantBTickets} tickets) reads its tickets page (first: ${PAGE_SIZE}) at ` +
      `${PROBE.rate} req/s on ${PROBE.connections} connections, alone, then while tenant A creates tickets on ` +
      `${NOISY_CONNECTIONS} connections; one Deskgraph process on PostgreSQL`,
  );
  printTable(
    ["phase", "B req/s", "B p50 ms", "B p99 ms", "B errors", "A createTicket/s", "A p99 ms", "A errors"],
    [
      ["B alone", idle.rps.toFixed(0), idle.p50.toFixed(1), idle.p99.toFixed(1), String(failed(idle)), "–", "–", "–"],
      [
        "B under A's load",
        loaded.rps.toFixed(0),
        loaded.p50.toFixed(1),
        loaded.p99.toFixed(1),
        String(failed(loaded)),
        noisy.rps.toFixed(0),
        noisy.p99.toFixed(1),
        String(failed(noisy)),
      ],
    ],
    1,
  );
  if (Math.min(idle.rps, loaded.rps) < PROBE.rate * 0.9) {
    console.log(
      `B req/s below ${PROBE.rate}: B's requests took longer than the rate leaves them (each connection sends one at a time), ` +
        `so fewer were sent.`,
    );
  }
  // autocannon reports whole milliseconds: an idle p99 under 1 ms counts as 1.
  const ratio = loaded.p99 / Math.max(1, idle.p99);
  const bErrors = failed(idle) + failed(loaded);
  const shown = `${ratio.toFixed(2)}× (${loaded.p99.toFixed(1)} vs ${idle.p99.toFixed(1)} ms)${bErrors ? `, ${bErrors} of B's requests failed` : ""}`;
  judge(what, ratio, ratio <= TARGET_RATIO && !bErrors, shown);
}
