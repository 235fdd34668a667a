import type { Readable } from "node:stream";

/**
 * Where attachment bytes live. Two layers:
 *
 * - a `BlobBackend` keeps opaque bytes under (tenant, key): the local disk
 *   (./local-disk.ts) by default, or an object store offered by an operator
 *   plugin (plugins/s3-storage) without anything above it changing;
 * - the `BlobStore` (./encrypted-store.ts) encrypts what goes to the backend
 *   under the tenant's data key, so that no backend ever holds plaintext.
 *
 * Everything streams: neither layer holds a whole file in memory.
 */
/** Bytes to store, as they arrive (a request body) or at hand (a Buffer in an array). */
export type Source = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface BlobBackend {
  /** A short name for logs and docs: "local-disk", "s3"… */
  readonly name: string;
  /** Where the bytes are, for the startup log: a directory, a bucket and prefix. */
  readonly location: string;
  /**
   * Stores `source` under (tenantId, key), all or nothing: when `source` fails
   * or ends early, nothing is left under the key.
   */
  write(tenantId: string, key: string, source: Source): Promise<void>;
  /** The bytes under (tenantId, key); a BlobNotFoundError when there are none. */
  read(tenantId: string, key: string): Promise<Readable>;
  /** Deletes one blob; nothing to delete is not an error. */
  delete(tenantId: string, key: string): Promise<void>;
  /** Deletes every blob of the tenant. */
  deleteTenant(tenantId: string): Promise<void>;
  /** Whether (tenantId, key) holds a blob, without reading it (a copy between backends skips those). */
  has(tenantId: string, key: string): Promise<boolean>;
  /** Resolves when the backend can be reached now, throws otherwise (readiness). */
  probe(): Promise<void>;
}

/** The plaintext face of the store, keyed per tenant. */
export interface BlobStore {
  /** Where the ciphertext goes; null when the store is unavailable (no ENCRYPTION_KEY). */
  readonly backend: BlobBackend | null;
  /** Stores a new blob and returns its key and its length in bytes (plaintext). */
  put(tenantId: string, source: Source): Promise<{ key: string; size: number }>;
  /**
   * The blob's plaintext. Each chunk is authenticated before it is given out:
   * a changed, reordered or cut-off file fails with a BlobIntegrityError
   * instead of yielding altered bytes.
   */
  get(tenantId: string, key: string): Promise<AsyncIterable<Buffer>>;
  delete(tenantId: string, key: string): Promise<void>;
  /** Every blob of the tenant, and the data key held for it in memory. */
  deleteTenant(tenantId: string): Promise<void>;
}

/** One tenant's part of the store: what a tenant-scoped database client hands out as `$blobs`. */
export interface TenantBlobs {
  put(source: Source): Promise<{ key: string; size: number }>;
  get(key: string): Promise<AsyncIterable<Buffer>>;
  delete(key: string): Promise<void>;
}

export const forTenant = (store: BlobStore, tenantId: string): TenantBlobs => ({
  put: (source) => store.put(tenantId, source),
  get: (key) => store.get(tenantId, key),
  delete: (key) => store.delete(tenantId, key),
});

export class BlobNotFoundError extends Error {
  readonly code = "BLOB_NOT_FOUND";
  constructor(key: string) {
    super(`No blob ${key} in the store`);
  }
}

export class BlobIntegrityError extends Error {
  readonly code = "BLOB_CORRUPT";
}

/** Reads a whole blob into memory: for small files only (text files erasure searches, the deprecated base64 field). */
export async function readAll(chunks: Source, limit = Infinity): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > limit) throw new RangeError(`The blob is larger than ${limit} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
