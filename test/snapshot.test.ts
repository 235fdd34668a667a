// A new embedded database starts from the migrated snapshot (src/db/snapshot.ts):
// in memory and in an empty DATA_DIR, only for the migrations it was made from.
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/db/database.js";
import { MIGRATIONS_DIR, readMigrations } from "../src/db/migrate.js";
import { ensureSnapshot, readSnapshot, snapshotKey, SNAPSHOT_DIR } from "../src/db/snapshot.js";
import { tempDirs } from "./support/cli.js";

const tempDir = tempDirs("deskgraph-snapshot-");
const ALL = readMigrations().map((m) => m.name);
const open: Database[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
});

async function openEmbedded(dataDir: string, snapshotDir?: string): Promise<Database> {
  const db = await openDatabase({ dataDir, snapshotDir });
  open.push(db);
  return db;
}

const tables = async (db: Database) =>
  (await db.prisma.$queryRaw<{ name: string }[]>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`).map((r) => r.name);

describe("the migrated snapshot", () => {
  it("exists for the current migrations once the suite has set up", () => {
    expect(readSnapshot()?.migrations).toEqual(ALL);
  });

  it("is a new in-memory database: every migration reported applied once, the schema there", async () => {
    const db = await openEmbedded("memory://");
    expect(await db.migrate()).toEqual(ALL);
    expect(await db.migrate()).toEqual([]);
    expect(await tables(db)).toEqual(expect.arrayContaining(["Tenant", "Ticket", "Message", "_prisma_migrations"]));
    const applied = await db.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`;
    expect(Number(applied[0]!.n)).toBe(ALL.length);
  });

  it("fills an empty DATA_DIR, which keeps its data over a restart and leaves nothing half-written beside it", async () => {
    const dataDir = tempDir();
    const first = await openEmbedded(dataDir);
    expect(await first.migrate()).toEqual(ALL);
    await first.prisma.tenant.create({ data: { name: "Kept", slug: "kept" } });
    await first.close();
    open.splice(open.indexOf(first), 1);

    const again = await openEmbedded(dataDir);
    expect(await again.migrate()).toEqual([]);
    expect(await again.prisma.tenant.findUnique({ where: { slug: "kept" } })).not.toBeNull();
    expect(readdirSync(dataDir).filter((name) => name.includes("partial"))).toEqual([]);
  });

  it("is not used for other migrations: their key names no snapshot", () => {
    const migrations = tempDir();
    cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
    mkdirSync(path.join(migrations, "9999_later"));
    writeFileSync(path.join(migrations, "9999_later", "migration.sql"), 'CREATE TABLE "Later" ("id" uuid PRIMARY KEY);');
    expect(snapshotKey(migrations)).not.toBe(snapshotKey());
    expect(readSnapshot(SNAPSHOT_DIR, migrations)).toBeNull();

    // A migration edited in place changes the key too.
    writeFileSync(path.join(migrations, "9999_later", "migration.sql"), 'CREATE TABLE "Later" ("id" text PRIMARY KEY);');
    const edited = snapshotKey(migrations);
    expect(edited).not.toBe(snapshotKey());
    expect(edited).not.toBe(snapshotKey(MIGRATIONS_DIR));
  });

  it("without one, a new database runs initdb and every migration as before", async () => {
    const noSnapshots = tempDir();
    const dataDir = tempDir();
    const db = await openEmbedded(dataDir, noSnapshots);
    expect(await db.migrate()).toEqual(ALL);
    expect(await tables(db)).toEqual(expect.arrayContaining(["Tenant", "Ticket"]));
    expect(existsSync(path.join(dataDir, "pglite", "PG_VERSION"))).toBe(true);
  });

  it("is made where asked, once per key, and new databases there start from it", async () => {
    const dir = tempDir();
    const made = await ensureSnapshot(dir);
    expect(made).toEqual({ file: path.join(dir, `pglite-${snapshotKey()}.tar`), made: true });
    expect(await ensureSnapshot(dir)).toEqual({ file: made.file, made: false });
    const db = await openEmbedded("memory://", dir);
    expect(await db.migrate()).toEqual(ALL);
    expect(await tables(db)).toEqual(expect.arrayContaining(["Tenant", "Ticket"]));
  });
});
