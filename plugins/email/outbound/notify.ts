import { randomUUID } from "node:crypto";
import type { Notifier, OutgoingNotification } from "../../../src/notifications/contract.js";
import { connectDeps } from "../imap.js";
import type { EmailRuntime } from "../options.js";
import { markIfNeedsAdmin } from "../refusal.js";
import { smtpTransport } from "../smtp.js";
import { messageIdFor, plusAddress, TOKEN_HEADER } from "../tokens.js";
import { sendFailure } from "./deliver.js";
import { noMailbox, refusalOf, threadFor } from "./thread.js";

/**
 * The emailNotifier capability: the core's notifications (an acknowledgement,
 * a satisfaction request, a data-subject-request notice, marketing mail) leave
 * from the tenant's mailbox like agents' replies. One about a ticket goes out
 * in the ticket's thread: from its mailbox, with a Message-ID carrying the
 * reply token, the token in Reply-To (plus addressing) and the token header,
 * so that an answer joins the ticket. The gateway checks the purpose for the
 * person: a restricted contact gets nothing, marketing needs consent.
 */
export async function emailNotifier(runtime: EmailRuntime): Promise<Notifier | null> {
  const db = runtime.core.db;
  const any = await db.mailbox.findFirst({ where: { status: "CONNECTED" }, select: { id: true } });
  if (!any) return null;
  return { send: (n) => send(runtime, n) };
}

class NotifyError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

async function send(runtime: EmailRuntime, n: OutgoingNotification): Promise<{ externalId: string }> {
  const db = runtime.core.db;
  const contact = await db.contact.findUnique({ where: { id: n.contactId }, select: { id: true, name: true, email: true } });
  if (!contact?.email) throw new NotifyError("NO_EMAIL_ADDRESS");
  const thread = n.ticketId ? await threadFor(db, runtime.tenantId, n.ticketId) : null;
  const mailbox =
    thread?.mailbox ?? (await db.mailbox.findFirst({ where: { status: "CONNECTED" }, orderBy: [{ connectedAt: "asc" }, { id: "asc" }] }));
  if (!mailbox) throw new NotifyError(await noMailbox(db));
  const refusal = refusalOf(mailbox);
  if (refusal) throw new NotifyError(refusal);
  const domain = mailbox.address.split("@")[1]!;
  // Outside a ticket's thread: a Message-ID of ours that carries no reply token.
  const messageId = thread ? messageIdFor(thread.replyToken, domain) : `dgn-${randomUUID()}@${domain}`;
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: runtime.tenantId }, select: { name: true } });
  try {
    await runtime.call(
      {
        operation: "notify",
        purpose: n.purpose,
        categories: ["user.name", "user.contact.email", ...(n.ticketId ? ["user.content.message" as const] : [])],
        subjectIds: [contact.id],
      },
      async () => {
        const transport = await smtpTransport(connectDeps(runtime), mailbox);
        try {
          return await transport.sendMail({
            from: { name: mailbox.displayName || tenant.name, address: mailbox.address },
            to: { name: contact.name, address: contact.email! },
            subject: n.content.subject,
            text: n.content.text,
            html: n.content.html,
            messageId: `<${messageId}>`,
            ...(thread && mailbox.plusAddressing ? { replyTo: plusAddress(mailbox.address, thread.replyToken) } : {}),
            headers: { ...(thread ? { [TOKEN_HEADER]: thread.replyToken } : {}), ...n.headers },
          });
        } finally {
          transport.close();
        }
      },
    );
  } catch (err) {
    const marked = await markIfNeedsAdmin(connectDeps(runtime), mailbox, err);
    throw new NotifyError(marked ? `SMTP_${marked}` : sendFailure(err));
  }
  return { externalId: messageId };
}
