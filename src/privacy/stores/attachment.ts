import { Readable } from "node:stream";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { replaceFile, storeText } from "../../attachments/extract/store.js";
import { bytesOf } from "../../attachments/text.js";
import { isServable } from "../../attachments/scan-status.js";
import { contentOf } from "../../attachments/service.js";
import { drainTenantBlobDeletions } from "../../blobs/deletions.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import { attachmentFiles, isSearchable, type StoredFile } from "../requests/attachment-contents.js";
import { inBatches, scrubColumn } from "../requests/batches.js";
import { archivedFilePath, EXPORT_BATCH, pages } from "../requests/export-writer.js";
import { contains, matcherFor, scrub } from "../requests/identifiers.js";
import { countInColumn, SCAN_BATCH } from "../requests/scan-count.js";
import { exportedMessages } from "./message.js";
import type { ErasedFile, ErasureRun, PersonalDataStore } from "./store.js";

/**
 * Files on messages: their names and their contents. Both can mention the
 * person wherever they are, so erasure and the scan read the contents of every
 * file of the tenant, not only the person's own: a text file's own text, and
 * the text extracted from any file (PDF, Word, HTML: src/attachments/extract/).
 * The contents are in the blob store (src/blobs/), or in the `content` column
 * for rows written before it; the extracted text is a blob of its own
 * (`textBlobKey`). Erasure replaces a redacted file (and its text) by new
 * blobs, and the old ones leave the store before the erasure ends.
 *
 * The extracted text is not exported: it is derived from the files, which are.
 */
export const attachmentStore: PersonalDataStore = {
  model: "Attachment",
  categories: ["user.content.attachment"],
  columns: {
    filename: { erasedBy: "Attachment.filename", scannedAs: "Attachment.filename" },
    content: { erasedBy: "Attachment.content", scannedAs: "Attachment.content" },
    // Scanned with the file it comes from: one count per file, whichever text holds the mention.
    textBlobKey: { erasedBy: "Attachment.text", scannedAs: "Attachment.content" },
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
        store: "Attachment.text",
        action: "files whose text mentions the person deleted where it cannot be redacted in the file itself (PDF, Word, HTML…)",
        countsAs: "attachmentsMentioningDeleted",
      },
      {
        store: "Attachment.unsearchable",
        action: "files on the person's tickets that cannot be searched (no text could be read) deleted",
        countsAs: "unsearchableAttachmentsDeleted",
      },
      {
        store: "Attachment.unverified",
        action: "kept, not verified",
        note: "Files on other people's tickets whose text could not be read (images, scans, damaged or protected files, text not read yet) may still mention the person; review them by hand.",
      },
    ],
    steps: [
      {
        phase: "own",
        async run(e) {
          let batch: { id: string; ticketId: string; contentType: string }[] = [];
          const deleted = await inBatches(
            e.db,
            async (tx) => {
              batch = await tx.attachment.findMany({
                // Their files on messages, and their uploads never put on one.
                where: { OR: [{ message: { authorContactId: e.contactId } }, { uploadedBy: `contact:${e.contactId}` }] },
                select: { id: true, ticketId: true, contentType: true },
                take: e.batch,
              });
              return batch.map((a) => a.id);
            },
            async (tx, ids) => {
              const { count } = await tx.attachment.deleteMany({ where: { id: { in: ids } } });
              e.files.push(...batch.map((f) => listed(f, "deleted", "on the person's own message")));
              return count;
            },
          );
          return { Attachment: deleted };
        },
      },
      {
        phase: "mentions",
        run: async (e) => ({ "Attachment.filename": await scrubColumn(e.db, e.tenantId, e.ids, e.batch, "Attachment.filename") }),
      },
      {
        phase: "mentions",
        async run(e) {
          const files = e.alreadyErased ? { scrubbed: 0, mentioning: 0, unsearchable: 0 } : await scrubContents(e);
          // The files deleted or replaced above leave the store now, not at the next sweep.
          await drainTenantBlobDeletions(e.db);
          return {
            "Attachment.content": files.scrubbed,
            "Attachment.text": files.mentioning,
            "Attachment.unsearchable": files.unsearchable,
          };
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
            if (contains(s.matcher, f.raw) || contains(s.matcher, f.extracted?.text)) matches++;
            else if (!isSearchable(f)) unsearchable++;
          }
        }
        return { matches, unsearchable };
      },
    },
  ],
  retention: { target: "SOLVED_TICKET_MESSAGES" },
};

