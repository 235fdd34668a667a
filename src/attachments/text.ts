/**
 * Which attachments can be read as text, for erasure and the personal-data
 * scan: a text-like content type AND bytes that are valid UTF-8 without NUL
 * (a UTF-16 file labelled text/plain is not searchable this way). Anything
 * else (PDFs, images, office files…) cannot be searched for a name or number.
 */
const TEXT_LIKE = [
  /^text\//i,
  /^application\/(json|xml|csv|x-ndjson|ndjson|yaml|x-yaml|javascript|sql|x-www-form-urlencoded)$/i,
  /^application\/[\w.-]+\+(json|xml)$/i,
  /^message\/rfc822$/i,
];

export const isTextLikeType = (contentType: string) => TEXT_LIKE.some((r) => r.test(contentType));

// ignoreBOM: a byte-order mark stays in the text, so a redacted file keeps it.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The file as text, or null when it cannot be searched as text. */
export function textOf(contentType: string, bytes: Uint8Array): string | null {
  if (!isTextLikeType(contentType)) return null;
  try {
    const text = utf8.decode(bytes);
    return text.includes("\0") ? null : text;
  } catch {
    return null;
  }
}

export const bytesOf = (text: string) => Buffer.from(text, "utf8");
