import { AsyncLocalStorage } from "node:async_hooks";

/** How many statement texts `statementsSince` can go back. */
const RECENT_STATEMENTS = 500;

/** The statements a database has sent, for tests and benchmarks; see `countStatements`. */
export interface StatementCount {
  /** Number of SQL statements sent so far by requests and commands, not by background work (tests use it to catch N+1 queries). */
  readonly queryCount: number;
  /** Number of SQL statements sent so far by background work (see `background`). */
  readonly backgroundQueryCount: number;
  /** Runs `work` as background work: its statements count in backgroundQueryCount, not in queryCount. */
  background<T>(work: () => Promise<T>): Promise<T>;
  /**
   * The texts of the statements sent since statement number `since` (a `queryCount`
   * read earlier; background work's statements are not among them), oldest first; only the
   * latest RECENT_STATEMENTS are kept. Tests use it to see which tables one request touched.
   */
  statementsSince(since: number): string[];
}

type QueryEvents = { $on(e: "query", cb: (e: { query: string }) => void): void };

/**
 * Counts the statements a Prisma client (opened with `log: [{ emit: "event", level: "query" }]`)
 * sends, with those of background work (the sequencer's runs, workers' passes) apart from a
 * request's. Telling them apart takes an `AsyncLocalStorage`, which makes every promise of
 * the process carry its context: a few per cent of a request's CPU and of a subscription's
 * fan-out. So only tests and benchmarks count (the `countStatements` option of openDatabase).
 */
export function countStatements(prisma: unknown): StatementCount {
  let queryCount = 0;
  let backgroundQueryCount = 0;
  // The query event fires in the async context of the call that sent the statement.
  const backgroundWork = new AsyncLocalStorage<true>();
  // A ring of the latest texts: statement n sits at n % RECENT_STATEMENTS.
  const recent: string[] = [];
  (prisma as QueryEvents).$on("query", (e) => {
    if (backgroundWork.getStore()) {
      backgroundQueryCount++;
      return;
    }
    recent[queryCount % RECENT_STATEMENTS] = e.query;
    queryCount++;
  });
  return {
    get queryCount() {
      return queryCount;
    },
    get backgroundQueryCount() {
      return backgroundQueryCount;
    },
    // Awaited inside the scope: a Prisma query is lazy, and would otherwise be sent (and counted)
    // in the context of whoever awaits the returned promise.
    background: (work) => backgroundWork.run(true, async () => await work()),
    statementsSince(since) {
      const from = Math.max(since, queryCount - RECENT_STATEMENTS, 0);
      const texts: string[] = [];
      for (let n = from; n < queryCount; n++) texts.push(recent[n % RECENT_STATEMENTS]!);
      return texts;
    },
  };
}

const notCounting = () => new Error("Statements are not counted: open the database with countStatements: true");

/** Without counting: background work is just work, and asking for a count is a mistake. */
export const uncounted: StatementCount = {
  // Async, as when counting: work that throws before its first await still rejects.
  get queryCount(): number {
    throw notCounting();
  },
  get backgroundQueryCount(): number {
    throw notCounting();
  },
  background: async (work) => await work(),
  statementsSince() {
    throw notCounting();
  },
};
