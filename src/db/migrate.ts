import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describeOutage, isDatabaseUnavailable } from "./unavailable.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/** The raw connection a migration needs: run a script, run a query. */
export interface SqlConnection {
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/**
 * Applies pending migrations, each in its own transaction. It keeps the same
 * `_prisma_migrations` table as `prisma migrate deploy`, so both tools agree on
 * what has been applied. On a server, an advisory lock keeps two instances
 * starting at once from racing.
 */
export async function applyMigrations(conn: SqlConnection, dir = MIGRATIONS_DIR): Promise<string[]> {
  await conn.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`);
  await conn.query("SELECT pg_advisory_lock(72707369)");
  try {
    const done = await conn.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Map(done.map((r) => [r.migration_name, r.checksum]));
    const ran: string[] = [];
    for (const m of readMigrations(dir)) {
      const known = applied.get(m.name);
      if (known) {
        if (known !== m.checksum) throw new Error(`Migration ${m.name} was changed after it was applied`);
        continue;
      }
      await conn
        .exec(
          `BEGIN;\n${m.sql}\n;INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
         VALUES ('${randomUUID()}', '${m.checksum}', '${m.name.replace(/'/g, "''")}', now(), 1);\nCOMMIT;`,
        )
        .catch(async (err) => {
          await conn.exec("ROLLBACK").catch(() => {});
          // The cause stays attached: a connection lost mid-migration is an outage, not a broken migration.
          throw new Error(`Migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
        });
      ran.push(m.name);
    }
    return ran;
  } finally {
    await conn.query("SELECT pg_advisory_unlock(72707369)");
  }
}

/** The database did not answer within the start-up window. */
export class DatabaseUnreachableError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly reason: string,
  ) {
    super(
      `The database could not be reached${waitedMs ? ` in ${Math.round(waitedMs / 1000)} s of trying` : ""} (${reason}). ` +
        "Check DATABASE_URL and that PostgreSQL is running; DATABASE_STARTUP_WAIT_SECONDS sets how long to wait for it.",
    );
    this.name = "DatabaseUnreachableError";
  }
}

export interface StartupOptions {
  /** How long to keep trying while the database cannot be reached; 0: one attempt. */
  waitMs: number;
  /** Told before each new attempt. */
  onRetry?: (info: { attempt: number; reason: string; delayMs: number; remainingMs: number }) => void;
  /** First wait between attempts (doubles up to 5 s). */
  retryBaseMs?: number;
}

/**
 * Applies pending migrations at start, waiting for a database that is not up
 * yet (containers starting together, a restart in progress) for up to
 * `waitMs`. Only "cannot reach the database" is retried: a broken migration or
 * a wrong password fails at once. A migration interrupted by a lost connection
 * rolled back in the server and is run again.
 */
export async function migrateWhenReachable(migrate: () => Promise<string[]>, options: StartupOptions): Promise<string[]> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate();
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      const reason = describeOutage(err);
      const remainingMs = options.waitMs - (Date.now() - started);
      if (remainingMs <= 0) throw new DatabaseUnreachableError(Date.now() - started, reason);
      const delayMs = Math.min(remainingMs, 5000, (options.retryBaseMs ?? 250) * 2 ** (attempt - 1));
      options.onRetry?.({ attempt, reason, delayMs, remainingMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
