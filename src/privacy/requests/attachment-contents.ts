import { isTextLikeType, textOf } from "../../attachments/text.js";
import type { TenantClient } from "../../db/tenant-scope.js";

export interface StoredFile {
  id: string;
  /** The requester of the ticket the file is on. */
  requesterId: string;
  /** The file as text, or null when it cannot be searched (not text-like, not UTF-8). */
  text: string | null;
}

// Contents are loaded a few at a time: one file may be 10 MiB, a whole page of them would not fit.
const CONTENT_BYTES_PER_READ = 16 * 1024 * 1024;

/**
 * Every attachment of the tenant, page by page in id order, with the text of
 * those that can be read as text. Only text-like files' contents are loaded:
 * the others cannot be searched whatever they hold.
 */
export async function* attachmentFiles(db: TenantClient, batch: number): AsyncGenerator<StoredFile[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await db.attachment.findMany({
      where: after ? { id: { gt: after } } : {},
      orderBy: { id: "asc" },
      take: batch,
      select: { id: true, contentType: true, size: true, message: { select: { ticket: { select: { requesterId: true } } } } },
    });
    if (!rows.length) return;
    const texts = new Map<string, string | null>();
    const textLike = rows.filter((r) => isTextLikeType(r.contentType));
    for (let i = 0; i < textLike.length; ) {
      const chunk: typeof textLike = [];
      let bytes = 0;
      while (i < textLike.length && (chunk.length === 0 || bytes + textLike[i]!.size <= CONTENT_BYTES_PER_READ)) {
        bytes += textLike[i]!.size;
        chunk.push(textLike[i++]!);
      }
      const contents = await db.attachment.findMany({ where: { id: { in: chunk.map((r) => r.id) } }, select: { id: true, content: true } });
      const type = new Map(chunk.map((r) => [r.id, r.contentType]));
      for (const c of contents) texts.set(c.id, textOf(type.get(c.id)!, c.content));
    }
    yield rows.map((r) => ({ id: r.id, requesterId: r.message.ticket.requesterId, text: texts.get(r.id) ?? null }));
    if (rows.length < batch) return;
    after = rows.at(-1)!.id;
  }
}
