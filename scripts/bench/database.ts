import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * A fresh database on the PostgreSQL server for one bench run, dropped by the
 * cleanup it registers (on success, error, Ctrl-C or the time limit).
 */
export async function createBenchDatabase(
  serverUrl: string,
  prefix: string,
  cleanups: (() => Promise<void>)[],
): Promise<{ url: string; version: string } | { unreachable: string }> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (e) {
    return { unreachable: (e as Error).message || String(e) };
  }
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  try {
    const { rows } = await admin.query<{ server_version: string }>("SHOW server_version");
    await admin.query(`CREATE DATABASE ${name}`);
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      console.log(`Dropped database ${name}.`);
    });
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return { url: url.toString(), version: rows[0]?.server_version ?? "?" };
  } finally {
    await admin.end();
  }
}
