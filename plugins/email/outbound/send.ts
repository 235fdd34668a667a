import { randomUUID } from "node:crypto";
import type { MessageCreatedEvent } from "../../../src/plugin-host/plugin.js";
import type { EmailRuntime } from "../options.js";
import { messageIdFor } from "../tokens.js";
import { deliverReply } from "./deliver.js";
import { SEND_HOLDER } from "./lease.js";
import { noMailbox, refusalOf, threadFor } from "./thread.js";

/**
 * Sends an agent's (or the system's) public reply on an EMAIL ticket to the
 * requester, from the ticket's mailbox. The reply is claimed first, in one
 * transaction: its Message-ID and QUEUED written on condition that neither is
 * set, with an EmailOutbound row whose lease this instance holds. So hearing
 * of it twice sends it once, and a reply whose instance dies before the send
 * is finished is taken over by the retry loop (retry.ts) once the lease
 * lapses. Nothing is thrown: whatever stops it ends up on the message as
 * deliveryStatus FAILED with a deliveryError code (see deliver.ts).
 */
export async function sendReply(runtime: EmailRuntime, event: MessageCreatedEvent): Promise<void> {
  const db = runtime.core.db;
  const message = await db.message.findUnique({
    where: { id: event.messageId },
    select: {
      id: true,
      internal: true,
      authorType: true,
      externalId: true,
      deliveryStatus: true,
      ticketId: true,
      ticket: { select: { channel: true, requester: { select: { email: true } } } },
    },
  });
  if (!message || message.internal || message.authorType === "CONTACT" || message.ticket.channel !== "EMAIL") return;
  if (message.externalId || message.deliveryStatus) return; // on its way already
  const fail = (deliveryError: string) =>
    db.message.updateMany({ where: { id: message.id, deliveryStatus: null }, data: { deliveryStatus: "FAILED", deliveryError } });

  if (!message.ticket.requester.email) return void (await fail("NO_EMAIL_ADDRESS"));
  const thread = await threadFor(db, runtime.tenantId, message.ticketId);
  if (!thread) return void (await fail(await noMailbox(db)));
  const { mailbox, replyToken } = thread;
  const refusal = refusalOf(mailbox);
  if (refusal) return void (await fail(refusal));

  const token = randomUUID();
  const claimed = await db.$transaction(async (tx) => {
    const { count } = await tx.message.updateMany({
      where: { id: message.id, externalId: null, deliveryStatus: null },
      data: { externalId: messageIdFor(replyToken, mailbox.address.split("@")[1]!), deliveryStatus: "QUEUED" },
    });
    if (!count) return false;
    await tx.emailOutbound.create({
      data: {
        messageId: message.id,
        tenantId: runtime.tenantId,
        leaseToken: token,
        leaseHolder: SEND_HOLDER,
        leaseUntil: new Date(Date.now() + runtime.options.leaseMs),
      },
    });
    return true;
  });
  if (!claimed) return;
  await deliverReply(runtime, { messageId: message.id, tenantId: runtime.tenantId, token, attempts: 1 });
}
