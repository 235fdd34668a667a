import { openEmbedded } from "../../src/db/adapter.js";
import type { EmbeddedConnection } from "../../src/db/embedded/thread.js";

/**
 * In-memory embedded databases handed from one test file to the next. A worker runs its
 * files one after another in one process (vitest.config.ts): loading a new database from
 * the snapshot costs 1.2–1.5 s of CPU, emptying one a fraction of that. A database comes
 * back only with its schema as the migrations left it: one whose tables, columns,
 * functions or triggers a file changed and did not restore is closed instead.
 */
const spare: EmbeddedConnection[] = [];
/** The schema's fingerprint, as migrated (taken from the worker's first database). */
let migrated: string | undefined;

const FINGERPRINT = `
  SELECT md5(string_agg(x, ',' ORDER BY x)) AS f FROM (
    SELECT c.relname || ':' || c.relkind::text AS x
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
    UNION ALL SELECT c.relname || '.' || a.attname || ':' || a.atttypid::text || ':' || a.attnotnull::text
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL SELECT t.tgname || ':' || t.tgenabled::text || ':' || t.tgrelid::regclass::text FROM pg_trigger t WHERE NOT t.tgisinternal
    UNION ALL SELECT p.proname || ':' || md5(p.prosrc)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
  ) s`;

const fingerprint = async (db: EmbeddedConnection) => (await db.query<{ f: string }>(FINGERPRINT)).rows[0]!.f;

/** An emptied database from an earlier file, or a new one from the snapshot. */
export function takeEmbedded(): EmbeddedConnection {
  return spare.pop() ?? openEmbedded("memory://").db;
}

/** Called once the database is migrated: the first one's schema is what the others are held to. */
export async function noteMigrated(db: EmbeddedConnection): Promise<void> {
  migrated ??= await fingerprint(db);
}

/** Empties the database for the next file (every table but the migrations' record), or closes it. */
export async function giveBack(db: EmbeddedConnection): Promise<void> {
  try {
    if (!migrated || (await fingerprint(db)) !== migrated) return await db.close();
    const { rows } = await db.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
    );
    await db.exec(`TRUNCATE ${rows.map((r) => `"${r.t}"`).join(", ")} RESTART IDENTITY CASCADE`);
    // Session state: prepared statements, LISTENs, advisory locks, temporary tables. (Not DISCARD ALL:
    // its RESET ALL would take away the search_path EmbeddedConnection starts with.)
    for (const sql of ["DEALLOCATE ALL", "UNLISTEN *", "SELECT pg_advisory_unlock_all()", "DISCARD TEMP"]) await db.exec(sql);
    spare.push(db);
  } catch {
    await db.close().catch(() => {});
  }
}
