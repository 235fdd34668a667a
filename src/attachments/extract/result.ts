/**
 * What extracting a file's text can come to. A file whose text cannot be
 * extracted is not an error for whoever uploaded it: the attachment is marked
 * NOT_EXTRACTED with one of these reasons, and search and erasure treat it as
 * a file nobody can read (as they treat an image).
 */
export const TEXT_REASONS = {
  TOO_LARGE: "The file is larger than ATTACHMENT_EXTRACT_MAX_BYTES",
  UNSUPPORTED_TYPE: "Not a PDF, Word (DOCX), HTML or text file",
  ZIP_BOMB: "A Word file that would inflate far beyond its size (a zip bomb): refused before it was opened",
  TIMED_OUT: "Reading the file took longer than ATTACHMENT_EXTRACT_TIMEOUT_SECONDS",
  OUT_OF_MEMORY: "Reading the file needed more memory than ATTACHMENT_EXTRACT_MAX_HEAP_MB",
  UNREADABLE: "The file is damaged, or not what its first bytes say it is",
  ENCRYPTED: "The file is protected by a password",
  NO_TEXT: "The file holds no text (a scanned document or an image)",
} as const;

export type TextReason = keyof typeof TEXT_REASONS;

export type ExtractResult =
  | {
      ok: true;
      text: string;
      /** The text was cut at ATTACHMENT_TEXT_MAX_CHARS: what follows was not read. */
      truncated: boolean;
    }
  | { ok: false; reason: TextReason; detail?: string };

export type NotExtracted = Extract<ExtractResult, { ok: false }>;

export const notExtracted = (reason: TextReason, detail?: string): NotExtracted => ({ ok: false, reason, ...(detail ? { detail } : {}) });

/** What a worker is asked to do: the bytes are transferred, not copied. */
export interface ExtractJob {
  id: number;
  bytes: Uint8Array;
  declaredType: string;
  limits: ExtractLimits;
}

export interface ExtractLimits {
  /** Characters of text kept; the rest is cut off (`truncated`). */
  maxChars: number;
  /** What the parts of a Word file may add up to once inflated. */
  maxInflatedBytes: number;
}
