import type { TenantClient } from "../../../src/db/tenant-scope.js";
import type { Mailbox } from "../../../src/generated/prisma/client.js";
import { newReplyToken } from "../tokens.js";

const FIRST_CONNECTED = [{ connectedAt: "asc" as const }, { id: "asc" as const }];

/**
 * The mailbox a ticket's replies leave from, with the thread's reply token:
 * the mailbox its mail came in through. An EMAIL ticket an agent opened
 * (createTicket) has no thread yet: it gets one on the tenant's first
 * connected mailbox. Null when there is none (`noMailbox` says why).
 */
export async function threadFor(
  db: TenantClient,
  tenantId: string,
  ticketId: string,
): Promise<{ mailbox: Mailbox; replyToken: string } | null> {
  const existing = await db.emailThread.findUnique({ where: { ticketId }, include: { mailbox: true } });
  if (existing) return { mailbox: existing.mailbox, replyToken: existing.replyToken };
  const mailbox = await db.mailbox.findFirst({ where: { status: "CONNECTED" }, orderBy: FIRST_CONNECTED });
  if (!mailbox) return null;
  const thread = await db.emailThread.upsert({
    where: { ticketId },
    create: { ticketId, tenantId, mailboxId: mailbox.id, replyToken: newReplyToken() },
    update: {},
    include: { mailbox: true },
  });
  return { mailbox: thread.mailbox, replyToken: thread.replyToken };
}

/**
 * Why nothing can leave from this mailbox now (the code a reply or
 * notification fails with), or null when it can. A mailbox waiting for an
 * admin to connect it again fails with the reason its server or provider
 * gave, without asking them again.
 */
export function refusalOf(mailbox: Mailbox): string | null {
  if (mailbox.disconnectedAt) return "MAILBOX_DISCONNECTED";
  if (mailbox.status === "NEEDS_RECONNECT") return `SMTP_${mailbox.statusReason ?? "AUTHENTICATION_FAILED"}`;
  return null;
}

/**
 * The code for mail with no connected mailbox to leave from: the reason of a
 * mailbox waiting to be connected again (its sync may have been the first to
 * learn that the grant is gone), NO_MAILBOX when the tenant has none.
 */
export async function noMailbox(db: TenantClient): Promise<string> {
  const waiting = await db.mailbox.findFirst({ where: { status: "NEEDS_RECONNECT" }, orderBy: FIRST_CONNECTED });
  return (waiting && refusalOf(waiting)) ?? "NO_MAILBOX";
}
