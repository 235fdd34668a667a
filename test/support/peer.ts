import { loadConfig } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import { createServer, type RunningServer } from "../../src/server.js";

/**
 * Another instance of the server over the same database, as a second
 * process of a deployment would be. `env` must carry what both instances
 * share: ENCRYPTION_KEY (to open the same secrets), REDIS_URL…
 */
export function startPeer(database: Database, env: Record<string, string>): Promise<RunningServer> {
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: "memory://",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    RETENTION_SWEEP_MINUTES: "0",
    METRICS_REFRESH_SECONDS: "0",
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...env,
  });
  return createServer(config, { database });
}