const listed = (f: { id: string; ticketId: string; contentType: string }, action: ErasedFile["action"], why: string): ErasedFile => ({
  attachmentId: encodeGlobalID("Attachment", f.id),
  ticketId: encodeGlobalID("Ticket", f.ticketId),
  contentType: f.contentType,
  action,
  why,
});

/**
 * Attachment contents, wherever they are (agents' replies, notes, other
 * contacts' messages):
 * - a text file mentioning the person is redacted like a message body, and its
 *   extracted text with it;
 * - a file whose extracted text mentions the person, when the mention cannot be
 *   redacted in the file itself (a PDF, a Word document, an HTML file whose
 *   markup spells it otherwise), is deleted;
 * - a file nobody can search (no text read from it) is deleted when it sits
 *   on the person's own tickets (exchanged with or about them); elsewhere it
 *   is kept, and the receipt counts it as unverified.
 */
async function scrubContents(e: ErasureRun): Promise<{ scrubbed: number; mentioning: number; unsearchable: number }> {
  const { db, tenantId, contactId } = e;
  const matcher = matcherFor(e.ids);
  let scrubbed = 0;
  const mentioning: StoredFile[] = [];
  const unsearchable: StoredFile[] = [];
  for await (const files of attachmentFiles(db, e.batch)) {
    for (const f of files) {
      const inFile = matcher && f.raw !== null ? scrub(matcher, f.raw) : null;
      const inText = matcher && f.extracted ? scrub(matcher, f.extracted.text) : null;
      if (inFile?.count && (inText?.count ?? 0) <= inFile.count) {
        await redact(db, tenantId, f, inFile.text, inText?.text ?? null);
        e.files.push(listed(f, "redacted", "mentions the person"));
        scrubbed++;
      } else if (inFile?.count || inText?.count) {
        mentioning.push(f);
      } else if (!isSearchable(f) && f.requesterId === contactId) {
        unsearchable.push(f);
      }
    }
  }
  const deleted = {
    mentioning: await deleteFiles(db, mentioning, e.batch),
    unsearchable: await deleteFiles(db, unsearchable, e.batch),
  };
  e.files.push(
    ...mentioning.map((f) => listed(f, "deleted", "its text mentions the person, which cannot be redacted in the file itself")),
    ...unsearchable.map((f) => listed(f, "deleted", "on the person's ticket, and no text could be read from it to check")),
  );
  return { scrubbed, ...deleted };
}

/** The redacted text is a new blob (and so is the redacted extracted text); the row moves to them, and the triggers queue the old ones for deletion. */
async function redact(db: TenantClient, tenantId: string, f: StoredFile, fileText: string, extracted: string | null): Promise<void> {
  const file = await db.$blobs.put([bytesOf(fileText)]);
  const text = extracted === null ? null : { key: (await storeText(db, extracted)).key, value: extracted };
  try {
    await replaceFile(db, tenantId, f.id, file, text);
  } catch (err) {
    await db.$blobs.delete(file.key);
    if (text) await db.$blobs.delete(text.key);
    throw err;
  }
}

async function deleteFiles(db: TenantClient, files: StoredFile[], batch: number): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < files.length; i += batch) {
    const ids = files.slice(i, i + batch).map((f) => f.id);
    deleted += (await db.attachment.deleteMany({ where: { id: { in: ids } } })).count;
  }
  return deleted;
}
