import { encodeGlobalID } from "@pothos/plugin-relay";
import type { ScanningConfig } from "../config.js";
import type { NewEvent } from "../events/outbox.js";
import type { AttachmentScanStatus } from "../generated/prisma/enums.js";

/**
 * Whether a file may leave the server (download link, contentBase64): once a
 * scanner found it CLEAN, or unscanned while the operator turned scanning
 * off. INFECTED is never served, whatever the mode.
 */
export const isServable = (status: AttachmentScanStatus, mode: ScanningConfig["mode"]): boolean =>
  status === "CLEAN" || (status === "NOT_SCANNED" && mode === "off");

/** Why a file is not served, as the download link answers it. */
export function unavailable(status: AttachmentScanStatus): { http: number; code: string; message: string } {
  switch (status) {
    case "INFECTED":
      return { http: 409, code: "QUARANTINED", message: "A malware scanner found this file infected; it is quarantined and never served" };
    case "ERROR":
      return { http: 409, code: "SCAN_FAILED", message: "This file could not be scanned for malware, so it is not served" };
    default:
      // PENDING, or NOT_SCANNED while scanning is required (it is queued at start).
      return {
        http: 409,
        code: "SCAN_PENDING",
        message: "This file is waiting for its malware scan; try again once its scanStatus is CLEAN",
      };
  }
}

interface Decided {
  id: string;
  ticketId: string;
  messageId: string | null;
  internal: boolean;
  scanStatus: AttachmentScanStatus;
  scannedBy: string | null;
  scanSignature: string | null;
  scanError: string | null;
}

/**
 * ATTACHMENT_SCANNED for a file on a message, seen exactly where its message
 * is (`internal` carries the note rule). A file scanned before addMessage took
 * it is announced by that addMessage: until then nobody but its uploader
 * knows it exists, and the feed of its ticket would tell everyone.
 */
function scannedEvent(a: Decided & { messageId: string }): NewEvent {
  return {
    type: "ATTACHMENT_SCANNED",
    ticketId: a.ticketId,
    messageId: a.messageId,
    internal: a.internal,
    data: {
      attachmentId: encodeGlobalID("Attachment", a.id),
      scanStatus: a.scanStatus,
      scannedBy: a.scannedBy,
      ...(a.scanSignature ? { scanSignature: a.scanSignature } : {}),
      ...(a.scanError ? { scanError: a.scanError } : {}),
    },
  };
}

/** What scannedEvent reads, for a select. */
export const DECIDED = {
  id: true,
  ticketId: true,
  messageId: true,
  internal: true,
  scanStatus: true,
  scannedBy: true,
  scanSignature: true,
  scanError: true,
} as const;

/** The decided files among `rows` that are on a message: the ones to announce. */
export const announced = (rows: Decided[]): NewEvent[] =>
  rows.flatMap((r) =>
    r.messageId && r.scanStatus !== "PENDING" && r.scanStatus !== "NOT_SCANNED" ? [scannedEvent({ ...r, messageId: r.messageId })] : [],
  );
