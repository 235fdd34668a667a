import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";
import type { AttachmentScannerSettings } from "./options.js";

/**
 * AttachmentScanner: the tenant's attachments are scanned for malware by its
 * own AttachmentScanner account (their HTTP API, scanner.ts) instead of the
 * operator's ClamAV. The core streams each file to the scanner through the
 * plugin gateway, which records the call.
 */
export const attachmentScanner: PluginDefinition<AttachmentScannerSettings, undefined> = {
  manifest,
  provides: { attachmentScanner: async (runtime) => (await import("./scanner.js")).scannerFor(runtime) },
  // The API offers no deletion; what the vendor keeps of a scan names no one (README.md, "What goes where").
  erase: async () => ({
    store: "AttachmentScanner",
    deleted: 0,
    note: "AttachmentScanner keeps scan records (hashes, size, type, a neutral file name) and offers no deletion; they name no one and expire at the vendor",
  }),
};
