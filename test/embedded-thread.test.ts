import { spawnSync } from "node:child_process";
import { messages } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEmbedded } from "../src/db/adapter.js";
import { deserializeError, serializeError } from "../src/db/embedded/protocol.js";
import { EmbeddedThread } from "../src/db/embedded/thread.js";
import { DatabaseUnavailableError } from "../src/db/unavailable.js";
import { workerScript } from "../src/worker-script.js";

// The embedded database in a thread of its own (src/db/embedded/): every suite on the embedded
// database runs through it; these are the calls' own promises, one by one.
describe("the embedded database's thread", () => {
  let db: EmbeddedThread;

  beforeAll(async () => {
    db = openEmbedded("memory://").db;
    await db.exec(`CREATE TABLE thread_t (id int PRIMARY KEY, note text, bytes bytea)`);
  });
  afterAll(() => db.close());

  it("answers with rows as the thread parsed them, and the caller's parsers run on their types' text", async () => {
    const parsers = { 20: (text: string) => `int8 ${text}` };
    const { rows, fields } = await db.query<unknown[]>(
      `SELECT 7::int8 AS a, NULL::int8 AS b, '{"x":1}'::jsonb AS c, '2026-12-04T01:00:00Z'::timestamptz AS d, 3::int4 AS e`,
      [],
      { rowMode: "array", parsers },
    );
    expect(fields.map((f) => f.name)).toEqual(["a", "b", "c", "d", "e"]);
    expect(rows).toEqual([["int8 7", null, { x: 1 }, new Date("2026-12-04T01:00:00Z"), 3]]);
    const named = await db.query<{ a: string }>(`SELECT 8::int8 AS a`, [], { parsers });
    expect(named.rows).toEqual([{ a: "int8 8" }]);
  });

  it("passes on another error with its kind's name and its own fields", () => {
    const thrown = Object.assign(new TypeError("not a function"), { code: "E_OWN", detail: { nested: true } });
    const passed = deserializeError(serializeError(thrown));
    expect(passed).not.toBeInstanceOf(messages.DatabaseError);
    expect(passed).toMatchObject({ name: "TypeError", message: "not a function", code: "E_OWN" });
  });

  it("takes bytes as parameters and gives them back", async () => {
    const bytes = Buffer.from([0, 1, 254, 255]);
    await db.query(`INSERT INTO thread_t (id, bytes) VALUES (100, $1)`, [bytes]);
    const { rows } = await db.query<{ bytes: Uint8Array }>(`SELECT bytes FROM thread_t WHERE id = 100`);
    expect(Buffer.from(rows[0]!.bytes)).toEqual(bytes);
  });

  it("raises the database's errors as PGlite's DatabaseError, with their code and fields", async () => {
    await db.query(`INSERT INTO thread_t (id) VALUES (1)`);
    const err = await db.query(`INSERT INTO thread_t (id) VALUES (1)`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(messages.DatabaseError);
    expect(err).toMatchObject({ code: "23505", constraint: "thread_t_pkey", table: "thread_t", severity: "ERROR" });
    expect((err as Error).message).toMatch(/duplicate key/);
  });

  it("commits a transaction whose callback returns, with its statements in the order sent", async () => {
    const result = await db.transaction(async (tx) => {
      const inserts = [2, 3, 4].map((id) => tx.query(`INSERT INTO thread_t (id, note) VALUES ($1, 'in order')`, [id]));
      await Promise.all(inserts);
      return (await tx.query<{ ids: number[] }>(`SELECT array_agg(id ORDER BY id) AS ids FROM thread_t WHERE note = 'in order'`)).rows[0]!
        .ids;
    });
    expect(result).toEqual([2, 3, 4]);
    expect((await db.query(`SELECT 1 FROM thread_t WHERE note = 'in order'`)).rows).toHaveLength(3);
  });

  it("rolls back a transaction whose callback throws, and one rolled back by hand", async () => {
    const thrown = await db
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO thread_t (id, note) VALUES (10, 'thrown')`);
        throw new Error("changed my mind");
      })
      .catch((e: Error) => e.message);
    expect(thrown).toBe("changed my mind");
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO thread_t (id, note) VALUES (11, 'by hand')`);
      // As the Prisma adapter does it: not awaited, then the callback returns.
      void tx.rollback();
    });
    expect((await db.query(`SELECT id FROM thread_t WHERE id IN (10, 11)`)).rows).toEqual([]);
  });

  it("makes a statement sent outside an open transaction wait for its end, as PGlite itself does", async () => {
    let inside!: () => void;
    const opened = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.query(`INSERT INTO thread_t (id, note) VALUES (20, 'waited for')`);
      inside();
      await held;
    });
    await opened;
    const outside = db.query<{ n: number }>(`SELECT count(*)::int AS n FROM thread_t WHERE id = 20`);
    finish();
    await transaction;
    expect((await outside).rows[0]!.n).toBe(1);
  });

  it("keeps the server's event loop running while a statement runs", async () => {
    const order: string[] = [];
    const statement = db.query(`SELECT count(*) FROM generate_series(1, 2000000)`).then(() => order.push("statement"));
    await new Promise((resolve) => setImmediate(resolve));
    order.push("event loop");
    await statement;
    expect(order).toEqual(["event loop", "statement"]);
  });

  it("hands out notifications to every listener, and none after unlisten", async () => {
    const heard: string[] = [];
    // Two listeners at once: the second waits for the first's LISTEN.
    const [first, second] = await Promise.all([
      db.listen("thread_news", (payload) => heard.push(`first ${payload}`)),
      db.listen("thread_news", (payload) => heard.push(`second ${payload}`)),
    ]);
    await db.query(`SELECT pg_notify('thread_news', 'one')`);
    await first();
    await db.query(`SELECT pg_notify('thread_news', 'two')`);
    await second();
    await db.query(`SELECT pg_notify('thread_news', 'three')`);
    expect(heard).toEqual(["first one", "second one", "second two"]);
  });

  it("listens again on every listen, as PGlite does, so a session's UNLISTEN * in between loses nothing", async () => {
    const heard: string[] = [];
    // Left open, as a file that ends without closing its listener leaves it for the next (test/support/embedded-pool.ts).
    const stale = await db.listen("thread_again", () => {});
    await db.exec("UNLISTEN *");
    const unlisten = await db.listen("thread_again", (payload) => heard.push(payload));
    await db.query(`SELECT pg_notify('thread_again', 'heard')`);
    await unlisten();
    await stale();
    expect(heard).toEqual(["heard"]);
  });

  it("answers every call, pending or new, as unavailable once the thread stopped", async () => {
    const other = openEmbedded("memory://").db;
    await other.query("SELECT 1");
    const pending = other.query(`SELECT count(*) FROM generate_series(1, 50000000)`);
    await (other as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(pending).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(other.query("SELECT 1")).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(other.closed).toBe(true);
  });

  it("answers every call with the reason a database could not open, and closes without complaint", async () => {
    const broken = new EmbeddedThread({ dataDir: "/proc/version/pglite" });
    await expect(broken.query("SELECT 1")).rejects.toThrow(/ENOTDIR/);
    await broken.close();
    expect(broken.closed).toBe(true);
  });

  it("starts from the compiled script next to a built module, even behind a loader's query", () => {
    const built = workerScript("file:///srv/deskgraph/dist/src/db/embedded/thread.js?tsx-namespace=1", "worker");
    expect(built).toEqual({ script: new URL("file:///srv/deskgraph/dist/src/db/embedded/worker.js"), evaluated: false });
    const source = workerScript("file:///srv/deskgraph/src/db/embedded/thread.ts", "worker");
    expect(source.evaluated).toBe(true);
    expect(source.script).toContain(JSON.stringify("file:///srv/deskgraph/src/db/embedded/worker.ts"));
  });

  it("does not keep a process alive once it has nothing to do", () => {
    const script = `
      import { openEmbedded } from "./src/db/adapter.ts";
      const { db } = openEmbedded("memory://");
      const { rows } = await db.query("SELECT 41 + 1 AS answer");
      console.log(rows[0].answer);
    `;
    // Never closed: the process ends by itself. (The timeout only ends a run that would hang.)
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: process.cwd(),
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("42");
    expect(run.status).toBe(0);
  });
});
