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
    async handle({ tenantId, events }) {
      const messageIds = [...new Set(events.flatMap((e) => (e.messageId ? [e.messageId] : [])))];
      if (!messageIds.length) return;
      // The files of those messages that may be read and have no text yet, in one statement: most
      // messages have none, so a batch of them costs a read and no more.
      const files = await services.database.forTenant(tenantId).attachment.findMany({
        where: { messageId: { in: messageIds }, textStatus: "PENDING", scanStatus: { in: readableScans(services.config) } },
        orderBy: { id: "asc" },
        select: { id: true, messageId: true },
      });
      const pending = new Map<string | null, string[]>();
      for (const f of files) pending.set(f.messageId, [...(pending.get(f.messageId) ?? []), f.id]);
      let read = 0;
      for (const event of events) {
        const mine = event.messageId ? pending.get(event.messageId) : undefined;
        if (!mine) continue;
        pending.delete(event.messageId);
        // extractAttachmentText checks each file again.
        for (const id of mine) await extractAttachmentText(services, tenantId, id);
        read += mine.length;
        // A file takes up to ATTACHMENT_EXTRACT_TIMEOUT_SECONDS: a call stops after a few, well short
        // of the lease's end, and the rest of its batch comes in the next.
        if (read >= FILES_PER_CALL) return event.seq;
      }
    },
  };
}

/** Files read per call, at least (a message's files are read together). */
const FILES_PER_CALL = 5;
