// Commit → sequenced latency (bench:compare): how long the events a measured
// window of createTicket wrote waited for the tenant's sequencer to number
// them, as publishedAt − createdAt, both PostgreSQL's clock. createdAt is when
// the event's row was written (for createTicket, within its one insert
// statement, after it took the tenant's counter row; the rest of the statement,
// its triggers and its commit follow); publishedAt, when the statement that
// numbered it ran, just before that statement commits. So an upper bound of
// commit → numbered but for the numbering's own commit. The rows are read by
// the Deskgraph server's own process (deskgraph-server.ts answers these
// questions): PGlite's database lives nowhere else.
import type { Database } from "../../src/db/database.js";
import type { ServerChild } from "./child.js";
import { judge, printTable } from "./report.js";

export interface SequencedLatency {
  /** Events written in the window. */
  events: number;
  /** Of those, how many were still unnumbered when the wait ran out. */
  unnumbered: number;
  /** Over the numbered ones, in milliseconds (the columns hold milliseconds). */
  p50: number;
  p99: number;
  max: number;
}

export type SequencedQuestion = { type: "event mark" } | { type: "sequenced latency"; tenantId: string; after: string };

/** The longest wait for the window's events to be numbered; the sequencer's safety poll alone runs every second. */
const WAIT_MS = 20_000;
export const SEQUENCED_WAIT_SECONDS = WAIT_MS / 1000;

/**
 * The newest event's place in append order (a sequence shared by all
 * tenants), as text: BigInt does not cross the IPC channel's JSON.
 */
async function eventMark(database: Database): Promise<string> {
  const [row] = await database.prisma.$queryRaw<{ mark: string }[]>`SELECT coalesce(max("appendOrder"), 0)::text AS mark FROM "Event"`;
  return row!.mark;
}

/** Waits (bounded) until every event of the tenant appended after `after` is numbered, then measures them. */
async function sequencedLatency(database: Database, tenantId: string, after: string): Promise<SequencedLatency> {
  const unnumbered = async () => {
    const [row] = await database.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "Event"
      WHERE "tenantId" = ${tenantId}::uuid AND "appendOrder" > ${after}::bigint AND "seq" IS NULL`;
    return row!.n;
  };
  const until = Date.now() + WAIT_MS;
  let left = await unnumbered();
  while (left > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    left = await unnumbered();
  }
  const [row] = await database.prisma.$queryRaw<{ events: number; p50: number | null; p99: number | null; max: number | null }[]>`
    WITH waited AS (
      SELECT extract(epoch FROM "publishedAt" - "createdAt") * 1000 AS ms FROM "Event"
      WHERE "tenantId" = ${tenantId}::uuid AND "appendOrder" > ${after}::bigint AND "seq" IS NOT NULL
    )
    SELECT count(*)::int AS events,
           (percentile_disc(0.5) WITHIN GROUP (ORDER BY ms))::float8 AS p50,
           (percentile_disc(0.99) WITHIN GROUP (ORDER BY ms))::float8 AS p99,
           max(ms)::float8 AS max
    FROM waited`;
  return { events: row!.events + left, unnumbered: left, p50: row!.p50 ?? 0, p99: row!.p99 ?? 0, max: row!.max ?? 0 };
}

/**
 * The server's side. Run as background work, so that these reads stay out of
 * the statement count the bench watches to know when a load has drained.
 */
export function answerSequenced(database: Database, question: SequencedQuestion): Promise<unknown> {
  return database.background<unknown>(() =>
    question.type === "event mark" ? eventMark(database) : sequencedLatency(database, question.tenantId, question.after),
  );
}

/** The bench's side: mark before a measured window, read after it (once its requests have finished). */
export interface SequencedProbe {
  mark(): Promise<string>;
  read(after: string): Promise<SequencedLatency>;
}

export const sequencedProbe = (child: ServerChild<unknown>, tenantId: string): SequencedProbe => ({
  mark: () => child.ask<string>({ type: "event mark" } satisfies SequencedQuestion),
  read: (after) =>
    child.ask<SequencedLatency>({ type: "sequenced latency", tenantId, after } satisfies SequencedQuestion, WAIT_MS + 30_000),
});

/** The target set for a 2-core machine, judged per measured window. */
const TARGET_P99_MS = 50;

/** One line per createTicket window measured, then PASS or MISS for each; `n/a` when none was. */
export function printSequenced(windows: { system: string; connections: number; sequenced: SequencedLatency }[]) {
  const what = (w?: { system: string; connections: number }) =>
    `commit → sequenced p99 ≤ ${TARGET_P99_MS} ms${w ? ` on ${w.system} at ${w.connections} connections` : ""}`;
  if (!windows.length) return judge(what(), undefined, false, "");
  console.log(
    "Commit → sequenced: createTicket's events of each measured window, publishedAt − createdAt (from the write: an upper bound)",
  );
  printTable(
    ["system", "conns", "events", "unnumbered", "p50 ms", "p99 ms", "max ms"],
    windows.map(({ system, connections, sequenced: s }) => [
      system,
      String(connections),
      String(s.events),
      String(s.unnumbered),
      s.p50.toFixed(1),
      s.p99.toFixed(1),
      s.max.toFixed(1),
    ]),
    1,
  );
  for (const w of windows) {
    const s = w.sequenced;
    const shown = s.unnumbered
      ? `${s.unnumbered} of ${s.events} events still unnumbered ${SEQUENCED_WAIT_SECONDS} s after the window`
      : `${s.p99.toFixed(1)} ms over ${s.events} events`;
    judge(what(w), s.events ? s.p99 : undefined, !s.unnumbered && s.p99 <= TARGET_P99_MS, shown);
  }
}
