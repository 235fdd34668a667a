import { AppError, forbidden } from "../errors.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { assertContactProcessable } from "../privacy/restriction.js";
import { findTicket } from "../tickets/service.js";
import { isVisible } from "../auth/visibility.js";

/** Attachments are stored in the database, so erasure and export see them like any other row. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export interface NewAttachment {
  messageId: string;
  filename: string;
  contentType: string;
  contentBase64: string;
}

export async function addAttachment(ctx: Context, input: NewAttachment) {
  const viewer = requireViewer(ctx);
  const content = Buffer.from(input.contentBase64, "base64");
  if (content.length === 0 || content.toString("base64").replace(/=+$/, "") !== input.contentBase64.replace(/\s/g, "").replace(/=+$/, "")) {
    throw new AppError("VALIDATION", "contentBase64 must be non-empty base64", { fields: [{ path: ["input", "contentBase64"], message: "not base64" }] });
  }
  if (content.length > MAX_ATTACHMENT_BYTES) {
    throw new AppError("VALIDATION", `Attachments are limited to ${MAX_ATTACHMENT_BYTES} bytes`, {
      fields: [{ path: ["input", "contentBase64"], message: "too large" }],
    });
  }
  return ctx.db.$transaction(async (tx) => {
    const message = await tx.message.findUnique({ where: { id: input.messageId } });
    if (!message || !isVisible(ctx, message)) throw new AppError("NOT_FOUND", "Message not found");
    if (message.internal ? !ctx.can("notes:write") : !ctx.can("tickets:write")) throw forbidden();
    const ticket = await findTicket(tx, message.ticketId);
    await assertContactProcessable(tx, ticket.requesterId);
    return tx.attachment.create({
      data: {
        tenantId: viewer.tenantId,
        messageId: message.id,
        filename: input.filename,
        contentType: input.contentType,
        size: content.length,
        content,
      },
    });
  });
}
