import type { TenantClient } from "../../../src/db/tenant-scope.js";
import type { Mailbox } from "../../../src/generated/prisma/client.js";
import { newReplyToken } from "../tokens.js";

/**
 * The mailbox a ticket's replies leave from, with the thread's reply token:
 * the mailbox its mail came in through. An EMAIL ticket an agent opened
 * (createTicket) has no thread yet: it gets one on the tenant's first
 * connected mailbox. Null when there is none.
 */
export async function threadFor(
  db: TenantClient,
  tenantId: string,
  ticketId: string,
): Promise<{ mailbox: Mailbox; replyToken: string } | null> {
  const existing = await db.emailThread.findUnique({ where: { ticketId }, include: { mailbox: true } });
  if (existing) return { mailbox: existing.mailbox, replyToken: existing.replyToken };
  const mailbox = await db.mailbox.findFirst({ where: { status: "CONNECTED" }, orderBy: [{ connectedAt: "asc" }, { id: "asc" }] });
  if (!mailbox) return null;
  const thread = await db.emailThread.upsert({
    where: { ticketId },
    create: { ticketId, tenantId, mailboxId: mailbox.id, replyToken: newReplyToken() },
    update: {},
    include: { mailbox: true },
  });
  return { mailbox: thread.mailbox, replyToken: thread.replyToken };
}
