import type { Config } from "../config.js";
import { openDatabase, type Database } from "../db/database.js";
import { migrateWhenReachable } from "../db/migrate.js";
import type { CommandIO } from "./command.js";

/**
 * Opens the configured database for a command and applies pending migrations, waiting up
 * to DATABASE_STARTUP_WAIT_SECONDS for a server that is not up yet. An embedded data
 * directory that a running server holds is refused here (DatabaseLockedError).
 */
export async function openForCommand(config: Config, io: CommandIO, command: string): Promise<{ database: Database; applied: string[] }> {
  const database = await openDatabase({ ...config, holder: `deskgraph ${command}` });
  try {
    const applied = await migrateWhenReachable(() => database.migrate(), {
      waitMs: config.databaseStartupWaitMs,
      onRetry: ({ reason, delayMs, remainingMs }) =>
        io.err(
          `Database not reachable yet (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s, giving up in ${Math.ceil(remainingMs / 1000)} s`,
        ),
    });
    return { database, applied };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** Runs `work` on the command's database and closes it afterwards. */
export async function withDatabase<T>(
  config: Config,
  io: CommandIO,
  command: string,
  work: (database: Database, applied: string[]) => Promise<T>,
): Promise<T> {
  const { database, applied } = await openForCommand(config, io, command);
  try {
    return await work(database, applied);
  } finally {
    await database.close();
  }
}
