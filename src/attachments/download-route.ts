import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import contentDisposition from "content-disposition";
import type { Logger } from "pino";
import { appendAudit } from "../audit/service.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { fail } from "../http/fail.js";
import { isServable, unavailable } from "./scan-status.js";
import { contentOf } from "./service.js";

type Services = { config: Config; database: Database; log: Logger };

/**
 * GET /attachments/<id>/content?expires=…&signature=…: the file, streamed from
 * the blob store. The link was handed out by Attachment.downloadUrl to a caller
 * who could see the file's message, so no Authorization header is read here.
 * The file is always a download (never shown inline by the browser, never
 * sniffed into another type) and never cached.
 */
export async function handleDownload(services: Services, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { database, log } = services;
  const row = await database.prisma.attachment.findFirst({
    where: { id, messageId: { not: null }, OR: [{ blobKey: { not: null } }, { content: { not: null } }] },
    select: { id: true, tenantId: true, filename: true, contentType: true, size: true, blobKey: true, content: true, scanStatus: true },
  });
  if (!row) return fail(res, 404, "NOT_FOUND", "The attachment no longer exists");
  // A link handed out earlier works no more than downloadUrl would now: nothing unscanned or infected leaves.
  if (!isServable(row.scanStatus, services.config.attachments.scanning.mode)) {
    const refusal = unavailable(row.scanStatus);
    return fail(res, refusal.http, refusal.code, refusal.message, row.scanStatus === "PENDING" ? { "retry-after": "5" } : {});
  }

  const headers = {
    "content-type": row.contentType,
    "content-length": String(row.size),
    // RFC 6266 with an RFC 5987 filename* for names that are not plain ASCII, and an ASCII-only
    // filename for old clients (header values are not UTF-8); quotes and slashes cannot break out.
    "content-disposition": contentDisposition(row.filename, { fallback: row.filename.replace(/[^\x20-\x7e]/g, "?") }),
    "x-content-type-options": "nosniff",
    "cache-control": "private, no-store",
    "referrer-policy": "no-referrer",
    // Opened in a tab anyway, it runs nothing and loads nothing.
    "content-security-policy": "default-src 'none'; sandbox",
  };
  if (req.method === "HEAD") {
    res.writeHead(200, headers);
    return void res.end();
  }

  // The first chunk is read (and authenticated) before the status goes out: a file that fails
  // at once is an error answer, not a 200 that breaks off.
  const chunks = (await contentOf(database.forTenant(row.tenantId), row))[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await chunks.next();
  } catch (err) {
    log.error({ err, attachmentId: id }, "a stored file could not be read");
    return fail(res, 500, "FILE_UNREADABLE", "The file could not be read");
  }
  // Recorded before the bytes leave: the log never misses a download that happened.
  await appendAudit(database, row.tenantId, [
    {
      actorType: "SYSTEM",
      actorId: null,
      action: "attachment.downloaded",
      subjectType: "Attachment",
      subjectId: id,
      categories: ["user.content.attachment"],
      details: { via: "download-link" },
    },
  ]);
  res.writeHead(200, headers);
  async function* rest() {
    if (!first.done) yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  try {
    await pipeline(Readable.from(rest()), res);
  } catch (err) {
    // A later chunk failed its check (or the client left): the answer breaks off short of
    // Content-Length, so the client cannot take what it got for the whole file.
    if (!res.destroyed) res.destroy(err as Error);
    if ((err as { code?: string }).code === "BLOB_CORRUPT")
      log.error({ err, attachmentId: id }, "a stored file failed its integrity check while being sent");
  }
}
