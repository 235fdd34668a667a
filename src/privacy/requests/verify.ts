import { appendAuditIn } from "../../audit/service.js";
import type { Context } from "../../context.js";
import { AppError } from "../../errors.js";
import { readLinkToken } from "../../notifications/links.js";
import { queueRequestNotice } from "../../notifications/requests.js";
import { dueDate } from "./deadlines.js";

const invalid = () => new AppError("VALIDATION", "This confirmation link is not valid, or was already used");

/**
 * The person followed the emailed link of a request filed with verification
 * (no sign-in: the link is the credential). The request becomes RECEIVED, due
 * one month from now (the clock starts once it is known who asks), and the
 * receipt is queued. The link works once (its nonce is cleared) and until it
 * expires (EXPIRED); a forged or used one is VALIDATION.
 */
export async function verifyRequest(ctx: Context, token: string): Promise<{ tenantId: string }> {
  const claims = readLinkToken([ctx.config.encryptionKey, ...ctx.config.previousEncryptionKeys], "verify", token);
  if (!claims?.nonce) throw invalid();
  if (claims.expiresAt.getTime() <= Date.now()) throw new AppError("EXPIRED", "This confirmation link has expired");
  const db = ctx.database.forTenant(claims.tenantId);
  await db.$transaction(async (tx) => {
    const now = new Date();
    const { count } = await tx.dataSubjectRequest.updateMany({
      where: { id: claims.id, status: "AWAITING_VERIFICATION", verificationNonce: claims.nonce, verificationExpiresAt: { gt: now } },
      data: { status: "RECEIVED", verifiedAt: now, verificationNonce: null, dueAt: dueDate(now) },
    });
    if (count !== 1) throw invalid();
    const request = await tx.dataSubjectRequest.findUniqueOrThrow({ where: { id: claims.id } });
    // The person confirmed it themselves, by the link sent to their address.
    await appendAuditIn(tx, claims.tenantId, [
      {
        action: "dsr.verified",
        subjectType: "Contact",
        subjectId: request.contactId,
        details: { dataSubjectRequestId: request.id, type: request.type },
        actorType: "CONTACT",
        actorId: request.contactId,
        requestId: ctx.requestId,
      },
    ]);
    await queueRequestNotice(tx, request, "DSR_RECEIPT");
  });
  void ctx.notifications?.kick();
  return { tenantId: claims.tenantId };
}
