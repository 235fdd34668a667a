import { newToken } from "../auth/tokens.js";
import { notFound } from "../errors.js";
import type { Context } from "../context.js";
import { DAY_MS } from "../constants.js";

/**
 * A portal token lets a data subject use the API for themselves (CONTACT role):
 * their own tickets and public replies, their requests, exports and consents.
 * It can be handed over in an email link; it is shown once.
 */
export async function issuePortalToken(ctx: Context, contactId: string, validForDays: number) {
  const contact = await ctx.db.contact.findUnique({ where: { id: contactId } });
  if (!contact || contact.erasedAt) throw notFound("Contact");
  const { token, hash } = newToken("dgp");
  const expiresAt = new Date(Date.now() + validForDays * DAY_MS);
  await ctx.db.portalToken.create({ data: { tenantId: contact.tenantId, contactId, tokenHash: hash, expiresAt } });
  return { token, expiresAt, contactId };
}

export async function revokePortalTokens(ctx: Context, contactId: string): Promise<number> {
  const contact = await ctx.db.contact.findUnique({ where: { id: contactId } });
  if (!contact) throw notFound("Contact");
  const { count } = await ctx.db.portalToken.updateMany({ where: { contactId, revokedAt: null }, data: { revokedAt: new Date() } });
  await ctx.credentials?.settle();
  return count;
}
