import { createHash } from "node:crypto";
import type { EmailRuntime } from "../options.js";
import { advanceDelivery } from "../delivery.js";
import { storeFiles } from "./attachments.js";
import { contactFor } from "./contact.js";
import { contentOf } from "./content.js";
import { parseDeliveryReport } from "./dsn.js";
import { isDeliveryReport, noiseOf, type Noise } from "./noise.js";
import { parseMail, type Mail } from "./parse.js";
import { maskedAddress, type SenderLimiter } from "./rate.js";
import { recordProgress, storeMail, type Source } from "./store.js";
import { threadOf } from "./threading.js";

export type Outcome =
  | { kind: "STORED"; ticketId: string; messageId: string; opened: boolean }
  | { kind: "DUPLICATE" }
  | { kind: "IGNORED"; reason: Noise | "NO_SENDER" | "SENDER_OVER_LIMIT" }
  | { kind: "DELIVERY_REPORT"; updated: number };

/**
 * One mail, from a mailbox's folder or delivered to its forwarding address,
 * start to end: stored once (by its UID in the folder and by its Message-ID
 * in the tenant), or recognised as a delivery report, or ignored as noise;
 * whichever it is, a folder's position moves past it, under the session's lease.
 */
export async function receiveMail(
  runtime: EmailRuntime,
  source: Source,
  raw: Buffer,
  limiter: Pick<SenderLimiter, "allow" | "perHour">,
): Promise<Outcome> {
  const db = runtime.core.db;
  const log = runtime.log.child({
    mailboxId: source.mailbox.id,
    uid: source.folder?.uid.toString() ?? null,
    via: source.folder ? "IMAP" : "SMTP",
  });
  const done = async <O extends Outcome>(outcome: O): Promise<O> => {
    await db.$transaction(async (tx) => {
      await recordProgress(tx, source);
      // Skipped mail leaves no message: the mailbox counts it, for admins to see (Mailbox.mailsOverSenderLimit).
      if (outcome.kind === "IGNORED" && outcome.reason === "SENDER_OVER_LIMIT") {
        await tx.mailbox.update({
          where: { id: source.mailbox.id },
          data: { mailsOverSenderLimit: { increment: 1 }, lastOverSenderLimitAt: new Date() },
        });
      }
    });
    return outcome;
  };

  const place = source.folder;
  const seen = place
    ? await db.emailMessage.findFirst({
        where: { mailboxId: source.mailbox.id, uidValidity: place.uidValidity, uid: place.uid },
        select: { messageId: true, attachmentsPending: true },
      })
    : null;
  const mail = await parseMail(raw);
  if (seen) {
    if (seen.attachmentsPending) await storeFiles(runtime, seen.messageId, (await contentOf(mail, maxBytes(runtime))).files);
    return done({ kind: "DUPLICATE" });
  }

  const noise = noiseOf(mail, source.mailbox.address);
  if (noise) {
    if (noise === "BOUNCE" && isDeliveryReport(mail)) return done({ kind: "DELIVERY_REPORT", updated: await applyReport(runtime, mail) });
    log.info({ reason: noise }, "email ignored: automatic mail opens no ticket and gets no reply");
    return done({ kind: "IGNORED", reason: noise });
  }
  if (!mail.from) {
    log.info("email ignored: it has no sender address");
    return done({ kind: "IGNORED", reason: "NO_SENDER" });
  }
  const messageId = mail.messageId ?? syntheticMessageId(raw);
  if (await db.message.findFirst({ where: { externalId: messageId }, select: { id: true } })) return done({ kind: "DUPLICATE" });
  if (!(await limiter.allow(source.mailbox.id, mail.from.address))) {
    log.warn(
      { sender: maskedAddress(mail.from.address), limitPerHour: limiter.perHour },
      "email ignored: its sender is over the per-sender limit (EMAIL_SENDER_LIMIT_PER_HOUR); a mail loop or a flood",
    );
    return done({ kind: "IGNORED", reason: "SENDER_OVER_LIMIT" });
  }

  const thread = await threadOf(
    db,
    mail,
    [source.mailbox.address, ...(source.delivery?.forwardingAddresses ?? [])],
    source.delivery?.envelopeTo ?? [],
  );
  const joining = thread
    ? await db.ticket.findUnique({
        where: { id: thread.ticketId },
        select: { id: true, status: true, emailThread: { select: { ticketId: true } } },
      })
    : null;
  const contact = await contactFor(runtime, mail.from);
  const content = await contentOf(mail, maxBytes(runtime));
  const stored = await storeMail(runtime, source, mail, messageId, contact, joining, content);
  if (!stored) return done({ kind: "DUPLICATE" });
  // The events are committed: have them numbered now rather than at the sequencer's next round.
  runtime.core.database.appended(runtime.tenantId);
  log.debug({ ticketId: stored.ticketId, opened: stored.opened, threadedBy: thread?.by ?? null }, "email stored");
  if (content.files.length) await storeFiles(runtime, stored.messageId, content.files);
  return { kind: "STORED", ...stored };
}

const maxBytes = (runtime: EmailRuntime) => runtime.core.config.attachments.maxBytes;

/** A mail without a Message-ID gets one from its bytes: the same mail delivered twice is still recognised. */
export const syntheticMessageId = (raw: Buffer) =>
  `sha256-${createHash("sha256").update(raw).digest("hex").slice(0, 40)}@no-message-id.invalid`;

/**
 * A delivery report about one of our replies moves that reply's delivery
 * status: UNDELIVERED (with the status code) when delivery failed, DELIVERED
 * when it says so; "delayed" changes nothing. Only outbound messages are touched.
 */
async function applyReport(runtime: EmailRuntime, mail: Mail): Promise<number> {
  const report = parseDeliveryReport(mail);
  if (!report?.originalMessageIds.length) return 0;
  const ours = { externalId: { in: report.originalMessageIds }, channel: "EMAIL" as const, authorType: { not: "CONTACT" as const } };
  const db = runtime.core.db;
  if (report.action === "failed") {
    return advanceDelivery(db, ours, "UNDELIVERED", { deliveryError: report.status ? `SMTP_${report.status}` : "BOUNCED" });
  }
  if (report.action === "delivered" || report.action === "relayed" || report.action === "expanded") {
    return advanceDelivery(db, ours, "DELIVERED");
  }
  return 0;
}
