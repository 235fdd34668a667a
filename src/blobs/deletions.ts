import type { Database } from "../db/database.js";

const BATCH = 200;

/**
 * Deletes the blobs queued in BlobDeletion (by the trigger on Attachment: a
 * row deleted or pointed at another blob), then their queue rows. Deleting a
 * blob that is already gone is not an error, so a pass cut off half-way is
 * finished by the next. Returns how many blobs were deleted.
 */
export async function drainBlobDeletions(database: Database, tenantId?: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const queued = await database.prisma.blobDeletion.findMany({
      where: tenantId ? { tenantId } : {},
      orderBy: { createdAt: "asc" },
      take: BATCH,
      select: { id: true, tenantId: true, blobKey: true },
    });
    if (!queued.length) return deleted;
    for (const q of queued) await database.blobs.delete(q.tenantId, q.blobKey);
    await database.prisma.blobDeletion.deleteMany({ where: { id: { in: queued.map((q) => q.id) } } });
    deleted += queued.length;
    if (queued.length < BATCH) return deleted;
  }
}
