import { signedQuery, verifySignature } from "../privacy/requests/signed-url.js";

/**
 * Upload and download links of an attachment: /attachments/<id>/content,
 * signed like export links. An upload link and a download link are signed
 * with different keys, so neither can stand in for the other.
 */
export type LinkKind = "upload" | "download";

const PURPOSE: Record<LinkKind, string> = {
  upload: "deskgraph/attachment-upload-link/v1",
  download: "deskgraph/attachment-download-link/v1",
};

export const CONTENT_PATH = /^\/attachments\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/content$/i;

export function attachmentLink(kind: LinkKind, base: string, encryptionKey: Buffer, attachmentId: string, expiresAt: Date): string {
  return `${base.replace(/\/$/, "")}/attachments/${attachmentId}/content?${signedQuery(encryptionKey, PURPOSE[kind], attachmentId, expiresAt)}`;
}

export function verifyAttachmentLink(kind: LinkKind, keys: Buffer[], attachmentId: string, expires: number, signature: string): boolean {
  return verifySignature(keys, PURPOSE[kind], attachmentId, expires, signature);
}
