import { readText } from "../../attachments/extract/store.js";
import { wholeFile } from "../../attachments/service.js";
import { isTextLikeType, textOf } from "../../attachments/text.js";
import type { TenantClient } from "../../db/tenant-scope.js";

export interface StoredFile {
  id: string;
  ticketId: string;
  messageId: string | null;
  contentType: string;
  /** The requester of the ticket the file is on. */
  requesterId: string;
  /** The file itself as text, when it is a text file (text-like, UTF-8, not too large to read whole): it can be redacted in place. */
  raw: string | null;
  /**
   * The text extracted from the file (src/attachments/extract/: PDF, Word, HTML, text), when
   * there is one; `complete` unless it was cut at ATTACHMENT_TEXT_MAX_CHARS.
   */
  extracted: { key: string; text: string; complete: boolean } | null;
}

/** Whether a person can be looked for in all of the file: through its own text or a complete extracted one. */
export const isSearchable = (f: StoredFile) => f.raw !== null || f.extracted?.complete === true;

/** Text files are read whole to be searched: one at a time, and none larger than this (it counts as not searchable). */
const MAX_SEARCHED_TEXT_BYTES = 16 * 1024 * 1024;

/**
 * Every stored file of the tenant (on a message or uploaded for one), page by
 * page in id order, with what can be searched of it: a text file's own text,
 * and the text extracted from any file. Only text-like files are read from
 * the blob store as files; the others are searched through their extracted
 * text, or not at all.
 */
export async function* attachmentFiles(db: TenantClient, batch: number): AsyncGenerator<StoredFile[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await db.attachment.findMany({
      where: { ...(after ? { id: { gt: after } } : {}), OR: [{ blobKey: { not: null } }, { content: { not: null } }] },
      orderBy: { id: "asc" },
      take: batch,
      select: {
        id: true,
        ticketId: true,
        messageId: true,
        contentType: true,
        size: true,
        blobKey: true,
        textStatus: true,
        textBlobKey: true,
        ticket: { select: { requesterId: true } },
      },
    });
    if (!rows.length) return;
    const files: StoredFile[] = [];
    for (const r of rows) {
      let raw: string | null = null;
      if (isTextLikeType(r.contentType) && r.size <= MAX_SEARCHED_TEXT_BYTES) {
        // Rows from before the blob store still hold their bytes: loaded for this one file only.
        const content = r.blobKey
          ? null
          : (await db.attachment.findUniqueOrThrow({ where: { id: r.id }, select: { content: true } })).content;
        raw = textOf(r.contentType, await wholeFile(db, { blobKey: r.blobKey, content }, MAX_SEARCHED_TEXT_BYTES));
      }
      const extracted = r.textBlobKey
        ? { key: r.textBlobKey, text: await readText(db, r.textBlobKey), complete: r.textStatus === "EXTRACTED" }
        : null;
      files.push({
        id: r.id,
        ticketId: r.ticketId,
        messageId: r.messageId,
        contentType: r.contentType,
        requesterId: r.ticket.requesterId,
        raw,
        extracted,
      });
    }
    yield files;
    if (rows.length < batch) return;
    after = rows.at(-1)!.id;
  }
}
