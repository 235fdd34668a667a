import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Environment } from "../plugin-host/options.js";
import { SecretBox } from "../plugin-host/secrets.js";
import { TenantDataKeys } from "./data-keys.js";
import { EncryptedBlobStore } from "./encrypted-store.js";
import { LocalDiskBackend } from "./local-disk.js";
import type { BlobBackend, BlobStore } from "./store.js";

export interface BlobStoreOptions {
  /** The server's ENCRYPTION_KEY, which seals the tenants' data keys; without it there is no store. */
  encryptionKey?: Buffer;
  previousEncryptionKeys?: Buffer[];
  /** BLOB_DIR; unset: <DATA_DIR>/blobs, or a temporary directory for DATA_DIR=memory://. */
  blobDir?: string;
  dataDir: string;
  /** The environment as read at start (Config.environment): an operator plugin's blob backend (S3) is configured from it. */
  environment?: Environment;
}

interface OpenedBlobStore {
  store: BlobStore;
  /** The operator plugin whose backend holds the files (s3-storage), or null: they are on the local disk. */
  pluginId: string | null;
  close(): void;
}

/** A blob backend an operator plugin offers, and which plugin. */
interface OperatorBackend {
  pluginId: string;
  value: BlobBackend;
}

/**
 * Where the files go: to `operator`, the backend of the plugin configured for
 * it (an S3 bucket; see operatorBlobBackend), else to BLOB_DIR, else beside
 * the embedded database under DATA_DIR. An in-memory database (tests) gets a
 * temporary directory that goes with it: files that outlive their rows would
 * be unreachable anyway.
 */
export function openBlobStore(prisma: PrismaClient, opts: BlobStoreOptions, operator: OperatorBackend | null): OpenedBlobStore {
  if (!opts.encryptionKey) return { store: unavailable, pluginId: null, close: () => {} };
  const keys = new TenantDataKeys(prisma, new SecretBox(opts.encryptionKey, opts.previousEncryptionKeys ?? []));
  if (operator) return { store: new EncryptedBlobStore(operator.value, keys), pluginId: operator.pluginId, close: () => {} };
  const configured = localBlobDir(opts);
  const root = configured ?? mkdtempSync(path.join(os.tmpdir(), "deskgraph-blobs-"));
  return {
    store: new EncryptedBlobStore(new LocalDiskBackend(root), keys),
    pluginId: null,
    close: () => !configured && rmSync(root, { recursive: true, force: true }),
  };
}

/** The directory files go to when no plugin takes them: BLOB_DIR, else DATA_DIR/blobs; null for an in-memory database without BLOB_DIR. */
export function localBlobDir(opts: Pick<BlobStoreOptions, "blobDir" | "dataDir">): string | null {
  if (opts.blobDir) return path.resolve(opts.blobDir);
  return opts.dataDir.startsWith("memory://") ? null : path.resolve(opts.dataDir, "blobs");
}

/**
 * The blob backend of the first shipped plugin the operator configured for
 * it, or null. Asked before the database opens: a bad option stops the start
 * with nothing left open. The plugins are loaded here rather than imported,
 * so that only a process that opens a store reads them, and a plugin loads its
 * SDK only where it is configured.
 */
export async function operatorBlobBackend(environment: Environment = {}): Promise<OperatorBackend | null> {
  const [{ PluginRegistry }, { operatorCapability }, { shippedPlugins }] = await Promise.all([
    import("../plugin-host/registry.js"),
    import("../plugin-host/capabilities.js"),
    import("../plugin-host/shipped.js"),
  ]);
  return operatorCapability(new PluginRegistry(shippedPlugins, environment), "blobBackend");
}

const refuse = async (): Promise<never> => {
  throw new Error("The database was opened without ENCRYPTION_KEY, so it has no blob store");
};
const unavailable: BlobStore = { backend: null, put: refuse, get: refuse, delete: refuse, deleteTenant: refuse };
