import type { EventConsumer } from "../../events/consumers/consumer.js";
import { extractAttachmentText, type TextServices } from "./service.js";

/**
 * When text is extracted: after a message with files is committed (its
 * MESSAGE_ADDED event), off the request, with the durability of an event
 * consumer (a cursor per tenant, retried with growing delays when the
 * database or the blob store is away).
 *
 * Interim: once files are scanned for viruses on a queue of their own,
 * extraction belongs after a file is found CLEAN, in that pipeline, and this
 * consumer goes. Files attached another way (the deprecated addAttachment),
 * and any this missed, are picked up by the backfill (extractPendingTexts)
 * that the server runs at start and after each retention sweep.
 */
export function attachmentTextConsumer(services: TextServices): EventConsumer {
  return {
    name: "attachments.text",
    types: ["MESSAGE_ADDED"],
    // A file takes up to ATTACHMENT_EXTRACT_TIMEOUT_SECONDS: small batches keep the lease short of its end.
    batchSize: 5,
    async handle({ tenantId, events }) {
      const messageIds = events.flatMap((e) => (e.messageId ? [e.messageId] : []));
      if (!messageIds.length) return;
      const files = await services.database.forTenant(tenantId).attachment.findMany({
        where: { messageId: { in: messageIds }, textStatus: "PENDING" },
        orderBy: { id: "asc" },
        select: { id: true },
      });
      for (const f of files) await extractAttachmentText(services, tenantId, f.id);
    },
  };
}
