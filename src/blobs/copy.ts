import type { Database } from "../db/database.js";
import type { LocalDiskBackend } from "./local-disk.js";
import type { BlobBackend } from "./store.js";

export interface CopyReport {
  /** Files written to the target. */
  copied: number;
  /** Files the target held already (an earlier run). */
  present: number;
  /** Files of tenants that no longer exist: without their data key nobody can read them. */
  orphaned: number;
}

/**
 * Copies the files on the local disk into another backend (an S3 bucket) as
 * they are: each is ciphertext bound to its tenant and key, which the target
 * keeps under the same names, so nothing is decrypted or encrypted again and
 * the tenants' data keys open them there as before. Files the target already
 * holds are passed over, so a run cut off half-way is finished by the next,
 * and a second run after the switch picks up what was written meanwhile.
 */
export async function copyLocalBlobs(
  database: Database,
  from: LocalDiskBackend,
  to: BlobBackend,
  opts: { onFile?(report: CopyReport): void } = {},
): Promise<CopyReport> {
  const tenants = new Set((await database.prisma.tenantDataKey.findMany({ select: { tenantId: true } })).map((k) => k.tenantId));
  const report: CopyReport = { copied: 0, present: 0, orphaned: 0 };
  for await (const { tenantId, key } of from.blobs()) {
    if (!tenants.has(tenantId)) report.orphaned++;
    else if (await to.has(tenantId, key)) report.present++;
    else {
      await to.write(tenantId, key, await from.read(tenantId, key));
      report.copied++;
    }
    opts.onFile?.(report);
  }
  return report;
}
