import { randomBytes } from "node:crypto";
import { DAY_MS } from "../constants.js";
import type { Tx } from "../db/tx.js";
import type { DataSubjectRequest } from "../generated/prisma/client.js";
import { validationError } from "../errors.js";
import type { NotificationKind } from "./kinds.js";
import { queueNotifications } from "./queue.js";

/** How long the emailed link that confirms a request works. */
const VERIFICATION_WINDOW_MS = 7 * DAY_MS;

/** Whether a notice can go by email at all: the person has an address and the tenant a connected mailbox. */
async function mailable(tx: Tx, contactId: string): Promise<boolean> {
  const [contact, mailboxes] = await Promise.all([
    tx.contact.findUnique({ where: { id: contactId }, select: { email: true, erasedAt: true } }),
    tx.mailbox.count({ where: { status: "CONNECTED" } }),
  ]);
  return Boolean(contact?.email && !contact.erasedAt && mailboxes > 0);
}

/**
 * Queues a notice about a data-subject request to the person's email, in the
 * caller's transaction: the receipt, or the completion (or refusal) notice.
 * Nothing is queued where it could not go (no address, no connected mailbox)
 * or for a completed erasure (the address went with it).
 */
export async function queueRequestNotice(
  tx: Tx,
  request: Pick<DataSubjectRequest, "id" | "tenantId" | "contactId" | "type">,
  kind: Extract<NotificationKind, "DSR_RECEIPT" | "DSR_COMPLETED">,
  outcome?: "COMPLETED" | "REFUSED",
): Promise<number> {
  if (kind === "DSR_COMPLETED" && request.type === "ERASURE" && outcome === "COMPLETED") return 0;
  if (!(await mailable(tx, request.contactId))) return 0;
  const key = kind === "DSR_RECEIPT" ? `dsr-receipt:${request.id}` : `dsr-done:${request.id}`;
  return queueNotifications(tx, request.tenantId, [{ kind, channel: "EMAIL", key, contactId: request.contactId, requestId: request.id }]);
}

/**
 * What a request filed with verification starts with: a single-use nonce for
 * the emailed link and its expiry, and the link's mail queued. VALIDATION
 * (at input.requireVerification) when no mail can reach the person.
 */
export async function startVerification(
  tx: Tx,
  request: Pick<DataSubjectRequest, "tenantId" | "contactId">,
): Promise<{ verificationNonce: string; verificationExpiresAt: Date; queue(requestId: string): Promise<number> }> {
  if (!(await mailable(tx, request.contactId))) {
    throw validationError([
      {
        path: ["input", "requireVerification"],
        message: "the link is sent by email: the person needs an email address and the tenant a connected mailbox",
      },
    ]);
  }
  return {
    verificationNonce: randomBytes(16).toString("hex"),
    verificationExpiresAt: new Date(Date.now() + VERIFICATION_WINDOW_MS),
    queue: (requestId) =>
      queueNotifications(tx, request.tenantId, [
        { kind: "DSR_VERIFICATION", channel: "EMAIL", key: `dsr-verify:${requestId}`, contactId: request.contactId, requestId },
      ]),
  };
}
