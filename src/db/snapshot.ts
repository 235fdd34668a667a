// A migrated, empty embedded database, kept as the tarball PGlite's dumpDataDir
// writes. Starting PGlite on an empty directory runs initdb (about 4 s of CPU)
// and then every migration; loading this snapshot instead takes well under a
// second. `npm run build` makes it (scripts/build-snapshot.mjs), the test suite
// makes it once per run (test/support/global-setup.ts), and every new embedded
// database — a fresh DATA_DIR or a `memory://` one — starts from it.
//
// A snapshot is named by a key over what it was made from: the PGlite build, the
// extensions and every migration's name and checksum. Code whose migrations
// differ computes another key and finds no snapshot, so it falls back to initdb
// and the migrations: a stale schema is never loaded.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { EXTENSIONS } from "./extensions.js";
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from "./migrate.js";

/** The installation's root: the first directory above this module that has node_modules (the sources' or dist's parent). */
function installationRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "node_modules")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Where snapshots are kept: a cache, as other tools keep theirs; deleting it costs only time. */
export const SNAPSHOT_DIR = path.join(installationRoot(), "node_modules", ".cache", "deskgraph");

/** Snapshots of other keys kept beside the current one (other checkouts sharing node_modules, a branch switch). */
const KEEP_OTHERS = 3;

/** The installed PGlite's version: another one may write its data directory differently. */
function pgliteVersion(): string {
  // Its package.json is not among its exports: found from the entry point (dist/index.cjs).
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  return (JSON.parse(readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version: string }).version;
}

export function snapshotKey(migrationsDir = MIGRATIONS_DIR): string {
  const hash = createHash("sha256").update(`pglite ${pgliteVersion()}\nextensions ${Object.keys(EXTENSIONS).sort().join(",")}\n`);
  for (const m of readMigrations(migrationsDir)) hash.update(`${m.name} ${m.checksum}\n`);
  return hash.digest("hex").slice(0, 24);
}

const fileFor = (dir: string, key: string) => path.join(dir, `pglite-${key}.tar`);

export interface Snapshot {
  /** The tarball, as dumpDataDir wrote it. */
  tarball: Buffer<ArrayBuffer>;
  /** The migrations it contains, oldest first. */
  migrations: string[];
}

/** The snapshot for the current migrations, or null when none was made (then the caller runs initdb and migrates). */
export function readSnapshot(dir = SNAPSHOT_DIR, migrationsDir = MIGRATIONS_DIR): Snapshot | null {
  const file = fileFor(dir, snapshotKey(migrationsDir));
  if (!existsSync(file)) return null;
  return { tarball: readFileSync(file), migrations: readMigrations(migrationsDir).map((m) => m.name) };
}

/**
 * Makes the snapshot for the current migrations unless it exists: initdb and all
 * migrations in memory, then the dump. Written to a temporary name and renamed,
 * so that a reader never sees half a file, whoever else makes it at the same time.
 */
export async function ensureSnapshot(dir = SNAPSHOT_DIR, migrationsDir = MIGRATIONS_DIR): Promise<{ file: string; made: boolean }> {
  const file = fileFor(dir, snapshotKey(migrationsDir));
  if (existsSync(file)) return { file, made: false };
  const db = new PGlite("memory://", { extensions: EXTENSIONS });
  try {
    await applyMigrations(
      {
        exec: async (sql) => void (await db.exec(sql)),
        query: async (sql, params) => (await db.query(sql, params)).rows as never[],
      },
      migrationsDir,
    );
    // Uncompressed: gunzipping costs every load more than the disk space is worth.
    const dump = await db.dumpDataDir("none");
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${randomBytes(4).toString("hex")}.partial`;
    writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
    renameSync(partial, file);
  } finally {
    await db.close();
  }
  pruneOthers(dir, file);
  return { file, made: true };
}

function pruneOthers(dir: string, current: string): void {
  const others = readdirSync(dir)
    .filter((name) => /^pglite-[0-9a-f]+\.tar$/.test(name))
    .map((name) => path.join(dir, name))
    .filter((file) => file !== current)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of others.slice(KEEP_OTHERS)) rmSync(file, { force: true });
}

/**
 * Writes the snapshot's files into `dataDir`, which must not exist yet or be
 * empty. They are written next to it and renamed into place: a start cut short
 * leaves no half-written database behind, only a directory the next start ignores.
 *
 * The tarball is the plain ustar that PGlite's dumpDataDir writes: directories
 * and regular files, names of at most 155 + 100 characters. Anything else is
 * refused. (Reading it here takes a tenth of the time that PGlite's own loader
 * or the tar package take to write the same files on disk, measured.)
 */
export function extractSnapshot(tarball: Uint8Array, dataDir: string): void {
  const buf = Buffer.from(tarball.buffer, tarball.byteOffset, tarball.byteLength);
  const staging = `${dataDir}.${randomBytes(4).toString("hex")}.partial`;
  mkdirSync(staging, { recursive: true });
  try {
    const text = (from: number, to: number) => buf.toString("latin1", from, to).replace(/\0.*$/s, "");
    for (let at = 0; at + 512 <= buf.length; ) {
      if (buf[at] === 0) break; // the end-of-archive blocks
      const prefix = text(at + 345, at + 500);
      const name = path.posix.normalize((prefix ? `${prefix}/` : "") + text(at, at + 100)).replace(/^\/+/, "");
      const size = parseInt(text(at + 124, at + 136).trim() || "0", 8);
      const type = String.fromCharCode(buf[at + 156]!);
      if (name.startsWith("..") || !Number.isFinite(size)) throw new Error(`Snapshot entry "${name}" is not a plain relative path`);
      const target = path.join(staging, name);
      if (type === "5") mkdirSync(target, { recursive: true });
      else if (type === "0" || type === "\0") {
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, buf.subarray(at + 512, at + 512 + size));
      } else throw new Error(`Snapshot entry "${name}" is of tar type "${type}": only directories and files are expected`);
      at += 512 + Math.ceil(size / 512) * 512;
    }
    rmSync(dataDir, { recursive: true, force: true }); // empty (checked by the caller)
    renameSync(staging, dataDir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
