import type { EventConsumer } from "../../events/consumers/consumer.js";
import { extractAttachmentText, readableScans, type TextServices } from "./service.js";

/**
 * When text is extracted: once a file on a message may be read, that is once
 * the malware scan found it CLEAN (its ATTACHMENT_SCANNED event) or, with
 * scanning off, once its message is committed (MESSAGE_ADDED; a file scanned
 * before addMessage took it is announced right after that). Off the request,
 * with the durability of an event consumer: a cursor per tenant, retried with
 * growing delays when the database or the blob store is away.
 *
 * Files that no event announces (the deprecated addAttachment with scanning
 * off, files from before extraction, any this missed) are picked up by the
 * backfill (extractPendingTexts) that the server runs at start and after each
 * retention sweep.
 */
export function attachmentTextConsumer(services: TextServices): EventConsumer {
  return {
    name: "attachments.text",
    types: ["MESSAGE_ADDED", "ATTACHMENT_SCANNED"],
    // A file takes up to ATTACHMENT_EXTRACT_TIMEOUT_SECONDS: small batches keep the lease short of its end.
    batchSize: 5,
    async handle({ tenantId, events }) {
      const messageIds = [...new Set(events.flatMap((e) => (e.messageId ? [e.messageId] : [])))];
      if (!messageIds.length) return;
      // The files of those messages that may be read and have no text yet; extractAttachmentText checks again.
      const files = await services.database.forTenant(tenantId).attachment.findMany({
        where: { messageId: { in: messageIds }, textStatus: "PENDING", scanStatus: { in: readableScans(services.config) } },
        orderBy: { id: "asc" },
        select: { id: true },
      });
      for (const f of files) await extractAttachmentText(services, tenantId, f.id);
    },
  };
}
