import type { Database } from "../db/database.js";

export interface MoveOptions {
  /** Files moved per batch (each batch is read, stored and written back before the next). */
  batch?: number;
  /** Checked between files: a shutdown stops the move, and the next run continues it. */
  signal?: AbortSignal;
  onBatch?(moved: number, total: number): void;
}

/**
 * Moves the bytes of attachments stored in the database (before the blob
 * store) into the blob store: each file is stored, then its row is switched
 * to the blob and its `content` cleared, on condition that the row still
 * holds those bytes. A run cut off half-way, or two at once, leave every row
 * either moved or as it was, so running it again is always safe. Returns how
 * many files were moved.
 */
export async function moveAttachmentsToStore(database: Database, opts: MoveOptions = {}): Promise<number> {
  const batch = opts.batch ?? 100;
  let moved = 0;
  let after: string | undefined;
  for (;;) {
    // Ids first, bytes one file at a time: a batch of large files would not fit in memory.
    const ids = await database.prisma.attachment.findMany({
      where: { content: { not: null }, blobKey: null, ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: "asc" },
      take: batch,
      select: { id: true },
    });
    for (const { id } of ids) {
      if (opts.signal?.aborted) return moved;
      const row = await database.prisma.attachment.findUnique({ where: { id }, select: { tenantId: true, content: true, blobKey: true } });
      if (!row?.content || row.blobKey) continue;
      const blob = await database.blobs.put(row.tenantId, [row.content]);
      const { count } = await database.prisma.attachment.updateMany({
        where: { id, blobKey: null, content: { equals: row.content } },
        data: { blobKey: blob.key, content: null, size: blob.size },
      });
      // Changed meanwhile (redacted, moved by another run, deleted): this copy is not used.
      if (count) moved++;
      else await database.blobs.delete(row.tenantId, blob.key);
    }
    opts.onBatch?.(ids.length, moved);
    if (ids.length < batch) return moved;
    after = ids.at(-1)!.id;
  }
}
