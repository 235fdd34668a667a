import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

// Statements sent past Prisma's client (src/db/direct-sql.ts), on the database this run uses:
// the embedded one, or the PostgreSQL server of DATABASE_URL.
let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  // No background polling: only this file's statements are counted.
  app = await startApp({ EVENT_POLL_MS: "600000" });
  t = await app.tenant();
});
afterAll(() => app?.close());

describe("statements sent past Prisma's client", () => {
  it("answer what $queryRaw answers, for the types they return", async () => {
    const statement = () => Prisma.sql`
      SELECT ${t.id}::uuid AS id, ${"Grüße, 'quoted'"}::text AS text, ${41}::int + 1 AS n, 0.25::float8 AS ratio,
             ${true}::boolean AS yes, NULL::text AS nothing, jsonb_build_object('a', 1, 'b', ARRAY['x']) AS doc,
             ARRAY['b', 'a']::text[] AS tags, ARRAY[1.5, 2]::float8[] AS waits, ARRAY[3, 4]::int[] AS numbers,
             ${["p", "q"]}::text[] AS given`;
    const direct = await app.database.sql.$queryRaw<Record<string, unknown>[]>(statement());
    const throughPrisma = await app.database.prisma.$queryRaw<Record<string, unknown>[]>(statement());
    expect(direct).toEqual(throughPrisma);
    expect(direct).toEqual([
      {
        id: t.id,
        text: "Grüße, 'quoted'",
        n: 42,
        ratio: 0.25,
        yes: true,
        nothing: null,
        doc: { a: 1, b: ["x"] },
        tags: ["b", "a"],
        waits: [1.5, 2],
        numbers: [3, 4],
        given: ["p", "q"],
      },
    ]);
  });

  it("take a tagged template like $queryRaw, and answer $executeRaw with the rows changed", async () => {
    const [row] = await app.database.sql.$queryRaw<{ slug: string }[]>`SELECT "slug" FROM "Tenant" WHERE "id" = ${t.id}::uuid`;
    expect(row!.slug).toBe(t.slug);
    const changed = await app.database.sql.$executeRaw`UPDATE "Tenant" SET "name" = "name" WHERE "id" = ${t.id}::uuid`;
    expect(changed).toBe(1);
    expect(await app.database.sql.$executeRaw`UPDATE "Tenant" SET "name" = "name" WHERE false`).toBe(0);
  });

  it("send a date as Prisma does, in UTC, whatever the process's time zone", async () => {
    const at = new Date("2026-12-04T21:00:00.123Z");
    const statement = () => Prisma.sql`SELECT (${at}::timestamp)::text AS at`;
    const [direct] = await app.database.sql.$queryRaw<{ at: string }[]>(statement());
    const [throughPrisma] = await app.database.prisma.$queryRaw<{ at: string }[]>(statement());
    expect(direct!.at).toBe("2026-12-04 21:00:00.123");
    expect(direct!.at).toBe(throughPrisma!.at);
  });

  it("refuse a column the driver parses unlike Prisma, and name the cast", async () => {
    for (const column of ["count(*) AS n", "now()::timestamp AS at", "1.5::numeric AS amount", "now() AS at"]) {
      await expect(app.database.sql.$queryRaw(Prisma.raw(`SELECT ${column}`)), column).rejects.toThrow(/cast it/);
    }
    // Cast, the same values pass.
    const [row] = await app.database.sql.$queryRaw<{ n: number; at: string }[]>`SELECT count(*)::int AS n, now()::text AS at`;
    expect(row!.n).toBe(1);
  });

  it("fail with the database's own error", async () => {
    await expect(app.database.sql.$queryRaw`SELECT * FROM "NoSuchTable"`).rejects.toMatchObject({ code: "42P01" });
  });

  it("are counted like Prisma's: a request's apart from background work's", async () => {
    const before = app.database.queryCount;
    const backgroundBefore = app.database.backgroundQueryCount;
    await app.database.sql.$queryRaw`SELECT 1 AS "countedHere"`;
    expect(app.database.queryCount).toBe(before + 1);
    expect(app.database.statementsSince(before)).toEqual(['SELECT 1 AS "countedHere"']);
    await app.database.background(() => app.database.sql.$queryRaw`SELECT 2 AS "inTheBackground"`);
    expect(app.database.queryCount).toBe(before + 1);
    expect(app.database.backgroundQueryCount).toBe(backgroundBefore + 1);
  });
});
