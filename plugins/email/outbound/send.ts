import { isServable } from "../../../src/attachments/scan-status.js";
import { wholeFile } from "../../../src/attachments/service.js";
import type { TenantClient } from "../../../src/db/tenant-scope.js";
import type { MessageCreatedEvent } from "../../../src/plugin-host/plugin.js";
import { failureReason, needsAdmin } from "../connection.js";
import { advanceDelivery } from "../delivery.js";
import type { EmailRuntime } from "../options.js";
import { markNeedsReconnect } from "../reconnect.js";
import { connectDeps } from "../imap.js";
import { smtpTransport } from "../smtp.js";
import { messageIdFor, plusAddress, TOKEN_HEADER } from "../tokens.js";
import { threadFor } from "./thread.js";

/** A References header keeps the thread's start and its latest mails: enough for any client to thread, never unbounded. */
const MAX_REFERENCES = 20;

/**
 * Sends an agent's (or the system's) public reply on an EMAIL ticket to the
 * requester, from the ticket's mailbox, as an answer to the conversation's
 * latest mail: In-Reply-To and References, a Message-ID of ours carrying the
 * thread's reply token (and the token in Reply-To with plus addressing). The
 * reply is claimed first (its Message-ID and QUEUED written on condition that
 * neither is set), so that hearing of it twice sends it once. Nothing is
 * thrown: whatever stops it (the gateway's PROCESSING_RESTRICTED or
 * PLUGIN_DISABLED, the SMTP server's refusal) ends up on the message as
 * deliveryStatus FAILED with a deliveryError code.
 */
export async function sendReply(runtime: EmailRuntime, event: MessageCreatedEvent): Promise<void> {
  const db = runtime.core.db;
  const message = await db.message.findUnique({
    where: { id: event.messageId },
    include: { ticket: { include: { requester: true } }, attachments: { where: { uploadedAt: { not: null } } } },
  });
  if (!message || message.internal || message.authorType === "CONTACT" || message.ticket.channel !== "EMAIL") return;
  if (message.externalId || message.deliveryStatus) return; // on its way already
  const fail = (deliveryError: string) =>
    db.message.updateMany({ where: { id: message.id, deliveryStatus: null }, data: { deliveryStatus: "FAILED", deliveryError } });

  const requester = message.ticket.requester;
  if (!requester.email) return void (await fail("NO_EMAIL_ADDRESS"));
  const thread = await threadFor(db, runtime.tenantId, message.ticketId);
  if (!thread) return void (await fail("NO_MAILBOX"));
  const { mailbox, replyToken } = thread;
  if (mailbox.disconnectedAt) return void (await fail("MAILBOX_DISCONNECTED"));

  const messageId = messageIdFor(replyToken, mailbox.address.split("@")[1]!);
  const claimed = await db.message.updateMany({
    where: { id: message.id, externalId: null, deliveryStatus: null },
    data: { externalId: messageId, deliveryStatus: "QUEUED" },
  });
  if (!claimed.count) return;

  const previous = await latestMail(db, message.ticketId, message.id);
  const references = previous ? [...(previous.references?.split(" ") ?? []), previous.id].slice(-MAX_REFERENCES) : [];
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: runtime.tenantId }, select: { name: true } });
  const from = { name: mailbox.displayName || tenant.name, address: mailbox.address };
  const subject = /^re:/i.test(message.ticket.subject) ? message.ticket.subject : `Re: ${message.ticket.subject}`;
  // Only files a malware scanner let through leave (as with download links); the others are named instead.
  const mode = runtime.core.config.attachments.scanning.mode;
  const held = message.attachments.filter((a) => !isServable(a.scanStatus, mode));
  const text = held.length
    ? `${message.body}\n\n[Not attached, not cleared by the malware scan yet: ${held.map((a) => a.filename).join(", ")}]`
    : message.body;
  const files = await Promise.all(
    message.attachments
      .filter((a) => isServable(a.scanStatus, mode))
      .map(async (a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: await wholeFile(db, a, runtime.core.config.attachments.maxBytes),
      })),
  );

  try {
    await runtime.call(
      {
        operation: "send",
        purpose: "support",
        categories: [
          "user.name",
          "user.contact.email",
          "user.content.message",
          ...(files.length ? ["user.content.attachment" as const] : []),
        ],
        subjectIds: [requester.id],
      },
      async () => {
        const transport = await smtpTransport(connectDeps(runtime), mailbox);
        try {
          return await transport.sendMail({
            from,
            to: { name: requester.name, address: requester.email! },
            subject,
            text,
            messageId: `<${messageId}>`,
            ...(previous ? { inReplyTo: `<${previous.id}>`, references: references.map((r) => `<${r}>`) } : {}),
            ...(mailbox.plusAddressing ? { replyTo: plusAddress(mailbox.address, replyToken) } : {}),
            headers: { [TOKEN_HEADER]: replyToken },
            attachments: files,
          });
        } finally {
          transport.close();
        }
      },
    );
    await db.emailMessage.create({
      data: {
        messageId: message.id,
        tenantId: runtime.tenantId,
        mailboxId: mailbox.id,
        direction: "OUTBOUND",
        inReplyTo: previous?.id ?? null,
        references: references.join(" ") || null,
        fromHeader: `"${from.name.replace(/"/g, "'")}" <${from.address}>`,
        toHeader: `"${requester.name.replace(/"/g, "'")}" <${requester.email}>`,
        sentAt: new Date(),
      },
    });
    await advanceDelivery(db, { id: message.id }, "SENT");
  } catch (err) {
    const code = sendFailure(err);
    // The server's text can quote addresses: the code only.
    runtime.log.warn({ messageId: message.id, mailboxId: mailbox.id, code }, "email reply not sent");
    const reason = failureReason(err);
    if (needsAdmin(reason)) await markNeedsReconnect(db, mailbox.id, reason, runtime.log);
    await advanceDelivery(db, { id: message.id }, "FAILED", { deliveryError: code });
  }
}

/** The ticket's latest mail other than this reply, received or sent: what the reply answers. */
async function latestMail(db: TenantClient, ticketId: string, exceptId: string) {
  const row = await db.message.findFirst({
    where: { ticketId, id: { not: exceptId }, externalId: { not: null }, email: { isNot: null } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { externalId: true, email: { select: { references: true } } },
  });
  return row ? { id: row.externalId!, references: row.email?.references ?? null } : null;
}

/**
 * A stable code for a reply that did not go out: the gateway's (PROCESSING_RESTRICTED,
 * PLUGIN_DISABLED…), SMTP_<status> when the server refused it with one, or
 * SMTP_<reason> for a connection that failed (SMTP_UNREACHABLE, SMTP_AUTHENTICATION_FAILED…).
 */
export function sendFailure(err: unknown): string {
  const e = err as { extensions?: { code?: unknown }; responseCode?: unknown; code?: unknown };
  if (typeof e?.extensions?.code === "string") return e.extensions.code;
  const reason = failureReason(err);
  if (reason === "PROTOCOL_ERROR" && typeof e?.responseCode === "number") return `SMTP_${e.responseCode}`;
  return `SMTP_${reason}`;
}
