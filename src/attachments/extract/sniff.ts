import { isTextLikeType } from "../text.js";

/**
 * What a file's first bytes and declared type say it could be, before
 * anything parses it: the first chunk is enough to know that a file (a video,
 * an image) holds no text to extract, without reading the rest of it.
 */

/** A ZIP archive (a DOCX is one): a local file header first. */
export const isZip = (bytes: Uint8Array) => bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;

/** The PDF header may follow up to 1 KiB of other bytes (readers accept that, and so does pdf.js). */
export const isPdf = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 1024)).includes("%PDF-");

export const mediaType = (declared: string) => declared.split(";")[0]!.trim().toLowerCase();

export const isHtmlType = (type: string) => type === "text/html" || type === "application/xhtml+xml";

/** Whether a file starting with `head` may have text to extract: a PDF or a ZIP by its bytes, HTML or text by its declared type. */
export function mayHaveText(head: Uint8Array, declaredType: string): boolean {
  const type = mediaType(declaredType);
  return isZip(head) || isPdf(head) || isHtmlType(type) || isTextLikeType(type);
}
