import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { AppError } from "../errors.js";
import { builder } from "../graphql/builder.js";
import { Message, Ticket } from "../tickets/schema.js";
import { visibleAttachments } from "../auth/visibility.js";
import { publicBase } from "../http/public-base.js";
import { requireViewer } from "../context.js";
import { attachmentLink } from "./links.js";
import * as attachments from "./service.js";

builder.prismaObjectField("Message", "attachments", (t) =>
  // Attachment selects its columns per query, so file contents load only when asked for.
  // The message was visible to get here; the where is a second wall for the note rule.
  t.relation("attachments", {
    query: (_args, ctx) => ({ where: visibleAttachments(ctx), orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  }),
);

const fileName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^/\\\0]+$/, "must be a file name, not a path");
const mimeType = z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, "must be a MIME type such as application/pdf");

const CreateAttachmentUploadInput = builder.inputType("CreateAttachmentUploadInput", {
  fields: (t) => ({
    ticketId: t.globalID({ required: true, for: Ticket }),
    filename: t.string({ required: true, validate: fileName }),
    contentType: t.string({ required: true, validate: mimeType, description: "The upload must be sent with this Content-Type" }),
    size: t.int({
      required: true,
      description: "Bytes, at least 1 and at most ATTACHMENT_MAX_BYTES; the upload must be exactly this long",
    }),
    internal: t.boolean({
      defaultValue: false,
      description: "For an internal note (needs notes:write); such a file can go on a note only",
    }),
  }),
});

const AttachmentUpload = builder.objectRef<{ attachmentId: string; uploadUrl: string; expiresAt: Date }>("AttachmentUpload").implement({
  description: "Where to send a file's bytes. PUT them to uploadUrl once, then pass attachmentId to addMessage(input: { attachmentIds }).",
  fields: (t) => ({
    attachmentId: t.exposeID("attachmentId", { description: "The Attachment's id, for addMessage" }),
    uploadUrl: t.exposeString("uploadUrl", {
      description:
        "Send the file here with one PUT: the exact declared size, Content-Type as declared. The link is the credential (no Authorization header). " +
        "Answers 201 once stored; 400 SIZE_MISMATCH, 409 ALREADY_UPLOADED, 410 EXPIRED, 413 TOO_LARGE, 415 CONTENT_TYPE_MISMATCH otherwise, with nothing stored.",
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", description: "The upload must start before this" }),
  }),
});

builder.mutationField("createAttachmentUpload", (t) =>
  t.field({
    type: AttachmentUpload,
    description:
      "Starts an upload of a file for a message on the ticket: needs what writing the message needs (tickets:write; notes:write for an internal note; " +
      "a portal contact on their own ticket). The file is seen by nobody until addMessage attaches it.",
    authScopes: { anyPermission: ["tickets:write", "notes:write", "portal:self"] },
    args: { input: t.arg({ type: CreateAttachmentUploadInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      requireViewer(ctx);
      const upload = await attachments.createUpload(ctx, { ...input, ticketId: input.ticketId.id, internal: input.internal ?? false });
      return {
        attachmentId: encodeGlobalID("Attachment", upload.id),
        uploadUrl: attachmentLink("upload", publicBase(ctx), ctx.config.encryptionKey, upload.id, upload.expiresAt),
        expiresAt: upload.expiresAt,
      };
    },
  }),
);

const isFile = (value: unknown): value is File =>
  typeof value === "object" && value !== null && typeof (value as File).name === "string" && typeof (value as File).stream === "function";

builder.scalarType("Upload", {
  description:
    "A file sent in the request itself, as the GraphQL multipart request spec describes (multipart/form-data with operations, map and the file parts). " +
    "Input only.",
  serialize: () => {
    throw new AppError("VALIDATION", "Upload is an input type");
  },
  parseValue: (value) => {
    // The server's File (a ponyfill under yoga), so by its shape rather than by class.
    if (isFile(value)) return value;
    throw new AppError("VALIDATION", "Send the file as a part of a multipart/form-data request (the GraphQL multipart request spec)");
  },
});

const UploadAttachmentInput = builder.inputType("UploadAttachmentInput", {
  fields: (t) => ({
    ticketId: t.globalID({ required: true, for: Ticket }),
    file: t.field({
      type: "Upload",
      required: true,
      description: "The file's part: its name and Content-Type are the attachment's filename and contentType",
    }),
    internal: t.boolean({
      defaultValue: false,
      description: "For an internal note (needs notes:write); such a file can go on a note only",
    }),
  }),
});

builder.mutationField("uploadAttachment", (t) =>
  t.prismaField({
    type: "Attachment",
    description:
      "Stores a small file sent with the request (multipart/form-data, the GraphQL multipart request spec; the whole request within MAX_BODY_BYTES) " +
      "and returns it, for addMessage(input: { attachmentIds }). Needs what writing the message needs, like createAttachmentUpload, " +
      "which takes files of any size outside the request. The request must carry a header that makes browsers ask first " +
      "(GraphQL-Require-Preflight, Apollo-Require-Preflight or X-GraphQL-Yoga-CSRF: any value): without it, a multipart POST is refused with 415.",
    authScopes: { anyPermission: ["tickets:write", "notes:write", "portal:self"] },
    args: { input: t.arg({ type: UploadAttachmentInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const filename = fileName.safeParse(input.file.name);
      const type = mimeType.safeParse(input.file.type || "application/octet-stream");
      if (!filename.success || !type.success) {
        throw new AppError("VALIDATION", "The file part needs a file name (not a path) and a MIME type", {
          fields: [{ path: ["input", "file"], message: !filename.success ? "must be a file name, not a path" : "must have a MIME type" }],
        });
      }
      const stored = await attachments.uploadFile(ctx, {
        ticketId: input.ticketId.id,
        file: input.file,
        filename: filename.data,
        contentType: type.data,
        internal: input.internal ?? false,
      });
      return ctx.db.attachment.findUniqueOrThrow({ ...query, where: { id: stored.id } });
    },
  }),
);

const AddAttachmentInput = builder.inputType("AddAttachmentInput", {
  fields: (t) => ({
    messageId: t.globalID({ required: true, for: Message }),
    filename: t.string({ required: true, validate: fileName }),
    contentType: t.string({ required: true, validate: mimeType }),
    contentBase64: t.string({
      required: true,
      description: `At most ${attachments.MAX_BASE64_BYTES} bytes once decoded, and within MAX_BODY_BYTES as base64`,
    }),
  }),
});

builder.mutationField("addAttachment", (t) =>
  t.prismaField({
    type: "Attachment",
    description:
      "Attaches a file sent as base64 in the request to a message (tickets:write; notes:write for an internal note). " +
      "Deprecated: createAttachmentUpload streams files of any size outside the GraphQL body; this stores into the same encrypted store.",
    deprecationReason: "Use createAttachmentUpload and addMessage(input: { attachmentIds })",
    authScopes: { anyPermission: ["tickets:write", "notes:write"] },
    args: { input: t.arg({ type: AddAttachmentInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await attachments.addAttachment(ctx, { ...input, messageId: input.messageId.id });
      return ctx.db.attachment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
