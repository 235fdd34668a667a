import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";
import { options, type S3Options } from "./options.js";

/**
 * Amazon S3 file storage: every tenant's attachment files in the operator's
 * bucket instead of on the server's disk. Configured from the environment
 * (options.ts), not per tenant; the core's blob store (src/blobs/) encrypts
 * each file under its tenant's key and hands the ciphertext to the backend
 * built here.
 */
export const s3Storage: PluginDefinition<Record<string, never>, S3Options | null> = {
  manifest,
  options,
  // The backend's module, and with it the AWS SDK, is loaded only where a bucket is configured.
  provides: { blobBackend: async (s3) => (s3 ? (await import("./backend.js")).createS3Backend(s3) : null) },
  // The files go with their attachments, through the core's blob store: nothing is kept here apart from them.
  erase: async () => ({
    store: "Amazon S3",
    deleted: 0,
    note: "Attachment files in the bucket are deleted with their attachments by the core's erasure",
  }),
};
