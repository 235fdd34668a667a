import { randomBytes } from "node:crypto";
import { loadConfig, type Config } from "../../src/config.js";

/**
 * The server configuration a bench runs Deskgraph with: 127.0.0.1 on an
 * ephemeral port, silent (BENCH_LOG_LEVEL to see its logs), a throwaway encryption key, PGlite in memory unless
 * a server database is given.
 */
export function benchConfig(databaseUrl?: string): Config {
  return loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: "memory://",
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "silent",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    // The first retention sweep starts 10 s after start, in the middle of a measurement;
    // nothing a bench seeds is old enough for it to remove.
    RETENTION_SWEEP_MINUTES: "0",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    // The per-tenant share of the server can be compared: TENANT_MAX_CONCURRENT_OPERATIONS=0 npm run bench:compare
    ...(process.env.TENANT_MAX_CONCURRENT_OPERATIONS
      ? { TENANT_MAX_CONCURRENT_OPERATIONS: process.env.TENANT_MAX_CONCURRENT_OPERATIONS }
      : {}),
    // …and so can the query plan cache: QUERY_PLAN_CACHE_ENTRIES=0 npm run bench:compare
    ...(process.env.QUERY_PLAN_CACHE_ENTRIES ? { QUERY_PLAN_CACHE_ENTRIES: process.env.QUERY_PLAN_CACHE_ENTRIES } : {}),
  });
}
