import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.js";
import { createTenant } from "../src/tenants/service.js";
import { giveBack, noteMigrated, takeEmbedded } from "./support/embedded-pool.js";

/** The test suite's hand-on of embedded databases between files (test/support/embedded-pool.ts). */
describe.skipIf(!!process.env.DATABASE_URL)("an embedded database handed to the next test file", () => {
  const open = async () => {
    const embedded = takeEmbedded();
    const database = await openDatabase({ dataDir: "memory://", embedded });
    await database.migrate();
    await noteMigrated(embedded);
    return { embedded, database };
  };

  it("comes back empty, with every migration still recorded and nothing left of the session", async () => {
    const first = await open();
    await createTenant(first.database, {
      name: "Left behind",
      slug: "left-behind",
      owner: { email: "o@left.test", name: "O", password: "correct horse battery staple" },
    });
    await first.embedded.query("SELECT pg_advisory_lock(42)");
    await first.embedded.exec("CREATE TEMP TABLE scratch (x int)");
    await first.database.close();
    await giveBack(first.embedded);

    const second = await open();
    try {
      expect(second.embedded).toBe(first.embedded);
      expect(await second.database.prisma.tenant.count()).toBe(0);
      expect(await second.database.prisma.agent.count()).toBe(0);
      const { rows } = await second.embedded.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      expect(rows[0]!.n).toBeGreaterThan(30);
      expect((await second.embedded.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory'`)).rows).toEqual([]);
      expect((await second.embedded.query(`SELECT 1 FROM pg_class WHERE relname = 'scratch'`)).rows).toEqual([]);
    } finally {
      await second.database.close();
      await giveBack(second.embedded);
    }
  });

  it("is closed instead when a file changed the schema and left it so", async () => {
    const { embedded, database } = await open();
    await embedded.exec(`ALTER TABLE "Tag" ADD COLUMN "colour" text`);
    await database.close();
    await giveBack(embedded);
    expect(embedded.closed).toBe(true);
    const next = takeEmbedded();
    expect(next).not.toBe(embedded);
    await next.close();
  });
});
