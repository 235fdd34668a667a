import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { access, constants, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BlobNotFoundError, type BlobBackend, type Source } from "./store.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Blobs as files: <root>/<tenant>/<first two characters of the key>/<key>.
 * A blob is written to a temporary file beside its place and renamed into it
 * once complete and flushed, so a failed or interrupted write leaves nothing
 * under the key (at most a temporary file, named so that it is never read).
 */
export class LocalDiskBackend implements BlobBackend {
  readonly name = "local-disk";

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private dir(tenantId: string): string {
    // Names come from the database and randomUUID, never from a client; checked anyway, as they become paths.
    if (!UUID.test(tenantId)) throw new Error(`Not a tenant id: ${tenantId}`);
    return path.join(this.root, tenantId);
  }

  private file(tenantId: string, key: string): string {
    if (!UUID.test(key)) throw new Error(`Not a blob key: ${key}`);
    return path.join(this.dir(tenantId), key.slice(0, 2), key);
  }

  async write(tenantId: string, key: string, source: Source): Promise<void> {
    const target = this.file(tenantId, key);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temporary = `${target}.${randomUUID()}.partial`;
    try {
      await pipeline(Readable.from(source), createWriteStream(temporary, { flags: "wx", mode: 0o600 }));
      const handle = await open(temporary, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, target);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }

  async read(tenantId: string, key: string): Promise<Readable> {
    const file = this.file(tenantId, key);
    // Opened before it is returned, so that a missing file is a BlobNotFoundError here and not a stream error later.
    const handle = await open(file, "r").catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? new BlobNotFoundError(key) : err;
    });
    return createReadStream("", { fd: handle, highWaterMark: 64 * 1024 });
  }

  async delete(tenantId: string, key: string): Promise<void> {
    await rm(this.file(tenantId, key), { force: true });
  }

  async deleteTenant(tenantId: string): Promise<void> {
    await rm(this.dir(tenantId), { recursive: true, force: true });
  }

  async has(tenantId: string, key: string): Promise<boolean> {
    return stat(this.file(tenantId, key)).then(
      (s) => s.isFile(),
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return false;
        throw err;
      },
    );
  }

  async probe(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await access(this.root, constants.W_OK);
  }

  /** Every complete blob on the disk, tenant by tenant (temporary files of writes under way are not blobs). */
  async *blobs(): AsyncGenerator<{ tenantId: string; key: string }> {
    const entries = (dir: string) =>
      readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return [];
        throw err;
      });
    for (const tenant of await entries(this.root)) {
      if (!tenant.isDirectory() || !UUID.test(tenant.name)) continue;
      for (const shard of await entries(path.join(this.root, tenant.name))) {
        if (!shard.isDirectory()) continue;
        for (const file of await entries(path.join(this.root, tenant.name, shard.name))) {
          if (file.isFile() && UUID.test(file.name)) yield { tenantId: tenant.name, key: file.name };
        }
      }
    }
  }
}
