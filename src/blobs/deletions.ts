import type { Database } from "../db/database.js";
import type { TenantClient } from "../db/tenant-scope.js";

const BATCH = 200;

/**
 * Deletes the tenant's blobs queued in BlobDeletion (by the trigger on
 * Attachment: a row deleted, or pointed at another blob), then their queue
 * rows. Deleting a blob already gone is not an error, so a pass cut off
 * half-way is finished by the next. Returns how many blobs were deleted.
 */
export async function drainTenantBlobDeletions(db: TenantClient): Promise<number> {
  let deleted = 0;
  for (;;) {
    const queued = await db.blobDeletion.findMany({ orderBy: { createdAt: "asc" }, take: BATCH, select: { id: true, blobKey: true } });
    if (!queued.length) return deleted;
    for (const q of queued) await db.$blobs.delete(q.blobKey);
    await db.blobDeletion.deleteMany({ where: { id: { in: queued.map((q) => q.id) } } });
    deleted += queued.length;
    if (queued.length < BATCH) return deleted;
  }
}

/** The same for every tenant with blobs queued: after each retention sweep. */
export async function drainBlobDeletions(database: Database): Promise<number> {
  const tenants = await database.prisma.blobDeletion.findMany({ distinct: ["tenantId"], select: { tenantId: true } });
  let deleted = 0;
  for (const { tenantId } of tenants) deleted += await drainTenantBlobDeletions(database.forTenant(tenantId));
  return deleted;
}
