import { AppError, notFound } from "../errors.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type { Context } from "../context.js";
import { inTransaction } from "../db/tx.js";
import { invalidateAiModels } from "../ai/invalidate.js";

type Db = Pick<TenantClient, "contact">;

/**
 * GDPR art. 18: a restricted contact's data is kept but not processed. Every
 * change to the contact or its tickets is refused until the restriction is lifted.
 */
export function assertNotRestricted(contact: { restrictedAt: Date | null }): void {
  if (contact.restrictedAt) {
    throw new AppError("PROCESSING_RESTRICTED", "Processing of this contact's data is restricted; lift the restriction first");
  }
}

export async function assertContactProcessable(db: Db, contactId: string): Promise<void> {
  const contact = await db.contact.findUnique({ where: { id: contactId }, select: { restrictedAt: true } });
  if (contact) assertNotRestricted(contact);
}

async function liveContact(ctx: Context, id: string) {
  const contact = await ctx.db.contact.findUnique({ where: { id } });
  if (!contact || contact.erasedAt) throw notFound("Contact");
  return contact;
}

export async function restrictProcessing(ctx: Context, contactId: string, reason: string) {
  const contact = await liveContact(ctx, contactId);
  if (contact.restrictedAt) throw new AppError("CONFLICT", "Processing is already restricted");
  return inTransaction(ctx.db, async (tx) => {
    const restricted = await tx.contact.update({ where: { id: contactId }, data: { restrictedAt: new Date(), restrictionReason: reason } });
    // Restricted data is not processed: the local AI models are trained again without it.
    await invalidateAiModels(tx, contact.tenantId);
    return restricted;
  });
}

export async function liftRestriction(ctx: Context, contactId: string) {
  const contact = await liveContact(ctx, contactId);
  if (!contact.restrictedAt) throw new AppError("CONFLICT", "Processing is not restricted");
  return ctx.db.contact.update({ where: { id: contactId }, data: { restrictedAt: null, restrictionReason: null } });
}

/** A legal hold keeps the data: erasure and retention deletes skip it, with this reason. */
export async function placeLegalHold(ctx: Context, contactId: string, reason: string) {
  const contact = await liveContact(ctx, contactId);
  if (contact.legalHoldAt) throw new AppError("CONFLICT", "A legal hold is already in place");
  return ctx.db.contact.update({ where: { id: contactId }, data: { legalHoldAt: new Date(), legalHoldReason: reason } });
}

export async function releaseLegalHold(ctx: Context, contactId: string) {
  const contact = await liveContact(ctx, contactId);
  if (!contact.legalHoldAt) throw new AppError("CONFLICT", "There is no legal hold");
  return ctx.db.contact.update({ where: { id: contactId }, data: { legalHoldAt: null, legalHoldReason: null } });
}

export function assertNoLegalHold(contact: { legalHoldAt: Date | null; legalHoldReason: string | null }): void {
  if (contact.legalHoldAt) {
    throw new AppError("LEGAL_HOLD", `A legal hold blocks this: ${contact.legalHoldReason ?? "no reason recorded"}`, {
      since: contact.legalHoldAt.toISOString(),
    });
  }
}
