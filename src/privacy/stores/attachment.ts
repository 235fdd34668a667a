import { Readable } from "node:stream";
import { bytesOf } from "../../attachments/text.js";
import { isServable } from "../../attachments/scan-status.js";
import { contentOf } from "../../attachments/service.js";
import { drainTenantBlobDeletions } from "../../blobs/deletions.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import { attachmentFiles } from "../requests/attachment-contents.js";
import { inBatches, scrubColumn } from "../requests/batches.js";
import { archivedFilePath, EXPORT_BATCH, pages } from "../requests/export-writer.js";
import { contains, matcherFor, scrub, type Identifiers } from "../requests/identifiers.js";
import { countInColumn, SCAN_BATCH } from "../requests/scan-count.js";
import { exportedMessages } from "./message.js";
import type { PersonalDataStore } from "./store.js";

/**
 * Files on messages: their names and their contents. Both can mention the
 * person wherever they are, so erasure and the scan read the contents of every
 * text file of the tenant, not only the person's own. The contents are in the
 * blob store (src/blobs/), or in the `content` column for rows written before
 * it; erasure replaces a redacted file by a new blob, and the old one leaves
 * the store before the erasure ends.
 */
export const attachmentStore: PersonalDataStore = {
  model: "Attachment",
  categories: ["user.content.attachment"],
  columns: {
    filename: { erasedBy: "Attachment.filename", scannedAs: "Attachment.filename" },
    content: { erasedBy: "Attachment.content", scannedAs: "Attachment.content" },
  },
  rowsOf: (contactId) => ({ message: { OR: [{ authorContactId: contactId }, { ticket: { requesterId: contactId } }] } }),
  // Their files on public messages of their tickets, and their own uploads not yet on a message (so that addMessage finds them).
  portal: (contactId) => ({
    OR: [
      { message: { internal: false, ticket: { requesterId: contactId } } },
      { messageId: null, internal: false, uploadedBy: `contact:${contactId}`, ticket: { requesterId: contactId } },
    ],
  }),
  export: {
    key: "attachments",
    about:
      "Files attached to those messages: each row names its file in the archive (`file`); a file not found clean by the malware scan is listed without its contents (`file` null, `scanStatus` says why)",
    counts: ["attachments"],
    write: ({ db, contactId, out, scanning }) =>
      out.array(
        "attachments",
        "attachments",
        pages((c) =>
          db.attachment.findMany({
            ...c,
            where: { message: exportedMessages(contactId) },
            orderBy: { id: "asc" },
            take: EXPORT_BATCH,
            select: {
              id: true,
              messageId: true,
              filename: true,
              contentType: true,
              size: true,
              createdAt: true,
              blobKey: true,
              scanStatus: true,
            },
          }),
        ),
        ({ blobKey, ...a }) => {
          // The archive is a way out like the download link: an infected or unscanned file stays behind.
          if (!isServable(a.scanStatus, scanning)) return { ...a, file: null };
          const file = archivedFilePath(a.id, a.filename);
          // Read when the archive gets to it, one file at a time: a file may be large.
          out.file(file, a.contentType, async () => {
            const content = blobKey
              ? null
              : (await db.attachment.findUniqueOrThrow({ where: { id: a.id }, select: { content: true } })).content;
            return Readable.from(await contentOf(db, { blobKey, content }));
          });
          return { ...a, file };
        },
      ),
  },
  erasure: {
    lines: [
      { store: "Attachment", action: "files on the person's own messages deleted", countsAs: "attachmentsDeleted" },
      { store: "Attachment.filename", action: "the person's name, email and phone replaced by [redacted]", countsAs: "filenamesScrubbed" },
      {
        store: "Attachment.content",
        action: "the person's name, email and phone replaced by [redacted] in text files on other people's messages",
        countsAs: "attachmentContentsScrubbed",
      },
      {
        store: "Attachment.unsearchable",
        action: "files on the person's tickets that cannot be searched (not text) deleted",
        countsAs: "unsearchableAttachmentsDeleted",
      },
      {
        store: "Attachment.unverified",
        action: "kept, not verified",
        note: "Files on other people's tickets that cannot be searched (not text, such as PDFs and images) may still mention the person; review them by hand.",
      },
    ],
    steps: [
      {
        phase: "own",
        run: async (e) => ({
          Attachment: await inBatches(
            e.db,
            async (tx) =>
              (
                await tx.attachment.findMany({
                  // Their files on messages, and their uploads never put on one.
                  where: { OR: [{ message: { authorContactId: e.contactId } }, { uploadedBy: `contact:${e.contactId}` }] },
                  select: { id: true },
                  take: e.batch,
                })
              ).map((a) => a.id),
            async (tx, ids) => (await tx.attachment.deleteMany({ where: { id: { in: ids } } })).count,
          ),
        }),
      },
      {
        phase: "mentions",
        run: async (e) => ({ "Attachment.filename": await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "Attachment.filename") }),
      },
      {
        phase: "mentions",
        async run(e) {
          const files = e.alreadyErased ? { scrubbed: 0, deleted: 0 } : await scrubContents(e.db, e.ids, e.contactId, e.batch);
          // The files deleted or replaced above leave the store now, not at the next sweep.
          await drainTenantBlobDeletions(e.db);
          return { "Attachment.content": files.scrubbed, "Attachment.unsearchable": files.deleted };
        },
      },
    ],
    report: async (_e, scan) => ({ "Attachment.unverified": scan.unsearchable }),
  },
  scan: [
    { store: "Attachment.filename", count: async (s) => ({ matches: await countInColumn(s, "Attachment.filename") }) },
    {
      store: "Attachment.content",
      async count(s) {
        let matches = 0;
        let unsearchable = 0;
        for await (const files of attachmentFiles(s.db, SCAN_BATCH)) {
          for (const f of files) {
            if (f.text === null) unsearchable++;
            else if (contains(s.matcher, f.text)) matches++;
          }
        }
        return { matches, unsearchable };
      },
    },
  ],
  retention: { target: "SOLVED_TICKET_MESSAGES" },
};

/**
 * Attachment contents: text files mentioning the person are redacted like
 * message bodies, wherever they are (agents' replies, notes, other contacts'
 * messages). Files that cannot be searched are deleted when they sit on the
 * person's own tickets (exchanged with or about them); elsewhere they are kept
 * and the receipt lists them as unverified.
 */
async function scrubContents(
  db: TenantClient,
  ids: Identifiers,
  contactId: string,
  batch: number,
): Promise<{ scrubbed: number; deleted: number }> {
  const matcher = matcherFor(ids);
  let scrubbed = 0;
  const unsearchable: string[] = [];
  for await (const files of attachmentFiles(db, batch)) {
    for (const f of files) {
      if (f.text === null) {
        if (f.requesterId === contactId) unsearchable.push(f.id);
        continue;
      }
      if (!matcher) continue;
      const result = scrub(matcher, f.text);
      if (!result.count) continue;
      // The redacted text is a new blob; the row moves to it, and the trigger queues the old one for deletion.
      const blob = await db.$blobs.put([bytesOf(result.text)]);
      try {
        await db.attachment.update({ where: { id: f.id }, data: { blobKey: blob.key, content: null, size: blob.size } });
      } catch (err) {
        await db.$blobs.delete(blob.key);
        throw err;
      }
      scrubbed++;
    }
  }
  let deleted = 0;
  for (let i = 0; i < unsearchable.length; i += batch) {
    deleted += (await db.attachment.deleteMany({ where: { id: { in: unsearchable.slice(i, i + batch) } } })).count;
  }
  return { scrubbed, deleted };
}
