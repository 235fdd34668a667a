import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import { visibleAttachments } from "../auth/visibility.js";
import { publicBase } from "../http/public-base.js";
import { attachmentLink } from "./links.js";
import * as attachments from "./service.js";

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
    downloadUrl: t.string({
      description:
        "A link to download the file, valid for ATTACHMENT_LINK_TTL_MINUTES (15 by default); the link is the credential, so no Authorization header is needed. " +
        "The answer is the file as an attachment (Content-Disposition), with its content type and X-Content-Type-Options: nosniff, never cached.",
      resolve: (a, _args, ctx) => {
        const expiresAt = new Date(Date.now() + ctx.config.attachments.linkTtlMs);
        return attachmentLink("download", publicBase(ctx), ctx.config.encryptionKey, a.id, expiresAt);
      },
      // The link opens the file: handing it out is reading its contents (audited, like `content`).
      ...personal("user.content.attachment"),
    }),
    contentBase64: t.string({
      description: `The file, base64-encoded, for files up to ${attachments.MAX_BASE64_BYTES} bytes. Deprecated: download from downloadUrl, which streams any size.`,
      deprecationReason: "Use downloadUrl",
      select: { blobKey: true, content: true },
      ...personal("user.content.attachment"),
      resolve: async (a, _args, ctx) => (await attachments.wholeFile(ctx.db, a)).toString("base64"),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});
