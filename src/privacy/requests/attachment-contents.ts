import { wholeFile } from "../../attachments/service.js";
import { isTextLikeType, textOf } from "../../attachments/text.js";
import type { TenantClient } from "../../db/tenant-scope.js";

export interface StoredFile {
  id: string;
  /** The requester of the ticket the file is on. */
  requesterId: string;
  /** The file as text, or null when it cannot be searched (not text-like, not UTF-8, or too large to read whole). */
  text: string | null;
}

/** Text files are read whole to be searched: one at a time, and none larger than this (it counts as not searchable). */
const MAX_SEARCHED_TEXT_BYTES = 16 * 1024 * 1024;

/**
 * Every stored file of the tenant (on a message or uploaded for one), page by
 * page in id order, with the text of those that can be read as text. Only
 * text-like files are read from the blob store: the others cannot be searched
 * whatever they hold.
 */
export async function* attachmentFiles(db: TenantClient, batch: number): AsyncGenerator<StoredFile[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await db.attachment.findMany({
      where: { ...(after ? { id: { gt: after } } : {}), OR: [{ blobKey: { not: null } }, { content: { not: null } }] },
      orderBy: { id: "asc" },
      take: batch,
      select: { id: true, contentType: true, size: true, blobKey: true, ticket: { select: { requesterId: true } } },
    });
    if (!rows.length) return;
    const files: StoredFile[] = [];
    for (const r of rows) {
      let text: string | null = null;
      if (isTextLikeType(r.contentType) && r.size <= MAX_SEARCHED_TEXT_BYTES) {
        // Rows from before the blob store still hold their bytes: loaded for this one file only.
        const content = r.blobKey
          ? null
          : (await db.attachment.findUniqueOrThrow({ where: { id: r.id }, select: { content: true } })).content;
        text = textOf(r.contentType, await wholeFile(db, { blobKey: r.blobKey, content }, MAX_SEARCHED_TEXT_BYTES));
      }
      files.push({ id: r.id, requesterId: r.ticket.requesterId, text });
    }
    yield files;
    if (rows.length < batch) return;
    after = rows.at(-1)!.id;
  }
}
