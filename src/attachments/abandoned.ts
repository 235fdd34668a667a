import { DAY_MS } from "../constants.js";
import type { Database } from "../db/database.js";

/**
 * An upload that no message took within a day after its link expired is
 * abandoned: nobody can attach or download it any more, yet it may hold
 * personal data. Its row goes, and with it (the deletion trigger queues the
 * file) whatever bytes reached the store.
 */
const GRACE_MS = DAY_MS;

/** Deletes every tenant's abandoned uploads; returns how many. The caller then drains the file deletions. */
export async function deleteAbandonedUploads(database: Database, linkTtlMs: number, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - linkTtlMs - GRACE_MS);
  const { count } = await database.prisma.attachment.deleteMany({ where: { messageId: null, createdAt: { lt: before } } });
  return count;
}
