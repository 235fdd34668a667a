import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/db/database.js";
import { analyzeChangedTables } from "../src/db/statistics.js";
import { createTenant } from "../src/tenants/service.js";

// The embedded database runs no autovacuum: the server analyses the tables that grew
// (src/db/statistics.ts). Opened without a server, so that no other pass runs meanwhile.
describe("the embedded database's planner statistics", () => {
  let database: Database;
  let tenantId: string;

  const addContacts = (n: number, from: number) =>
    database.prisma.$executeRawUnsafe(
      `INSERT INTO "Contact" ("id", "tenantId", "name", "email", "updatedAt")
       SELECT gen_random_uuid(), $1::uuid, 'Person ' || g, 'p' || g || '@stats.test', now() FROM generate_series($2::int, $3::int) g`,
      tenantId,
      from,
      from + n - 1,
    );
  const contactStatistics = async () =>
    (await database.prisma.$queryRaw<{ tuples: number }[]>`SELECT reltuples::int AS tuples FROM pg_class WHERE relname = 'Contact'`)[0]!;

  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    await database.migrate();
    ({
      tenant: { id: tenantId },
    } = await createTenant(database, {
      name: "Stats",
      slug: "stats",
      owner: { email: "o@stats.test", name: "O", password: "correct horse battery staple" },
    }));
    await analyzeChangedTables(database);
  });
  afterAll(() => database?.close());

  it("analyses a table once it grew by a tenth and 8 pages, and leaves the others alone", async () => {
    expect(await analyzeChangedTables(database)).toEqual([]);

    await addContacts(3000, 1);
    expect(await analyzeChangedTables(database)).toEqual(["Contact"]);
    expect((await contactStatistics()).tuples).toBe(3000);
    expect(await analyzeChangedTables(database)).toEqual([]);

    // A few more rows: not worth an ANALYZE yet.
    await addContacts(20, 3001);
    expect(await analyzeChangedTables(database)).toEqual([]);
    expect((await contactStatistics()).tuples).toBe(3000);
  });

  it("has a plan cached while a table was nearly empty made again once the table grew", async () => {
    // A prepared statement's generic plan is kept as a PL/pgSQL function keeps its statements' plans.
    const { prisma } = database;
    await prisma.$executeRawUnsafe(`PREPARE org_rows (uuid) AS SELECT "id" FROM "Organization" WHERE "tenantId" = $1`);
    await prisma.$executeRawUnsafe(`SET plan_cache_mode = force_generic_plan`);
    const rowsOf = (plan: string) => Number(/rows=(\d+)/.exec(plan)![1]);
    const plan = async () =>
      (await prisma.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN EXECUTE org_rows('${tenantId}')`))
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    try {
      const believedEmpty = await plan();
      expect(rowsOf(believedEmpty)).toBeLessThan(100);
      await prisma.$executeRawUnsafe(
        `INSERT INTO "Organization" ("id", "tenantId", "name", "updatedAt")
         SELECT gen_random_uuid(), $1::uuid, 'Org ' || g, now() FROM generate_series(1, 20000) g`,
        tenantId,
      );
      expect(await plan()).toBe(believedEmpty);
      expect(await analyzeChangedTables(database)).toContain("Organization");
      expect(rowsOf(await plan())).toBe(20000);
    } finally {
      await prisma.$executeRawUnsafe(`RESET plan_cache_mode`);
      await prisma.$executeRawUnsafe(`DEALLOCATE org_rows`);
    }
  });
});
