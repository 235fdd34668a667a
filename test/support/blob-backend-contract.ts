import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll, type BlobBackend } from "../../src/blobs/store.js";

/**
 * What every BlobBackend promises (src/blobs/store.ts), written once and run
 * against each backend: the local disk (test/blob-backend.test.ts) and S3
 * (plugins/s3-storage/test/s3-backend.test.ts). `open` gives a fresh backend.
 */
export function blobBackendContract(name: string, open: () => Promise<{ backend: BlobBackend; close(): Promise<void> }>) {
  describe(`the ${name} blob backend`, () => {
    let backend: BlobBackend;
    let close: () => Promise<void>;
    const tenant = randomUUID();
    const other = randomUUID();
    const read = async (t: string, key: string) => readAll(await backend.read(t, key));

    async function* pieces(data: Buffer, size = 10_000) {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    }

    beforeAll(async () => {
      ({ backend, close } = await open());
    });
    afterAll(() => close?.());

    it("keeps the bytes of a streamed source under (tenant, key) and gives them back as a stream", async () => {
      const data = randomBytes(300_000);
      const key = randomUUID();
      await backend.write(tenant, key, pieces(data));
      const stream = await backend.read(tenant, key);
      expect(stream).toBeInstanceOf(Readable);
      expect((await readAll(stream)).equals(data)).toBe(true);
      expect(await backend.has(tenant, key)).toBe(true);
    });

    it("takes a source at hand and an empty one", async () => {
      const key = randomUUID();
      await backend.write(tenant, key, [Buffer.from("one "), new Uint8Array([116, 119, 111])]);
      expect((await read(tenant, key)).toString()).toBe("one two");
      const empty = randomUUID();
      await backend.write(tenant, empty, []);
      expect((await read(tenant, empty)).length).toBe(0);
    });

    it("answers a key it does not hold with BLOB_NOT_FOUND, in the tenant that asks only", async () => {
      const key = randomUUID();
      await expect(backend.read(tenant, key)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
      expect(await backend.has(tenant, key)).toBe(false);
      await backend.write(tenant, key, [Buffer.from("mine")]);
      await expect(backend.read(other, key)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
      expect(await backend.has(other, key)).toBe(false);
    });

    it("leaves nothing under the key when the source fails half-way", async () => {
      const key = randomUUID();
      async function* failing() {
        yield randomBytes(100_000);
        throw new Error("client went away");
      }
      await expect(backend.write(tenant, key, failing())).rejects.toThrow("client went away");
      expect(await backend.has(tenant, key)).toBe(false);
      await expect(backend.read(tenant, key)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
    });

    it("deletes one blob, and deleting it again is not an error", async () => {
      const key = randomUUID();
      await backend.write(tenant, key, [Buffer.from("x")]);
      await backend.delete(tenant, key);
      expect(await backend.has(tenant, key)).toBe(false);
      await backend.delete(tenant, key);
    });

    it("deletes every blob of a tenant and none of another's", async () => {
      const doomed = randomUUID();
      const keys = [randomUUID(), randomUUID(), randomUUID()];
      for (const key of keys) await backend.write(doomed, key, [randomBytes(10)]);
      const kept = randomUUID();
      await backend.write(other, kept, [Buffer.from("stays")]);
      await backend.deleteTenant(doomed);
      for (const key of keys) expect(await backend.has(doomed, key)).toBe(false);
      expect((await read(other, kept)).toString()).toBe("stays");
      // A tenant with nothing stored.
      await backend.deleteTenant(randomUUID());
    });

    it("refuses names that are not ids, before anything is stored", async () => {
      await expect(backend.write(tenant, "../escape", [Buffer.from("x")])).rejects.toThrow(/Not a blob key/);
      await expect(backend.read("..", randomUUID())).rejects.toThrow(/Not a tenant id/);
    });

    it("is reachable", async () => {
      await expect(backend.probe()).resolves.toBeUndefined();
      expect(backend.location).not.toBe("");
    });
  });
}
