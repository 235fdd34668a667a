import type { Viewer } from "../auth/viewer.js";
import type { Tx } from "../db/tx.js";
import { AppError } from "../errors.js";
import type { NewEvent } from "../events/outbox.js";
import { announced, DECIDED } from "./scan-status.js";

/** Who created an upload: only they may attach it (an upload is nobody else's business until it is on a message). */
export function uploaderOf(viewer: Viewer): string {
  switch (viewer.kind) {
    case "agent":
      return `agent:${viewer.agentId}`;
    case "apiKey":
      return `apiKey:${viewer.apiKeyId}`;
    case "contact":
      return `contact:${viewer.contactId}`;
    case "system":
      return `system:${viewer.pluginId}`;
  }
}

const invalid = (index: number, message: string) =>
  new AppError("VALIDATION", `attachmentIds[${index}]: ${message}`, {
    fields: [{ path: ["input", "attachmentIds", String(index)], message }],
  });

/**
 * Puts uploaded files on a message just created, in its transaction: each must
 * be an upload of the same caller on the same ticket, uploaded, not yet on a
 * message, and made for a note exactly when the message is one. Someone
 * else's upload, or another tenant's, is NOT_FOUND like a missing one.
 * Returns the ATTACHMENT_SCANNED events of files whose scan was decided
 * before the message took them, for the message's transaction to record.
 */
export async function attachUploads(
  tx: Tx,
  attachmentIds: string[],
  message: { id: string; ticketId: string; internal: boolean; uploadedBy: string },
): Promise<NewEvent[]> {
  const ids = [...new Set(attachmentIds)];
  const rows = await tx.attachment.findMany({
    where: { id: { in: ids } },
    select: { id: true, ticketId: true, messageId: true, internal: true, uploadedBy: true, uploadedAt: true },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  ids.forEach((id, index) => {
    const row = byId.get(id);
    if (!row || row.uploadedBy !== message.uploadedBy)
      throw new AppError("NOT_FOUND", "Attachment not found", {
        fields: [{ path: ["input", "attachmentIds", String(index)], message: "not found" }],
      });
    if (row.ticketId !== message.ticketId) throw invalid(index, "was uploaded for another ticket");
    if (row.messageId) throw invalid(index, "is already on a message");
    if (!row.uploadedAt) throw invalid(index, "has not been uploaded yet: PUT the file to its uploadUrl first");
    if (row.internal !== message.internal)
      throw invalid(index, row.internal ? "was uploaded for an internal note" : "was uploaded for a public message, not a note");
  });
  // Conditional: a concurrent addMessage with the same upload attaches it once, and the other fails whole.
  // The statuses come from the update itself: a verdict recorded concurrently is either seen here
  // (and announced with the message) or sees the message (and is announced by the scan worker).
  const attached = await tx.attachment.updateManyAndReturn({
    where: { id: { in: ids }, messageId: null, uploadedAt: { not: null } },
    data: { messageId: message.id },
    select: DECIDED,
  });
  if (attached.length !== ids.length) throw new AppError("CONFLICT", "An attachment was attached to another message meanwhile");
  return announced(attached);
}
