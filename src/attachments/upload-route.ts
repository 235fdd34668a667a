import type { IncomingMessage, ServerResponse } from "node:http";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Logger } from "pino";
import { appendAuditIn } from "../audit/service.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { fail } from "../http/fail.js";
import { queueScan, statusOnStore } from "./scan-queue.js";

type Services = { config: Config; database: Database; log: Logger };

class SizeMismatch extends Error {}

/** The request body, refused as soon as it passes the declared size, and at its end when it falls short. */
async function* exactly(body: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > size) throw new SizeMismatch(`The body is longer than the declared ${size} bytes`);
    yield chunk;
  }
  if (received !== size) throw new SizeMismatch(`The body has ${received} bytes, not the declared ${size}`);
}

const mediaType = (header: string | undefined) => (header ?? "").split(";")[0]!.trim().toLowerCase();

/**
 * PUT /attachments/<id>/content?expires=…&signature=…: the bytes of an upload
 * made by createAttachmentUpload, streamed into the blob store. The link is
 * the credential. Refused, each with its code and nothing stored: a wrong
 * signature (403 FORBIDDEN), an expired link (410 EXPIRED), a file already
 * uploaded or an upload under way (409 ALREADY_UPLOADED, UPLOAD_IN_PROGRESS),
 * another content type than declared (415 CONTENT_TYPE_MISMATCH), another
 * length (400 SIZE_MISMATCH, 413 TOO_LARGE beyond ATTACHMENT_MAX_BYTES).
 */
export async function handleUpload(services: Services, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, database, log } = services;
  // Refusals before the body is read close the connection: the unread body is not parsed as a next request.
  const refuse = (status: number, code: string, message: string) => fail(res, status, code, message, { connection: "close" });
  const row = await database.prisma.attachment.findUnique({
    where: { id },
    select: { id: true, tenantId: true, contentType: true, size: true, blobKey: true, content: true, uploadedBy: true, uploadingAt: true },
  });
  if (!row) return refuse(404, "NOT_FOUND", "No such attachment");
  if (row.blobKey || row.content) return refuse(409, "ALREADY_UPLOADED", "This attachment has been uploaded already; ask for a new upload");
  if (mediaType(req.headers["content-type"]) !== row.contentType) {
    return refuse(415, "CONTENT_TYPE_MISMATCH", `Send the file with Content-Type: ${row.contentType}, as declared`);
  }
  const declaredLength = req.headers["content-length"];
  if (declaredLength !== undefined && Number(declaredLength) !== row.size) {
    return Number(declaredLength) > config.attachments.maxBytes
      ? refuse(413, "TOO_LARGE", `Attachments are limited to ${config.attachments.maxBytes} bytes`)
      : refuse(400, "SIZE_MISMATCH", `Content-Length is ${declaredLength}, the upload declared ${row.size} bytes`);
  }

  // One upload at a time: the claim is taken by a conditional update. A claim left by a crashed
  // upload lapses after the link lifetime, when no link of that time can still be used.
  const now = new Date();
  const lapsed = new Date(now.getTime() - config.attachments.linkTtlMs);
  const claimed = await database.prisma.attachment.updateMany({
    where: { id, blobKey: null, content: null, OR: [{ uploadingAt: null }, { uploadingAt: { lt: lapsed } }] },
    data: { uploadingAt: now },
  });
  if (!claimed.count) return refuse(409, "UPLOAD_IN_PROGRESS", "This attachment is being uploaded already");
  const release = () => database.prisma.attachment.updateMany({ where: { id, uploadingAt: now }, data: { uploadingAt: null } });

  let blob: { key: string; size: number };
  try {
    blob = await database.blobs.put(row.tenantId, exactly(req, row.size));
  } catch (err) {
    await release();
    if (err instanceof SizeMismatch) return refuse(400, "SIZE_MISMATCH", err.message);
    // The client went away mid-body: nobody is left to answer.
    if (req.destroyed || req.readableAborted) return void log.info({ attachmentId: id }, "upload cut off by the client; nothing stored");
    throw err;
  }

  // Stored and queued for its malware scan in one transaction: no file is ever stored unqueued.
  const scanStatus = statusOnStore(config.attachments.scanning.mode);
  const stored = await database.prisma.$transaction(async (tx) => {
    const { count } = await tx.attachment.updateMany({
      where: { id, blobKey: null, uploadingAt: now },
      data: { blobKey: blob.key, size: blob.size, uploadedAt: new Date(), uploadingAt: null, scanStatus },
    });
    if (count) {
      if (scanStatus === "PENDING") await queueScan(tx, row.tenantId, id);
      await appendAuditIn(tx, row.tenantId, [
        {
          ...actorOf(row.uploadedBy),
          action: "attachment.uploaded",
          subjectType: "Attachment",
          subjectId: id,
          details: { via: "upload-link", size: blob.size },
        },
      ]);
    }
    return count === 1;
  });
  if (!stored) {
    // The row went away (its ticket deleted) or its claim lapsed meanwhile: the file is not kept.
    await database.blobs.delete(row.tenantId, blob.key);
    return fail(res, 409, "UPLOAD_IN_PROGRESS", "The upload took longer than its link is valid and was not kept; ask for a new upload");
  }
  database.appended(row.tenantId);
  res.writeHead(201, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ attachmentId: encodeGlobalID("Attachment", id), size: blob.size, scanStatus }));
}

/** The audit actor from the uploader recorded on the row (agent:<id>, apiKey:<id>, contact:<id>, system:<plugin>). */
function actorOf(uploadedBy: string | null): { actorType: "AGENT" | "API_KEY" | "CONTACT" | "SYSTEM"; actorId: string | null } {
  const [kind, id] = (uploadedBy ?? "").split(":");
  if (kind === "agent") return { actorType: "AGENT", actorId: id ?? null };
  if (kind === "apiKey") return { actorType: "API_KEY", actorId: id ?? null };
  if (kind === "contact") return { actorType: "CONTACT", actorId: id ?? null };
  return { actorType: "SYSTEM", actorId: null };
}
