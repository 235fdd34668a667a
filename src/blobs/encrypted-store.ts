import { randomUUID } from "node:crypto";
import { decryptStream, encryptStream } from "./chunked-gcm.js";
import type { TenantDataKeys } from "./data-keys.js";
import type { BlobBackend, BlobStore, Source } from "./store.js";

/** The blob store: plaintext in and out, ciphertext under each tenant's data key in the backend. */
export class EncryptedBlobStore implements BlobStore {
  constructor(
    readonly backend: BlobBackend,
    private readonly keys: TenantDataKeys,
  ) {}

  async put(tenantId: string, source: Source): Promise<{ key: string; size: number }> {
    const key = randomUUID();
    const dataKey = await this.keys.get(tenantId);
    let size = 0;
    async function* counted() {
      for await (const chunk of source) {
        size += chunk.length;
        yield chunk;
      }
    }
    await this.backend.write(tenantId, key, encryptStream(dataKey, nameOf(tenantId, key), counted()));
    return { key, size };
  }

  async get(tenantId: string, key: string): Promise<AsyncIterable<Buffer>> {
    const dataKey = await this.keys.get(tenantId);
    const stored = await this.backend.read(tenantId, key);
    return decryptStream(dataKey, nameOf(tenantId, key), stored);
  }

  delete(tenantId: string, key: string): Promise<void> {
    return this.backend.delete(tenantId, key);
  }

  async deleteTenant(tenantId: string): Promise<void> {
    this.keys.forget(tenantId);
    await this.backend.deleteTenant(tenantId);
  }
}

/** What a blob's chunks are bound to: moved to another key or tenant, it no longer opens. */
const nameOf = (tenantId: string, key: string) => `${tenantId}/${key}`;
