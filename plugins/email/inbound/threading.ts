import type { TenantClient } from "../../../src/db/tenant-scope.js";
import { headerValues, type Mail } from "./parse.js";
import { isReplyToken, tokenInMessageId, tokenInRecipient, TOKEN_HEADER } from "../tokens.js";

export interface Thread {
  ticketId: string;
  /** How it was found, for the logs. */
  by: "MESSAGE_ID" | "REPLY_TOKEN";
}

/**
 * The ticket a mail belongs to, or null for a new conversation. First the
 * mails it answers (In-Reply-To, then References, newest first) among the
 * tenant's messages, received and sent; then a reply token: in one of our
 * Message-IDs it quotes, in a plus address of one of the mailbox's addresses
 * (its own, its forwarding address) it was sent to, or in our header.
 */
export async function threadOf(
  db: TenantClient,
  mail: Mail,
  mailboxAddresses: string[],
  envelopeTo: string[] = [],
): Promise<Thread | null> {
  const answered = [...mail.inReplyTo, ...[...mail.references].reverse()];
  if (answered.length) {
    const found = await db.message.findMany({ where: { externalId: { in: answered } }, select: { externalId: true, ticketId: true } });
    const byId = new Map(found.map((m) => [m.externalId!, m.ticketId]));
    for (const id of answered) {
      const ticketId = byId.get(id);
      if (ticketId) return { ticketId, by: "MESSAGE_ID" };
    }
  }
  const tokens = replyTokensOf(mail, answered, mailboxAddresses, envelopeTo);
  if (!tokens.length) return null;
  const thread = await db.emailThread.findFirst({ where: { replyToken: { in: [...new Set(tokens)] } }, select: { ticketId: true } });
  return thread ? { ticketId: thread.ticketId, by: "REPLY_TOKEN" } : null;
}

/** The reply tokens a mail carries: in our Message-IDs it answers, in plus addresses of the mailbox's addresses, in our header. */
export function replyTokensOf(mail: Mail, answered: string[], mailboxAddresses: string[], envelopeTo: string[] = []): string[] {
  return [
    ...answered.map(tokenInMessageId),
    ...[...mail.recipients, ...envelopeTo].flatMap((r) => mailboxAddresses.map((a) => tokenInRecipient(r, a))),
    ...headerValues(mail, TOKEN_HEADER.toLowerCase()).map((v) => (isReplyToken(v) ? v.trim().toLowerCase() : null)),
  ].filter((t): t is string => t !== null);
}
