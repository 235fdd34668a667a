/**
 * What a malware scanner offers the core (a capability, see
 * src/plugin-host/capabilities.ts): the verdict on one file. The core streams
 * the file out of the blob store, passes the call through the plugin gateway
 * (which checks and records it) and keeps the verdict; the scanner only scans.
 */
export interface AttachmentScanner {
  /**
   * Reads `file` to its end (or as far as needed) and decides. Throws when it
   * cannot decide now (the scanner is down, overloaded, times out): the file
   * stays PENDING and is tried again later. Throws a ScanRefused when it will
   * never be able to scan this file (too large for it): the file is ERROR at once.
   */
  scan(file: AsyncIterable<Uint8Array>, meta: ScanMeta): Promise<ScanVerdict>;
}

/** What a scanner is told besides the bytes: nothing about who sent the file or where it is. */
export interface ScanMeta {
  /** Bytes, as stored. */
  size: number;
  contentType: string;
  /** The file name's extension with its dot (".pdf"), or "" without one: some engines look at it, the name itself is personal data. */
  extension: string;
  /** Aborted when the scan runs out of time (ATTACHMENT_SCAN_TIMEOUT_SECONDS) or the server shuts down. */
  signal: AbortSignal;
}

export type ScanVerdict = { status: "clean" } | { status: "infected"; signature: string };

/** The scanner can never scan this file (too large for it, a format it refuses): retrying would not help. */
export class ScanRefused extends Error {
  constructor(
    /** A stable code for Attachment.scanError (FILE_TOO_LARGE_FOR_SCANNER…). */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ScanRefused";
  }
}

/** The longest signature name kept: engines name what they found in a few dozen characters. */
const SIGNATURE_MAX = 200;

/** A signature name as stored and shown: printable, one line, bounded. */
export const cleanSignature = (name: string): string =>
  name
    .replace(/[^\x20-\x7e]/g, "?")
    .trim()
    .slice(0, SIGNATURE_MAX) || "unnamed";
