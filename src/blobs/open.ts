import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PrismaClient } from "../generated/prisma/client.js";
import { SecretBox } from "../plugin-host/secrets.js";
import { TenantDataKeys } from "./data-keys.js";
import { EncryptedBlobStore } from "./encrypted-store.js";
import { LocalDiskBackend } from "./local-disk.js";
import type { BlobStore } from "./store.js";

export interface BlobStoreOptions {
  /** The server's ENCRYPTION_KEY, which seals the tenants' data keys; without it there is no store. */
  encryptionKey?: Buffer;
  previousEncryptionKeys?: Buffer[];
  /** BLOB_DIR; unset: <DATA_DIR>/blobs, or a temporary directory for DATA_DIR=memory://. */
  blobDir?: string;
  dataDir: string;
}

/**
 * Where the files go: BLOB_DIR, else beside the embedded database under
 * DATA_DIR. An in-memory database (tests) gets a temporary directory that goes
 * with it: files that outlive their rows would be unreachable anyway.
 */
export function openBlobStore(prisma: PrismaClient, opts: BlobStoreOptions): { store: BlobStore; close(): void } {
  if (!opts.encryptionKey) return { store: unavailable, close: () => {} };
  const temporary = !opts.blobDir && opts.dataDir.startsWith("memory://");
  const root = opts.blobDir
    ? path.resolve(opts.blobDir)
    : temporary
      ? mkdtempSync(path.join(os.tmpdir(), "deskgraph-blobs-"))
      : path.resolve(opts.dataDir, "blobs");
  const keys = new TenantDataKeys(prisma, new SecretBox(opts.encryptionKey, opts.previousEncryptionKeys ?? []));
  return {
    store: new EncryptedBlobStore(new LocalDiskBackend(root), keys),
    close: () => temporary && rmSync(root, { recursive: true, force: true }),
  };
}

const refuse = async (): Promise<never> => {
  throw new Error("The database was opened without ENCRYPTION_KEY, so it has no blob store");
};
const unavailable: BlobStore = { put: refuse, get: refuse, delete: refuse, deleteTenant: refuse };
