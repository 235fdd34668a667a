import type { Logger } from "pino";
import { BackgroundLoop } from "../background/loop.js";
import type { Database } from "./database.js";

/**
 * How often the embedded database's tables are looked at. Until a table that
 * grew is analysed, the database's functions (PL/pgSQL: deskgraph_insert_ticket,
 * the vocabulary trigger) keep the plans they made with its old statistics; a
 * plan made while a table was believed empty can read all of it where an index
 * would read a row. Looking every 10 s instead was measured slower: the passes
 * that then analyse the busy tables stop the embedded database for 70–300 ms
 * each; so was a look every 10 s for the tables that doubled only
 * (docs/benchmarks.md, "2026-12-05, 06:10–08:30 UTC").
 */
const EVERY_MS = 60_000;

/**
 * Keeps the embedded database's planner statistics current. A PostgreSQL
 * server's autovacuum does this by itself; PGlite runs no background workers,
 * so without it the planner never learns how many rows a table holds, and a
 * page of 50 tickets out of thousands is planned as if the table held a few
 * (joining every row's relations before sorting and cutting the page).
 * PGlite keeps no activity statistics either, so a table is analysed once it
 * grew by a tenth (and 8 pages) since its last ANALYZE, as its size on disk
 * says: a cheap catalog query every minute, an ANALYZE only when it matters.
 */
export function keepStatisticsCurrent(database: Database, log: Logger): { stop(): Promise<void> } {
  if (database.kind !== "embedded") return { stop: async () => {} };
  const loop = new BackgroundLoop({
    name: "planner statistics",
    log,
    health: database.health,
    idleMs: EVERY_MS,
    run: async () => void (await database.background(() => analyzeChangedTables(database))),
  }).start(0);
  return { stop: () => loop.stop() };
}

/** ANALYZE of every table that grew enough since its last one; returns their names. */
export async function analyzeChangedTables(database: Database): Promise<string[]> {
  // relpages is the size ANALYZE last saw (0 before the first one).
  const tables = await database.prisma.$queryRaw<{ relname: string }[]>`
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
      AND pg_relation_size(c.oid) / current_setting('block_size')::int > 1.1 * greatest(c.relpages, 0) + 8`;
  for (const { relname } of tables) await database.prisma.$executeRawUnsafe(`ANALYZE "${relname.replace(/"/g, '""')}"`);
  return tables.map((t) => t.relname);
}
