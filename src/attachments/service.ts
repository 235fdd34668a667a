import { AppError, forbidden } from "../errors.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { TenantClient } from "../db/tenant-scope.js";
import { readAll } from "../blobs/store.js";
import { assertContactProcessable } from "../privacy/restriction.js";
import { findTicket } from "../tickets/service.js";
import { assertNotClosed } from "../tickets/status.js";
import { assertMayWrite } from "../tickets/write-rule.js";
import { isVisible } from "../auth/visibility.js";
import { uploaderOf } from "./attach.js";
import { statusOnStore } from "./scan-queue.js";

/** The deprecated base64 paths (addAttachment, Attachment.contentBase64) stop here; larger files go through upload and download links. */
export const MAX_BASE64_BYTES = 10 * 1024 * 1024;

export interface NewAttachment {
  messageId: string;
  filename: string;
  contentType: string;
  contentBase64: string;
}

/** The deprecated way in: the file in the mutation's body, stored in the blob store like an upload. */
export async function addAttachment(ctx: Context, input: NewAttachment) {
  requireViewer(ctx);
  const content = Buffer.from(input.contentBase64, "base64");
  if (content.length === 0 || content.toString("base64").replace(/=+$/, "") !== input.contentBase64.replace(/\s/g, "").replace(/=+$/, "")) {
    throw new AppError("VALIDATION", "contentBase64 must be non-empty base64", {
      fields: [{ path: ["input", "contentBase64"], message: "not base64" }],
    });
  }
  if (content.length > MAX_BASE64_BYTES) {
    throw new AppError("VALIDATION", `Attachments sent as base64 are limited to ${MAX_BASE64_BYTES} bytes; use createAttachmentUpload`, {
      fields: [{ path: ["input", "contentBase64"], message: "too large" }],
    });
  }
  const message = await ctx.db.message.findUnique({
    where: { id: input.messageId },
  });
  if (!message || !isVisible(ctx, message)) throw new AppError("NOT_FOUND", "Message not found");
  if (message.internal ? !ctx.can("notes:write") : !ctx.can("tickets:write")) throw forbidden();
  const ticket = await findTicket(ctx.db, message.ticketId);
  await assertContactProcessable(ctx.db, ticket.requesterId);
  return storeWithRow(ctx, [content], {
    ticketId: message.ticketId,
    messageId: message.id,
    filename: input.filename,
    contentType: input.contentType,
    internal: message.internal,
  });
}

/**
 * Stores bytes already at hand and writes their row, queued for the malware
 * scan in the same statement. The file goes first and its row after: a row
 * never points at a file that is not there, and a row that cannot be written
 * takes its file with it.
 */
async function storeWithRow(
  ctx: Context,
  bytes: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  row: { ticketId: string; messageId: string | null; filename: string; contentType: string; internal: boolean },
) {
  const viewer = requireViewer(ctx);
  const blob = await ctx.db.$blobs.put(bytes);
  const scanStatus = statusOnStore(ctx.config.attachments.scanning.mode);
  try {
    return await ctx.db.attachment.create({
      data: {
        ...row,
        scanStatus,
        ...(scanStatus === "PENDING" ? { scan: { create: { tenantId: viewer.tenantId } } } : {}),
        tenantId: viewer.tenantId,
        size: blob.size,
        uploadedBy: uploaderOf(viewer),
        blobKey: blob.key,
        uploadedAt: new Date(),
      },
    });
  } catch (err) {
    await ctx.db.$blobs.delete(blob.key);
    throw err;
  }
}

export interface NewUpload {
  ticketId: string;
  filename: string;
  contentType: string;
  size: number;
  internal: boolean;
}

/**
 * An attachment waiting for its bytes: the row exists (so the upload link can
 * name it), but nobody sees it until it is uploaded and addMessage puts it on
 * a message. Uploading needs what writing the message needs.
 */
export async function createUpload(ctx: Context, input: NewUpload): Promise<{ id: string; expiresAt: Date }> {
  const viewer = requireViewer(ctx);
  const ticket = await assertMayUpload(ctx, input);
  const row = await ctx.db.attachment.create({
    data: {
      tenantId: viewer.tenantId,
      ticketId: ticket.id,
      filename: input.filename,
      contentType: input.contentType.toLowerCase(),
      size: input.size,
      internal: input.internal,
      uploadedBy: uploaderOf(viewer),
    },
    select: { id: true },
  });
  return {
    id: row.id,
    expiresAt: new Date(Date.now() + ctx.config.attachments.linkTtlMs),
  };
}

/**
 * A small file sent in the GraphQL request itself (the multipart request
 * spec): stored at once, then like an upload through a link. The body limit
 * (MAX_BODY_BYTES) keeps these small; larger files go through createUpload.
 */
export async function uploadFile(ctx: Context, input: Omit<NewUpload, "size"> & { file: Blob }) {
  const { file, ...row } = input;
  await assertMayUpload(ctx, { ...row, size: file.size }, "file");
  return storeWithRow(ctx, streamOf(file), { ...row, messageId: null, contentType: row.contentType.toLowerCase() });
}

async function* streamOf(file: Blob): AsyncGenerator<Uint8Array> {
  yield* file.stream() as unknown as AsyncIterable<Uint8Array>;
}

/** What storing a file on the ticket needs: what writing the message needs, a size within the limit, an open ticket, a processable requester. */
async function assertMayUpload(ctx: Context, input: NewUpload, sizeField: "size" | "file" = "size") {
  assertMayWrite(ctx, input.internal);
  const max = ctx.config.attachments.maxBytes;
  if (!Number.isInteger(input.size) || input.size < 1 || input.size > max) {
    const message = input.size < 1 ? "must be at least 1 byte: empty files are not stored" : `must be at most ${max} bytes`;
    throw new AppError("VALIDATION", `${sizeField === "size" ? "size" : "The file"} ${message}`, {
      fields: [{ path: ["input", sizeField], message }],
    });
  }
  const ticket = await findTicket(ctx.db, input.ticketId);
  assertNotClosed(ticket.status);
  await assertContactProcessable(ctx.db, ticket.requesterId);
  return ticket;
}

/** A stored file's bytes, from the blob store, or from the row for one written before the store (until attachments:migrate moves it). */
export async function contentOf(
  db: Pick<TenantClient, "$blobs">,
  row: { blobKey: string | null; content: Uint8Array | null },
): Promise<AsyncIterable<Uint8Array>> {
  if (row.blobKey) return db.$blobs.get(row.blobKey);
  const { content } = row;
  if (content)
    return (async function* () {
      yield content;
    })();
  throw new AppError("NOT_FOUND", "The file has not been uploaded");
}

/** A small file whole, for the deprecated contentBase64 field and for reading text files. */
export async function wholeFile(
  db: Pick<TenantClient, "$blobs">,
  row: { blobKey: string | null; content: Uint8Array | null },
  limit = MAX_BASE64_BYTES,
): Promise<Buffer> {
  return readAll(await contentOf(db, row), limit);
}
