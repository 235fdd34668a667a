import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { fail } from "../http/fail.js";
import { handleDownload } from "./download-route.js";
import { CONTENT_PATH, verifyAttachmentLink, type LinkKind } from "./links.js";
import { handleUpload } from "./upload-route.js";

type Services = { config: Config; database: Database; log: Logger };

/**
 * /attachments/<id>/content: PUT with an upload link, GET or HEAD with a
 * download link. A wrong signature is 403 whether or not the attachment exists
 * (nothing to probe); a link past its expiry is 410.
 */
export async function handleAttachmentContent(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://local");
  const id = CONTENT_PATH.exec(url.pathname)?.[1]?.toLowerCase();
  if (!id) return fail(res, 404, "NOT_FOUND", "No such attachment");
  const kind: LinkKind | null = req.method === "PUT" ? "upload" : req.method === "GET" || req.method === "HEAD" ? "download" : null;
  const close = { connection: "close" };
  if (!kind)
    return fail(res, 405, "METHOD_NOT_ALLOWED", "PUT with an upload link, GET with a download link", { allow: "PUT, GET, HEAD", ...close });
  const expires = Number(url.searchParams.get("expires"));
  const signature = url.searchParams.get("signature") ?? "";
  const keys = [services.config.encryptionKey, ...services.config.previousEncryptionKeys];
  if (!Number.isSafeInteger(expires) || !verifyAttachmentLink(kind, keys, id, expires, signature)) {
    return fail(res, 403, "FORBIDDEN", "The link is not valid", close);
  }
  if (expires * 1000 <= Date.now()) return fail(res, 410, "EXPIRED", `The link has expired; ask for a new ${kind} link`, close);
  return kind === "upload" ? handleUpload(services, id, req, res) : handleDownload(services, id, req, res);
}
