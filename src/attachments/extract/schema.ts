import { builder } from "../../graphql/builder.js";
import { TEXT_REASONS, type TextReason } from "./result.js";

const AttachmentTextStatus = builder.enumType("AttachmentTextStatus", {
  description: "Whether a file's text was read, for search and for erasure of personal data in it.",
  values: {
    PENDING: {
      description:
        "Not read yet: a file on a message is read once the malware scan found it CLEAN (at once with scanning off); an INFECTED file, or one that could not be scanned, never is",
    },
    EXTRACTED: { description: "Read: searching finds the message by words in the file" },
    TRUNCATED: { description: "Read up to ATTACHMENT_TEXT_MAX_CHARS characters; the rest of the file is not searched" },
    NOT_EXTRACTED: { description: "Could not be read (textReason says why): the file is handled like an image, which nobody can search" },
  } as const,
});

const AttachmentTextReason = builder.enumType("AttachmentTextReason", {
  description: "Why a file's text could not be read.",
  values: Object.fromEntries(Object.entries(TEXT_REASONS).map(([reason, description]) => [reason, { description }])) as Record<
    TextReason,
    { description: string }
  >,
});

builder.prismaObjectFields("Attachment", (t) => ({
  textStatus: t.expose("textStatus", {
    type: AttachmentTextStatus,
    description: "Whether the file's text (PDF, Word, HTML, text) was read for search and erasure; the text itself is never returned",
  }),
  textReason: t.field({
    type: AttachmentTextReason,
    nullable: true,
    description: "With NOT_EXTRACTED: why",
    select: { textReason: true },
    resolve: (a) => a.textReason as TextReason | null,
  }),
}));
