import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import { visibleAttachments } from "../auth/visibility.js";
import { publicBase } from "../http/public-base.js";
import { attachmentLink } from "./links.js";
import { isServable } from "./scan-status.js";
import * as attachments from "./service.js";

const AttachmentScanStatus = builder.enumType("AttachmentScanStatus", {
  description:
    "What the malware scan of a file decided. Only CLEAN files are served, and NOT_SCANNED ones while the operator has scanning off.",
  values: {
    PENDING: { description: "Stored and waiting for a scanner's verdict (a scanner that is down is tried again); not served yet" },
    CLEAN: { description: "A scanner found nothing: served" },
    INFECTED: {
      description:
        "A scanner found malware (scanSignature): quarantined, kept encrypted and never served, deleted after the INFECTED_ATTACHMENTS retention period",
    },
    ERROR: { description: "No scanner could decide after every attempt, or the file cannot be scanned (scanError): never served" },
    NOT_SCANNED: {
      description:
        "Stored while the operator had scanning off (ATTACHMENT_SCANNING=off): served without a scan, as long as scanning stays off",
    },
  },
});

// The type alone, without what builds on tickets' types (./schema.ts): AddMessageInput refers to it.
export const Attachment = builder.prismaNode("Attachment", {
  id: { field: "id" },
  description:
    "A file on a message. Visible to whoever can see the message: a note's files only with notes:read, a portal contact's only on their own public messages. " +
    "Download it from downloadUrl; upload one with createAttachmentUpload.",
  authScopes: { anyPermission: ["tickets:read", "portal:self"] },
  // node(id:) and nodes(ids:) load through here: the file follows its message's visibility.
  findUnique: (id, ctx) => ({ id, ...visibleAttachments(ctx) }),
  select: { id: true },
  fields: (t) => ({
    filename: t.exposeString("filename", personal("user.content.attachment")),
    contentType: t.exposeString("contentType"),
    size: t.exposeInt("size", { description: "Bytes" }),
    scanStatus: t.expose("scanStatus", { type: AttachmentScanStatus, description: "Whether the file may be downloaded yet, and why not" }),
    scannedAt: t.expose("scannedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the scanner decided (CLEAN, INFECTED) or the scan was given up (ERROR)",
    }),
    scannedBy: t.exposeString("scannedBy", {
      nullable: true,
      description: "The plugin whose scanner decided: clamav (the operator's) or the tenant's own scanner plugin",
    }),
    scanSignature: t.exposeString("scanSignature", {
      nullable: true,
      description: "For INFECTED: the name the scanner gave what it found (such as Win.Test.EICAR_HDB-1)",
    }),
    scanError: t.exposeString("scanError", {
      nullable: true,
      description:
        "For ERROR: why the file could not be scanned (NO_SCANNER, SCANNER_UNAVAILABLE, SCAN_TIMEOUT, FILE_TOO_LARGE_FOR_SCANNER…)",
    }),
    downloadUrl: t.string({
      nullable: true,
      description:
        "A link to download the file, valid for ATTACHMENT_LINK_TTL_MINUTES (15 by default); the link is the credential, so no Authorization header is needed. " +
        "The answer is the file as an attachment (Content-Disposition), with its content type and X-Content-Type-Options: nosniff, never cached. " +
        "Null until the file may be served (scanStatus CLEAN, or NOT_SCANNED with scanning off): never for INFECTED or ERROR.",
      select: { scanStatus: true },
      resolve: (a, _args, ctx) => {
        if (!isServable(a.scanStatus, ctx.config.attachments.scanning.mode)) return null;
        const expiresAt = new Date(Date.now() + ctx.config.attachments.linkTtlMs);
        return attachmentLink("download", publicBase(ctx), ctx.config.encryptionKey, a.id, expiresAt);
      },
      // The link opens the file: handing it out is reading its contents (audited, like `content`).
      ...personal("user.content.attachment"),
    }),
    contentBase64: t.string({
      nullable: true,
      description:
        `The file, base64-encoded, for files up to ${attachments.MAX_BASE64_BYTES} bytes; null while downloadUrl is. ` +
        "Deprecated: download from downloadUrl, which streams any size.",
      deprecationReason: "Use downloadUrl",
      select: { blobKey: true, content: true, scanStatus: true },
      ...personal("user.content.attachment"),
      resolve: async (a, _args, ctx) =>
        isServable(a.scanStatus, ctx.config.attachments.scanning.mode) ? (await attachments.wholeFile(ctx.db, a)).toString("base64") : null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});
