import { isServable } from "../../../src/attachments/scan-status.js";
import { wholeFile } from "../../../src/attachments/service.js";
import type { TenantClient } from "../../../src/db/tenant-scope.js";
import { failureReason, needsAdmin } from "../connection.js";
import { advanceDelivery } from "../delivery.js";
import { connectDeps } from "../imap.js";
import type { EmailRuntime } from "../options.js";
import { markIfNeedsAdmin } from "../refusal.js";
import { smtpTransport } from "../smtp.js";
import { plusAddress, TOKEN_HEADER } from "../tokens.js";
import { holdingLease, postponeSend, renewSendLease, type SendClaim } from "./lease.js";
import { noMailbox, refusalOf, threadFor } from "./thread.js";

/** A References header keeps the thread's start and its latest mails: enough for any client to thread, never unbounded. */
const MAX_REFERENCES = 20;
/** Each attempt after the second waits this many times longer than the one before. */
const BACKOFF_FACTOR = 3;

/**
 * One attempt at sending a claimed reply (QUEUED, its lease held by this
 * instance): as an answer to the conversation's latest mail, with
 * In-Reply-To and References, its Message-ID (written when it was claimed:
 * the same on every attempt) carrying the thread's reply token, and the token
 * in Reply-To with plus addressing. The lease is renewed while the SMTP
 * server takes its time.
 *
 * SENT, the email part and the end of the EmailOutbound row are one commit. A
 * failure that may pass (the server unreachable, an SMTP 4xx answer) leaves
 * the reply QUEUED, with the failure's code in deliveryError, for another
 * attempt after a growing wait (EMAIL_SEND_RETRY_SECONDS, times three each
 * time); once EMAIL_SEND_ATTEMPTS are spent, or at once for a refusal that
 * will not pass (the gateway's PROCESSING_RESTRICTED or PLUGIN_DISABLED, an
 * SMTP 5xx, refused credentials), it is FAILED.
 */
export async function deliverReply(runtime: EmailRuntime, claim: SendClaim): Promise<void> {
  const db = runtime.core.db;
  const sql = runtime.core.database.prisma;
  // A claim that waited its turn (a batch of the retry loop) may have lapsed and been taken over: then it is the other's to send.
  if (!(await renewSendLease(sql, claim, runtime.options.leaseMs))) return;
  const message = await db.message.findUnique({
    where: { id: claim.messageId },
    include: { ticket: { include: { requester: true } }, attachments: { where: { uploadedAt: { not: null } } } },
  });
  if (!message?.externalId || message.deliveryStatus !== "QUEUED") {
    // Settled meanwhile (or erased): nothing to send.
    await db.emailOutbound.deleteMany({ where: { messageId: claim.messageId } });
    return;
  }
  const final = (code: string) => finish(db, message.id, code);
  const requester = message.ticket.requester;
  // The requester's address erased, the mailbox disconnected while the reply waited.
  if (!requester.email) return final("NO_EMAIL_ADDRESS");
  const thread = await threadFor(db, runtime.tenantId, message.ticketId);
  if (!thread) return final(await noMailbox(db));
  const { mailbox, replyToken } = thread;
  const refusal = refusalOf(mailbox);
  if (refusal) return final(refusal);
  const messageId = message.externalId;

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
    await holdingLease(sql, claim, runtime.options.leaseMs, () =>
      runtime.call(
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
      ),
    );
  } catch (err) {
    const marked = await markIfNeedsAdmin(connectDeps(runtime), mailbox, err);
    const code = marked ? `SMTP_${marked}` : sendFailure(err);
    // A refused sign-in that a new OAuth2 token may mend (not marked) is tried again too.
    const mended = !marked && needsAdmin(failureReason(err));
    const again = (mayPass(err) || mended) && claim.attempts < runtime.options.sendAttempts;
    // The server's text can quote addresses: the code only.
    runtime.log.warn({ messageId: message.id, mailboxId: mailbox.id, code, attempt: claim.attempts, again }, "email reply not sent");
    if (!again) return final(code);
    const wait = runtime.options.sendRetryMs * BACKOFF_FACTOR ** (claim.attempts - 1);
    await db.message.updateMany({ where: { id: message.id, deliveryStatus: "QUEUED" }, data: { deliveryError: code } });
    await postponeSend(sql, claim, new Date(Date.now() + wait), code);
    return;
  }
  await db.$transaction(async (tx) => {
    await tx.emailMessage.create({
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
    await advanceDelivery(tx, { id: message.id }, "SENT", { deliveryError: null });
    await tx.emailOutbound.deleteMany({ where: { messageId: message.id } });
  });
}

/** FAILED for good, with why; the reply is no longer on its way. */
async function finish(db: TenantClient, messageId: string, code: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await advanceDelivery(tx, { id: messageId }, "FAILED", { deliveryError: code });
    await tx.emailOutbound.deleteMany({ where: { messageId } });
  });
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
 * Whether another attempt may succeed: the server could not be reached (or
 * its name resolved), or it answered with a temporary failure (4xx). The
 * gateway's refusals, 5xx answers, refused credentials and TLS failures stay
 * as they are until someone changes something.
 */
function mayPass(err: unknown): boolean {
  const e = err as { extensions?: { code?: unknown }; responseCode?: unknown };
  if (typeof e?.extensions?.code === "string") return false;
  const reason = failureReason(err);
  if (reason === "UNREACHABLE" || reason === "HOST_NOT_FOUND") return true;
  return reason === "PROTOCOL_ERROR" && typeof e?.responseCode === "number" && e.responseCode >= 400 && e.responseCode < 500;
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
