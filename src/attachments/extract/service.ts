import type { Logger } from "pino";
import type { Config } from "../../config.js";
import type { Database } from "../../db/database.js";
import type { AttachmentScanStatus, AttachmentTextStatus } from "../../generated/prisma/enums.js";
import { isServable } from "../scan-status.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import { contentOf } from "../service.js";
import type { TextExtractor } from "./pool.js";
import { notExtracted, type ExtractResult } from "./result.js";
import { mayHaveText } from "./sniff.js";
import { readText, saveOutcome, saveWords, storeText } from "./store.js";

export interface TextServices {
  config: Config;
  database: Database;
  extractor: TextExtractor;
  log: Logger;
}

/**
 * Extracts the text of one attachment and records it: the text as a blob of
 * its own, its words for search, or why there is none (NOT_EXTRACTED and a
 * reason; never an error for whoever uploaded the file). Idempotent: a file
 * whose text is known already, one not uploaded yet, or one that is gone is
 * left as it is, and two runs at once record one outcome. Throws only for
 * what may pass (the database or the blob store away, no worker started):
 * the caller tries again later.
 *
 * Returns the attachment's text status afterwards; null when it is gone.
 */
export async function extractAttachmentText(
  services: TextServices,
  tenantId: string,
  attachmentId: string,
): Promise<AttachmentTextStatus | null> {
  const db = services.database.forTenant(tenantId);
  const row = await db.attachment.findUnique({
    where: { id: attachmentId },
    select: { contentType: true, size: true, blobKey: true, textStatus: true, uploadedAt: true, scanStatus: true },
  });
  if (!row) return null;
  // Read only what may be served: found CLEAN by the malware scan (or unscanned with scanning off).
  // A file waiting for its scan is read once it is decided; an INFECTED one never is.
  if (row.textStatus !== "PENDING" || !row.uploadedAt || !isServable(row.scanStatus, services.config.attachments.scanning.mode)) {
    return row.textStatus;
  }
  const { maxBytes } = services.config.attachments.extract;
  let result: ExtractResult;
  if (row.size > maxBytes) result = notExtracted("TOO_LARGE", `${row.size} bytes`);
  else {
    // Rows from before the blob store still hold their bytes: loaded for this one file only.
    const content = row.blobKey
      ? null
      : (await db.attachment.findUniqueOrThrow({ where: { id: attachmentId }, select: { content: true } })).content;
    if (!row.blobKey && !content) return row.textStatus;
    const read = await readIfText(db, { blobKey: row.blobKey, content }, row.contentType, maxBytes);
    result = Buffer.isBuffer(read)
      ? await services.extractor.extract(read, row.contentType)
      : notExtracted(read, `declared ${row.contentType}`);
  }

  // The file changed, or another run got there first: the row says what it has.
  const current = async () =>
    (await db.attachment.findUnique({ where: { id: attachmentId }, select: { textStatus: true } }))?.textStatus ?? null;
  if (!result.ok) {
    if (!(await saveOutcome(db, tenantId, attachmentId, row, { status: "NOT_EXTRACTED", reason: result.reason }))) return current();
    services.log.info({ tenantId, attachmentId, reason: result.reason, detail: result.detail }, "attachment text not extracted");
    return "NOT_EXTRACTED";
  }
  const blob = await storeText(db, result.text);
  const status = result.truncated ? "TRUNCATED" : "EXTRACTED";
  const saved = await saveOutcome(db, tenantId, attachmentId, row, { status, text: { key: blob.key, value: result.text } }).catch(
    async (err: unknown) => {
      await db.$blobs.delete(blob.key);
      throw err;
    },
  );
  if (saved) return status;
  // This copy of the text is not used.
  await db.$blobs.delete(blob.key);
  return current();
}

/**
 * The file whole, if it may have text: its first chunk (64 KiB from the blob
 * store) says whether it can, and an image or a video is not read on for
 * nothing. A file larger than `maxBytes` (its row said less) is not read on either.
 */
async function readIfText(
  db: TenantClient,
  file: { blobKey: string | null; content: Uint8Array | null },
  declaredType: string,
  maxBytes: number,
): Promise<Buffer | "UNSUPPORTED_TYPE" | "TOO_LARGE"> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of await contentOf(db, file)) {
    if (!parts.length && !mayHaveText(chunk, declaredType)) return "UNSUPPORTED_TYPE";
    length += chunk.length;
    if (length > maxBytes) return "TOO_LARGE";
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** The scan statuses of files whose text may be read (see isServable), for a where. */
export const readableScans = (config: Config): AttachmentScanStatus[] =>
  config.attachments.scanning.mode === "off" ? ["CLEAN", "NOT_SCANNED"] : ["CLEAN"];

export interface BackfillOptions {
  /** Attachments looked up per batch. */
  batch?: number;
  /** Checked between files: a shutdown stops the backfill, and the next run continues it. */
  signal?: AbortSignal;
  /** Files whose text could not be extracted before are tried again (after a limit was raised). */
  retryNotExtracted?: boolean;
  onBatch?(done: number): void;
}

/**
 * Extracts the text of every uploaded attachment that has none yet and may
 * be read (scanned CLEAN, or unscanned with scanning off), in id order, and makes the words again of texts that lost
 * them (a tenant that changed its locale). What `attachments:extract-text`
 * runs, and the server in the background at start and after each retention
 * sweep. Safe to stop and to run again. Returns how many files it handled.
 */
export async function extractPendingTexts(services: TextServices, opts: BackfillOptions = {}): Promise<number> {
  const { prisma } = services.database;
  const batch = opts.batch ?? 100;
  if (opts.retryNotExtracted)
    await prisma.attachment.updateMany({ where: { textStatus: "NOT_EXTRACTED" }, data: { textStatus: "PENDING" } });
  let done = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await prisma.attachment.findMany({
      where: {
        textStatus: "PENDING",
        uploadedAt: { not: null },
        scanStatus: { in: readableScans(services.config) },
        ...(after ? { id: { gt: after } } : {}),
      },
      orderBy: { id: "asc" },
      take: batch,
      select: { id: true, tenantId: true },
    });
    for (const r of rows) {
      if (opts.signal?.aborted) return done;
      await extractAttachmentText(services, r.tenantId, r.id);
      done++;
    }
    opts.onBatch?.(done);
    if (rows.length < batch) break;
    after = rows.at(-1)!.id;
  }
  return done + (await restoreWords(services, batch, opts.signal));
}

/** Texts without words: their words made again from the stored text, in the tenant's current configuration. */
async function restoreWords(services: TextServices, batch: number, signal?: AbortSignal): Promise<number> {
  const { prisma } = services.database;
  let done = 0;
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await prisma.$queryRaw<{ id: string; tenantId: string; textBlobKey: string }[]>`
      SELECT "id", "tenantId", "textBlobKey" FROM "Attachment"
      WHERE "textBlobKey" IS NOT NULL AND "textVector" IS NULL AND "id" > ${after}::uuid
      ORDER BY "id" LIMIT ${batch}`;
    for (const r of rows) {
      if (signal?.aborted) return done;
      const db = services.database.forTenant(r.tenantId);
      await saveWords(db, r.tenantId, r.id, r.textBlobKey, await readText(db, r.textBlobKey));
      done++;
    }
    if (rows.length < batch) return done;
    after = rows.at(-1)!.id;
  }
}
