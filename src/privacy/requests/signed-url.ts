import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * Export links carry their own credential: an HMAC-SHA256 over the export's id
 * and the link's expiry, keyed from the server's encryption key. Anyone holding
 * the link can download until it expires, so it is handed only to the data
 * subject and to privacy managers, and never stored.
 */

const INFO = "deskgraph/data-export-link/v1";

/** A key of its own for links, so a link signature never reveals anything about the secrets key. */
export function linkKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", encryptionKey, Buffer.alloc(0), INFO, 32));
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

export function signExport(key: Buffer, exportId: string, expires: number): string {
  return createHmac("sha256", key).update(`${exportId}\n${expires}`).digest("hex");
}

/** `/exports/<id>?expires=<unix>&signature=<hex>` on the given base URL. */
export function signedExportUrl(base: string, encryptionKey: Buffer, exportId: string, expiresAt: Date): string {
  const expires = unix(expiresAt);
  const signature = signExport(linkKey(encryptionKey), exportId, expires);
  return `${base.replace(/\/$/, "")}/exports/${exportId}?expires=${expires}&signature=${signature}`;
}

/** True when the signature matches under the current key or a previous one (links survive a key rotation). */
export function verifyExportSignature(keys: Buffer[], exportId: string, expires: number, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  const given = Buffer.from(signature, "hex");
  return keys.some((k) => timingSafeEqual(Buffer.from(signExport(linkKey(k), exportId, expires), "hex"), given));
}

export const expiresOf = unix;
