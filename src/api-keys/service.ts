import { newToken } from "../auth/tokens.js";
import type { Permission } from "../auth/permissions.js";
import { AppError, notFound } from "../errors.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";

export async function createApiKey(ctx: Context, input: { name: string; scopes: Permission[] }) {
  const viewer = requireViewer(ctx);
  const { token, hash } = newToken("dgk");
  const apiKey = await ctx.db.apiKey.create({
    data: {
      tenantId: viewer.tenantId,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      prefix: token.slice(0, 12),
      secretHash: hash,
      createdById: viewer.kind === "agent" ? viewer.agentId : null,
    },
  });
  return { apiKey, secret: token };
}

export async function revokeApiKey(ctx: Context, id: string) {
  const key = await ctx.db.apiKey.findUnique({ where: { id } });
  if (!key) throw notFound("API key");
  if (key.revokedAt) throw new AppError("CONFLICT", "This API key is already revoked");
  const revoked = await ctx.db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
  // Revoked means refused on the very next request, whichever instance takes it.
  await ctx.credentials?.settle();
  return revoked;
}
