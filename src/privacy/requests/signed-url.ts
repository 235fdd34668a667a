import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * Links that carry their own credential: an HMAC-SHA256 over what the link is
 * for (an export's id, an attachment's upload or download) and the link's
 * expiry, keyed from the server's encryption key. Anyone holding the link can
 * use it until it expires, so it is handed only to whoever may use it, and
 * never stored. Each kind of link has a key of its own (`purpose`), so that
 * one kind of link can never be turned into another.
 */

const EXPORT_LINKS = "deskgraph/data-export-link/v1";

/** A key of its own per kind of link, so a link signature never reveals anything about the secrets key. */
function linkKey(encryptionKey: Buffer, purpose = EXPORT_LINKS): Buffer {
  return Buffer.from(hkdfSync("sha256", encryptionKey, Buffer.alloc(0), purpose, 32));
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

const sign = (key: Buffer, subject: string, expires: number) => createHmac("sha256", key).update(`${subject}\n${expires}`).digest("hex");

/** `?expires=<unix>&signature=<hex>` for `subject`, to append to the link's path. */
export function signedQuery(encryptionKey: Buffer, purpose: string, subject: string, expiresAt: Date): string {
  const expires = unix(expiresAt);
  return `expires=${expires}&signature=${sign(linkKey(encryptionKey, purpose), subject, expires)}`;
}

/** True when the signature matches under the current key or a previous one (links survive a key rotation). */
export function verifySignature(keys: Buffer[], purpose: string, subject: string, expires: number, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  const given = Buffer.from(signature, "hex");
  return keys.some((k) => timingSafeEqual(Buffer.from(sign(linkKey(k, purpose), subject, expires), "hex"), given));
}

/** `/exports/<id>?expires=<unix>&signature=<hex>` on the given base URL. */
export function signedExportUrl(base: string, encryptionKey: Buffer, exportId: string, expiresAt: Date): string {
  return `${base.replace(/\/$/, "")}/exports/${exportId}?${signedQuery(encryptionKey, EXPORT_LINKS, exportId, expiresAt)}`;
}

export function verifyExportSignature(keys: Buffer[], exportId: string, expires: number, signature: string): boolean {
  return verifySignature(keys, EXPORT_LINKS, exportId, expires, signature);
}
