import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHUNK_BYTES } from "../src/blobs/chunked-gcm.js";
import { readAll, type BlobStore } from "../src/blobs/store.js";
import { loadConfig } from "../src/config.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { cli, embeddedEnv, tempDirs } from "./support/cli.js";

/**
 * The blob store on the local disk: files go in and out in chunks, are
 * encrypted under the tenant's data key, and any change to what is stored
 * (a flipped bit, chunks swapped, the end cut off, a file moved to another
 * key) makes reading fail instead of giving out altered bytes.
 */

const dirs = tempDirs("deskgraph-blobs-test-");
let database: Database;
let store: BlobStore;
let blobDir: string;
let tenantA: string;
let tenantB: string;

async function* pieces(data: Buffer, size = 10_000) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
const fileOf = (tenantId: string, key: string) => path.join(blobDir, tenantId, key.slice(0, 2), key);
const read = async (tenantId: string, key: string) => readAll(await store.get(tenantId, key));

beforeAll(async () => {
  blobDir = dirs();
  database = await openDatabase(
    loadConfig({ DATA_DIR: "memory://", BLOB_DIR: blobDir, LOG_LEVEL: "silent", ENCRYPTION_KEY: randomBytes(32).toString("base64") }),
  );
  await database.migrate();
  store = database.blobs;
  tenantA = (await database.prisma.tenant.create({ data: { name: "A", slug: "blob-a" } })).id;
  tenantB = (await database.prisma.tenant.create({ data: { name: "B", slug: "blob-b" } })).id;
});
afterAll(() => database?.close());

