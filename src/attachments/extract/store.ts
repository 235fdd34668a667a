import { readAll } from "../../blobs/store.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import type { AttachmentTextStatus } from "../../generated/prisma/enums.js";

/**
 * Where an attachment's text is kept: the text in the blob store (encrypted
 * under the tenant's key, like the file), its key, status and words on the
 * row. The words (`textVector`) are a column Prisma cannot write, so these
 * statements are SQL; raw SQL passes the tenant scope by, so each names the
 * tenant itself.
 */

const at = (date: Date) => date.toISOString();

/** Stored texts are read whole; larger than this (a limit raised and lowered again) they count as unreadable. */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** The text under `key`. */
export async function readText(db: Pick<TenantClient, "$blobs">, key: string): Promise<string> {
  return (await readAll(await db.$blobs.get(key), MAX_TEXT_BYTES)).toString("utf8");
}

export const storeText = (db: Pick<TenantClient, "$blobs">, text: string) => db.$blobs.put([Buffer.from(text, "utf8")]);

interface Outcome {
  status: Exclude<AttachmentTextStatus, "PENDING">;
  reason?: string;
  /** The stored text and its key, for EXTRACTED and TRUNCATED. */
  text?: { key: string; value: string };
}

/**
 * Records an extraction's outcome, provided the row still holds the file that
 * was read (`blobKey`) and no text yet: a file replaced or extracted by
 * someone else meanwhile keeps what it has. Returns whether it was recorded.
 */
export async function saveOutcome(
  db: TenantClient,
  tenantId: string,
  attachmentId: string,
  readFrom: { blobKey: string | null },
  outcome: Outcome,
): Promise<boolean> {
  const text = outcome.text?.value ?? null;
  const count = await db.$executeRaw`
    UPDATE "Attachment" SET "textStatus" = ${outcome.status}::"AttachmentTextStatus", "textReason" = ${outcome.reason ?? null},
      "textBlobKey" = ${outcome.text?.key ?? null}, "textExtractedAt" = ${at(new Date())}::timestamp,
      "textVector" = CASE WHEN ${text}::text IS NULL THEN NULL ELSE deskgraph_attachment_text_vector("tenantId", ${text}::text) END
    WHERE "id" = ${attachmentId}::uuid AND "tenantId" = ${tenantId}::uuid AND "textStatus" = 'PENDING'
      AND "blobKey" IS NOT DISTINCT FROM ${readFrom.blobKey}::text`;
  return count === 1;
}

/** The words of a stored text made again (the tenant's locale changed), if the row still has that text and no words. */
export async function saveWords(db: TenantClient, tenantId: string, attachmentId: string, textKey: string, text: string): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE "Attachment" SET "textVector" = deskgraph_attachment_text_vector("tenantId", ${text}::text)
    WHERE "id" = ${attachmentId}::uuid AND "tenantId" = ${tenantId}::uuid AND "textBlobKey" = ${textKey} AND "textVector" IS NULL`;
  return count === 1;
}

/**
 * Points the row at a new file and, in the same statement, a new text (erasure's
 * redacted copy and its redacted text): the trigger that resets the text of a
 * changed file sees the text written too and leaves it. Without a text, the
 * row's text is reset and extracted again later.
 */
export async function replaceFile(
  db: TenantClient,
  tenantId: string,
  attachmentId: string,
  file: { key: string; size: number },
  text: { key: string; value: string } | null,
): Promise<void> {
  if (!text) {
    await db.attachment.update({ where: { id: attachmentId }, data: { blobKey: file.key, content: null, size: file.size } });
    return;
  }
  await db.$executeRaw`
    UPDATE "Attachment" SET "blobKey" = ${file.key}, "content" = NULL, "size" = ${file.size}::int,
      "textBlobKey" = ${text.key}, "textExtractedAt" = ${at(new Date())}::timestamp,
      "textVector" = deskgraph_attachment_text_vector("tenantId", ${text.value}::text)
    WHERE "id" = ${attachmentId}::uuid AND "tenantId" = ${tenantId}::uuid`;
}
