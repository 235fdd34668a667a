import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { preparingClient } from "../src/db/statement-cache.js";

// The statements a connection holds prepared are visible to that connection only: each test
// asks through a pool of one.
describe.skipIf(!process.env.DATABASE_URL)("prepared statements on a server connection (PostgreSQL server)", () => {
  let pool: pg.Pool | undefined;
  afterEach(async () => {
    await pool?.end();
    pool = undefined;
  });

  const poolOf = (capacity: number) =>
    (pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1, Client: preparingClient(capacity) }));
  const prepared = async (p: pg.Pool) =>
    (await p.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")).rows.map(
      (r) => r.statement,
    );
  // Sent as Prisma's adapter sends them: a config object with text and values.
  const send = (p: pg.Pool, text: string, values: unknown[] = []) => p.query({ text, values });

  it("prepares a statement once it is sent again, up to the capacity, and answers the same", async () => {
    const p = poolOf(2);
    const a = "SELECT $1::int + 1 AS n";
    expect((await send(p, a, [1])).rows).toEqual([{ n: 2 }]);
    expect(await prepared(p)).toEqual([]);
    expect((await send(p, a, [2])).rows).toEqual([{ n: 3 }]);
    expect((await send(p, a, [3])).rows).toEqual([{ n: 4 }]);
    const b = "SELECT $1::text || 'b' AS s";
    const c = "SELECT $1::text || 'c' AS s";
    for (const text of [b, b, c, c, c]) await send(p, text, ["x"]);
    expect((await send(p, c, ["y"])).rows).toEqual([{ s: "yc" }]);
    // The third frequent statement finds the connection full: it stays unnamed.
    expect(await prepared(p)).toEqual([a, b]);
  });

  it("prepares nothing with a capacity of 0", async () => {
    const p = poolOf(0);
    for (let i = 0; i < 3; i++) await send(p, "SELECT $1::int AS n", [i]);
    expect(await prepared(p)).toEqual([]);
  });

  it("prepares again a statement whose first preparation failed in an aborted transaction", async () => {
    const p = poolOf(10);
    const a = "SELECT $1::int * 2 AS n";
    await send(p, a, [1]);
    const client = await p.connect();
    try {
      await client.query("BEGIN");
      await expect(client.query("SELECT no_such_column FROM pg_class")).rejects.toThrow(/no_such_column/);
      // The second sending would prepare it: refused, the transaction being aborted.
      await expect(client.query({ text: a, values: [2] })).rejects.toThrow(/aborted/);
      await client.query("ROLLBACK");
      expect((await client.query({ text: a, values: [3] })).rows).toEqual([{ n: 6 }]);
    } finally {
      client.release();
    }
    expect(await prepared(p)).toEqual([a]);
  });
});
