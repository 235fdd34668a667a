import { randomInt } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.js";
import { until } from "./support/webhooks.js";

const serverUrl = process.env.DATABASE_URL;

/** DATABASE_POOL_SIZE reaches the pool (config.test.ts reads the variable). */
describe.skipIf(!serverUrl)("the server pool's size (PostgreSQL server)", () => {
  it("opens at most databasePoolSize connections; a statement beyond them waits for one, then runs", async () => {
    // Statements that block until the test lets them go: a shared lock on a key another session holds.
    const key = randomInt(1, 2 ** 47);
    const holder = new pg.Client({ connectionString: serverUrl });
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock($1)", [key]);
    const db = await openDatabase({ databaseUrl: serverUrl, dataDir: "memory://", databasePoolSize: 2 });
    try {
      const blocked = Promise.all(
        Array.from({ length: 3 }, () => db.prisma.$queryRaw`SELECT pg_advisory_xact_lock_shared(${key}::bigint)::text AS ok`),
      );
      await until(() => db.poolStats()!.waiting === 1, 10_000, "the third statement to wait for a connection");
      expect(db.poolStats()).toMatchObject({ total: 2, waiting: 1 });
      await holder.query("SELECT pg_advisory_unlock($1)", [key]);
      expect(await blocked).toHaveLength(3);
      expect(db.poolStats()!.total).toBe(2);
    } finally {
      // The holder first: its session ending lets any statement still blocked go.
      await holder.end();
      await db.close();
    }
  });
});