describe("the encrypted blob store", () => {
  it("stores a file of several chunks and gives it back in chunks, never the plaintext on disk", async () => {
    const data = randomBytes(3 * CHUNK_BYTES + 1234);
    const { key, size } = await store.put(tenantA, pieces(data));
    expect(size).toBe(data.length);
    const chunks: Buffer[] = [];
    for await (const c of await store.get(tenantA, key)) chunks.push(c);
    expect(chunks.length).toBe(4);
    expect(Math.max(...chunks.map((c) => c.length))).toBe(CHUNK_BYTES);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const stored = readFileSync(fileOf(tenantA, key));
    // Header (20 bytes) and a 16-byte tag per chunk.
    expect(stored.length).toBe(20 + data.length + 4 * 16);
    expect(stored.includes(data.subarray(0, 64))).toBe(false);
  });

  it("handles an empty file and a file of exactly one chunk", async () => {
    for (const data of [Buffer.alloc(0), randomBytes(CHUNK_BYTES), randomBytes(2 * CHUNK_BYTES)]) {
      const { key } = await store.put(tenantA, pieces(data, 4096));
      expect((await read(tenantA, key)).equals(data)).toBe(true);
    }
  });

  it("encrypts each tenant's files under its own data key, sealed by ENCRYPTION_KEY", async () => {
    const text = Buffer.from("the same words in two tenants");
    const a = await store.put(tenantA, pieces(text));
    const b = await store.put(tenantB, pieces(text));
    expect((await read(tenantB, b.key)).equals(text)).toBe(true);
    const keys = await database.prisma.tenantDataKey.findMany({ where: { tenantId: { in: [tenantA, tenantB] } } });
    expect(keys).toHaveLength(2);
    expect(keys[0]!.sealed).toMatch(/^v1:[0-9a-f]{8}:/);
    // A's file copied over B's key: B's data key (and name) do not open it.
    writeFileSync(fileOf(tenantB, b.key), readFileSync(fileOf(tenantA, a.key)));
    await expect(read(tenantB, b.key)).rejects.toMatchObject({ code: "BLOB_CORRUPT" });
    // Another tenant's key names nothing here.
    await expect(store.get(tenantB, a.key)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
  });

  it("refuses a changed byte, swapped chunks, a cut-off end and a file moved to another key", async () => {
    const data = randomBytes(3 * CHUNK_BYTES);
    const record = CHUNK_BYTES + 16;
    const tamperings: Record<string, (stored: Buffer) => Buffer> = {
      "a bit flipped in the second chunk": (s) => {
        const t = Buffer.from(s);
        t[20 + record + 100]! ^= 1;
        return t;
      },
      "the first two chunks swapped": (s) =>
        Buffer.concat([
          s.subarray(0, 20),
          s.subarray(20 + record, 20 + 2 * record),
          s.subarray(20, 20 + record),
          s.subarray(20 + 2 * record),
        ]),
      "the last chunk cut off": (s) => s.subarray(0, 20 + 2 * record),
      "a few bytes cut off": (s) => s.subarray(0, s.length - 5),
      "bytes appended": (s) => Buffer.concat([s, randomBytes(record)]),
      "the header changed": (s) => Buffer.concat([Buffer.from("XXXX"), s.subarray(4)]),
    };
    for (const [what, tamper] of Object.entries(tamperings)) {
      const { key } = await store.put(tenantA, pieces(data));
      writeFileSync(fileOf(tenantA, key), tamper(readFileSync(fileOf(tenantA, key))));
      await expect(read(tenantA, key), what).rejects.toMatchObject({ code: "BLOB_CORRUPT" });
    }
    const one = await store.put(tenantA, pieces(data));
    const other = await store.put(tenantA, pieces(randomBytes(10)));
    writeFileSync(fileOf(tenantA, other.key), readFileSync(fileOf(tenantA, one.key)));
    await expect(read(tenantA, other.key), "moved to another key").rejects.toMatchObject({ code: "BLOB_CORRUPT" });
  });

  it("leaves nothing behind when the source fails half-way", async () => {
    const files = () => readdirSync(blobDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
    const before = files();
    async function* failing() {
      yield randomBytes(CHUNK_BYTES * 2);
      throw new Error("client went away");
    }
    await expect(store.put(tenantA, failing())).rejects.toThrow("client went away");
    expect(files()).toBe(before);
  });

  it("deletes one blob, and a tenant's blobs with its key held in memory", async () => {
    const { key } = await store.put(tenantB, pieces(Buffer.from("x")));
    await store.delete(tenantB, key);
    await expect(store.get(tenantB, key)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
    await store.delete(tenantB, key);
    await store.deleteTenant(tenantB);
    expect(() => statSync(path.join(blobDir, tenantB))).toThrow();
  });
});

describe("secrets:rotate", () => {
  it("re-seals the tenants' data keys with the new ENCRYPTION_KEY; the files stay as they are and open with the new key alone", async () => {
    const dataDir = dirs();
    const oldKey = randomBytes(32).toString("base64");
    const newKey = randomBytes(32).toString("base64");
    const env = (vars: Record<string, string>) => ({ ...embeddedEnv(dataDir), ...vars });
    const open = (vars: Record<string, string>) => openDatabase(loadConfig(env(vars)));

    const data = randomBytes(CHUNK_BYTES + 10);
    let db = await open({ ENCRYPTION_KEY: oldKey });
    await db.migrate();
    const tenantId = (await db.prisma.tenant.create({ data: { name: "R", slug: "rotate" } })).id;
    const { key } = await db.blobs.put(tenantId, pieces(data));
    await db.close();
    const file = path.join(dataDir, "blobs", tenantId, key.slice(0, 2), key);
    const storedBefore = readFileSync(file);

    const rotated = await cli(["secrets:rotate"], env({ ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS_PREVIOUS: oldKey }));
    expect(rotated.err).toBe("");
    expect(rotated.out).toContain("Re-sealed the file keys of 1 tenant(s) with the current key.");
    expect(readFileSync(file).equals(storedBefore)).toBe(true);

    db = await open({ ENCRYPTION_KEY: newKey });
    try {
      expect((await readAll(await db.blobs.get(tenantId, key))).equals(data)).toBe(true);
    } finally {
      await db.close();
    }
    // The old key alone no longer opens the data key.
    db = await open({ ENCRYPTION_KEY: oldKey });
    try {
      await expect(db.blobs.get(tenantId, key)).rejects.toThrow(/unknown key/);
    } finally {
      await db.close();
    }
    const again = await cli(["secrets:rotate"], env({ ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS_PREVIOUS: oldKey }));
    expect(again.out).toContain("Re-sealed the file keys of 0 tenant(s) with the current key.");
  }, 60_000);
});
