import pg from "pg";

let statements = 0;
let wrapped = false;

/**
 * Counts the SQL statements every node-postgres client in this process sends,
 * pooled ones included, by wrapping Client#query (pool.query ends there too).
 * For the peers in bench:compare, whose libraries bring no counter of their own;
 * pg_stat_statements would do it server-side, but it needs a preload and a restart.
 */
export function countPgStatements(): () => number {
  if (!wrapped) {
    wrapped = true;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
      statements++;
      return query.apply(this, args);
    };
  }
  return () => statements;
}
