import { z } from "zod";
import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import { Message } from "../tickets/schema.js";
import { visibleAttachments } from "../auth/visibility.js";
import * as attachments from "./service.js";

export const Attachment = builder.prismaNode("Attachment", {
  id: { field: "id" },
  description: "A file on a message. Visible to whoever can see the message: a note's files only with notes:read.",
  authScopes: { anyPermission: ["tickets:read", "portal:self"] },
  // node(id:) and nodes(ids:) load through here: the file follows its message's visibility.
  findUnique: (id, ctx) => ({ id, ...visibleAttachments(ctx) }),
  select: { id: true },
  fields: (t) => ({
    filename: t.exposeString("filename", personal("user.content.attachment")),
    contentType: t.exposeString("contentType"),
    size: t.exposeInt("size", { description: "Bytes" }),
    contentBase64: t.string({
      description: "The file, base64-encoded. Select it only when you need it.",
      select: { content: true },
      ...personal("user.content.attachment"),
      resolve: (a) => Buffer.from(a.content).toString("base64"),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.prismaObjectField("Message", "attachments", (t) =>
  // Attachment selects its columns per query, so file contents load only when asked for.
  // The message was visible to get here; the where is a second wall for the note rule.
  t.relation("attachments", { query: (_args, ctx) => ({ where: visibleAttachments(ctx), orderBy: [{ createdAt: "asc" }, { id: "asc" }] }) }),
);

const AddAttachmentInput = builder.inputType("AddAttachmentInput", {
  fields: (t) => ({
    messageId: t.globalID({ required: true, for: Message }),
    filename: t.string({ required: true, validate: z.string().trim().min(1).max(255).regex(/^[^/\\\0]+$/, "must be a file name, not a path") }),
    contentType: t.string({ required: true, validate: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, "must be a MIME type such as application/pdf") }),
    contentBase64: t.string({ required: true, description: "At most 10 MiB once decoded" }),
  }),
});

builder.mutationField("addAttachment", (t) =>
  t.prismaField({
    type: "Attachment",
    description: "Attaches a file to a message (tickets:write; notes:write for an internal note).",
    authScopes: { anyPermission: ["tickets:write", "notes:write"] },
    args: { input: t.arg({ type: AddAttachmentInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await attachments.addAttachment(ctx, { ...input, messageId: input.messageId.id });
      return ctx.db.attachment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
