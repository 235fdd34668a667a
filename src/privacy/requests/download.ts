import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { Logger } from "pino";
import { appendAuditIn } from "../../audit/service.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db/database.js";
import { verifyExportSignature } from "./signed-url.js";
import { fail } from "../../http/fail.js";

type Services = { config: Config; database: Database; log: Logger };

const PATH = /^\/exports\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * GET /exports/<id>?expires=<unix>&signature=<hex>: the link is the credential,
 * so no Authorization header is read. A wrong signature is 403 whether or not the
 * export exists (nothing to probe); a valid link to a deleted export is 404; a link
 * past its expiry, or to an export whose expiry was brought forward, is 410.
 */
export async function handleExportDownload(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return fail(res, 405, "METHOD_NOT_ALLOWED", "Use GET");
  const url = new URL(req.url ?? "/", "http://local");
  const id = PATH.exec(url.pathname)?.[1]?.toLowerCase();
  if (!id) return fail(res, 404, "NOT_FOUND", "No such export");
  const expires = Number(url.searchParams.get("expires"));
  const signature = url.searchParams.get("signature") ?? "";
  const keys = [services.config.encryptionKey, ...services.config.previousEncryptionKeys];
  if (!Number.isSafeInteger(expires) || !verifyExportSignature(keys, id, expires, signature)) {
    return fail(res, 403, "FORBIDDEN", "The link is not valid");
  }

  const { prisma } = services.database;
  const row = await prisma.dataExport.findUnique({
    where: { id },
    select: { id: true, tenantId: true, contactId: true, requestId: true, expiresAt: true },
  });
  if (!row) return fail(res, 404, "NOT_FOUND", "The export no longer exists");
  const now = new Date();
  if (expires * 1000 <= now.getTime() || row.expiresAt <= now) {
    return fail(res, 410, "EXPIRED", "The link has expired; ask for a new export");
  }

  const stored = await prisma.dataExport.findUniqueOrThrow({ where: { id }, select: { blobKey: true, size: true } });
  const headers = stored.blobKey
    ? { ...COMMON_HEADERS, "content-type": "application/zip", "content-disposition": `attachment; filename="personal-data-${id}.zip"` }
    : {
        ...COMMON_HEADERS,
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="personal-data-${id}.json"`,
      };
  if (req.method === "HEAD") {
    res.writeHead(200, stored.size === null ? headers : { ...headers, "content-length": String(stored.size) });
    return void res.end();
  }

  // Recorded before the bytes leave: the log never misses a download that happened.
  await prisma.$transaction(async (tx) => {
    await tx.dataExport.update({ where: { id }, data: { downloadedAt: now } });
    await appendAuditIn(tx, row.tenantId, [
      {
        actorType: "SYSTEM",
        actorId: null,
        action: "dsr.export.downloaded",
        subjectType: "Contact",
        subjectId: row.contactId,
        categories: [
          "user.name",
          "user.contact.email",
          "user.contact.phone",
          "user.content.message",
          "user.content.attachment",
          "user.consent",
        ],
        details: { via: "signed-link", exportId: id, dataSubjectRequestId: row.requestId },
      },
    ]);
  });

  if (stored.blobKey) {
    // Decrypted chunk by chunk as it is sent: the archive is never whole in memory.
    const archive = Readable.from(await services.database.forTenant(row.tenantId).$blobs.get(stored.blobKey));
    res.writeHead(200, { ...headers, "content-length": String(stored.size) });
    return pipeline(archive, res).catch((err) => {
      services.log.error({ err, exportId: id }, "export download cut off");
    });
  }
  return sendLegacyExport(services, req, res, id, headers);
}

const COMMON_HEADERS = { "cache-control": "no-store", "referrer-policy": "no-referrer", "x-content-type-options": "nosniff" };

/** An export made before archives (format version 1): gzip-compressed JSON in its row, until it expires. */
async function sendLegacyExport(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  headers: Record<string, string>,
) {
  const { content } = await services.database.prisma.dataExport.findUniqueOrThrow({ where: { id }, select: { content: true } });
  if (!content) return fail(res, 404, "NOT_FOUND", "The export no longer exists");
  if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    res.writeHead(200, { ...headers, "content-encoding": "gzip", "content-length": String(content.length), vary: "accept-encoding" });
    return void res.end(content);
  }
  // A client that cannot take gzip gets plain JSON, decompressed as it is sent.
  res.writeHead(200, { ...headers, vary: "accept-encoding" });
  const gunzip = createGunzip();
  gunzip.on("error", (err) => {
    services.log.error({ err, exportId: id }, "export could not be decompressed");
    res.destroy(err);
  });
  gunzip.pipe(res);
  gunzip.end(content);
}
