import { encodeGlobalID } from "@pothos/plugin-relay";
import { hashPassword, verifyPassword } from "../auth/passwords.js";
import { hashToken, newToken } from "../auth/tokens.js";
import { assertSeatsAvailable } from "../billing/limits.js";
import { AppError, forbidden, notFound } from "../errors.js";
import type { AgentRole } from "../generated/prisma/enums.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";

async function startSession(ctx: Context, tenantId: string, agentId: string) {
  const { token, hash } = newToken("dgs");
  const expiresAt = new Date(Date.now() + ctx.config.sessionTtlMs);
  await ctx.database.prisma.session.create({ data: { tenantId, agentId, tokenHash: hash, expiresAt } });
  const agent = await ctx.database.prisma.agent.findUniqueOrThrow({ where: { id: agentId } });
  ctx.signedInAgentId = agent.id;
  return { token, expiresAt, agent };
}

export async function signIn(ctx: Context, input: { tenant: string; email: string; password: string }) {
  const account = `${input.tenant}:${input.email}`;
  await ctx.signInLimiter.assertAllowed(account, ctx.clientIp);
  const { prisma } = ctx.database;
  const tenant = await prisma.tenant.findUnique({ where: { slug: input.tenant } });
  const agent = tenant ? await prisma.agent.findUnique({ where: { tenantId_email: { tenantId: tenant.id, email: input.email } } }) : null;
  const ok = await verifyPassword(agent?.passwordHash ?? null, input.password);
  if (!tenant || !agent || !ok || agent.disabled) {
    await ctx.signInLimiter.recordFailure(account, ctx.clientIp);
    throw new AppError("UNAUTHENTICATED", "Wrong tenant, email or password, or the account is disabled");
  }
  await ctx.signInLimiter.recordSuccess(account);
  return startSession(ctx, tenant.id, agent.id);
}

export async function signOut(ctx: Context): Promise<boolean> {
  const viewer = requireViewer(ctx);
  if (viewer.kind !== "agent") throw forbidden("Only agent sessions can sign out; revoke an API key instead");
  await ctx.db.session.update({ where: { id: viewer.sessionId }, data: { revokedAt: new Date() } });
  // Signed out means refused on the very next request, whichever instance takes it.
  await ctx.credentials?.settle();
  return true;
}

export async function inviteAgent(ctx: Context, input: { email: string; name: string; role: AgentRole }) {
  const viewer = requireViewer(ctx);
  if (input.role === "OWNER" && !(viewer.kind === "agent" && viewer.role === "OWNER")) {
    throw forbidden("Only an owner can invite another owner");
  }
  const existing = await ctx.db.agent.findFirst({ where: { email: input.email }, select: { id: true } });
  if (existing) {
    throw new AppError("CONFLICT", "An agent with this email already exists", {
      fields: [{ path: ["input", "email"], message: "already in use by another agent" }],
      existingAgentId: encodeGlobalID("Agent", existing.id),
    });
  }
  const { token, hash } = newToken("dgi");
  const agent = await ctx.db.$transaction(async (tx) => {
    // An invited agent holds a seat from the invitation on: they can accept at any time.
    await assertSeatsAvailable(ctx, tx);
    return tx.agent.create({
      data: { tenantId: viewer.tenantId, email: input.email, name: input.name, role: input.role, inviteHash: hash },
    });
  });
  return { agent, invitationToken: token };
}

export async function acceptInvitation(ctx: Context, input: { token: string; password: string }) {
  const agent = await ctx.database.prisma.agent.findUnique({ where: { inviteHash: hashToken(input.token) } });
  if (!agent || agent.disabled) throw new AppError("NOT_FOUND", "Invitation not found or already used");
  await ctx.database.prisma.agent.update({
    where: { id: agent.id },
    data: { passwordHash: await hashPassword(input.password), inviteHash: null },
  });
  return startSession(ctx, agent.tenantId, agent.id);
}

async function assertKeepsAnOwner(ctx: Context, agentId: string) {
  const owners = await ctx.db.agent.count({ where: { role: "OWNER", disabled: false, id: { not: agentId } } });
  if (owners === 0) throw new AppError("CONFLICT", "The tenant must keep at least one active owner");
}

async function findAgent(ctx: Context, id: string) {
  const agent = await ctx.db.agent.findUnique({ where: { id } });
  if (!agent) throw notFound("Agent");
  return agent;
}

export async function updateAgentRole(ctx: Context, id: string, role: AgentRole) {
  const viewer = requireViewer(ctx);
  const agent = await findAgent(ctx, id);
  const isOwner = viewer.kind === "agent" && viewer.role === "OWNER";
  if ((role === "OWNER" || agent.role === "OWNER") && !isOwner) throw forbidden("Only an owner can grant or remove the owner role");
  if (agent.role === "OWNER" && role !== "OWNER") await assertKeepsAnOwner(ctx, id);
  const updated = await ctx.db.agent.update({ where: { id }, data: { role } });
  // The agent's open sessions carry the new role from their next request on.
  await ctx.credentials?.settle();
  return updated;
}

export async function setAgentDisabled(ctx: Context, id: string, disabled: boolean) {
  const viewer = requireViewer(ctx);
  const agent = await findAgent(ctx, id);
  if (disabled && viewer.kind === "agent" && viewer.agentId === id) throw new AppError("CONFLICT", "You cannot disable yourself");
  if (agent.role === "OWNER" && !(viewer.kind === "agent" && viewer.role === "OWNER"))
    throw forbidden("Only an owner can disable or enable an owner");
  if (disabled && agent.role === "OWNER") await assertKeepsAnOwner(ctx, id);
  const updated = await ctx.db.$transaction(async (tx) => {
    if (!disabled && agent.disabled) await assertSeatsAvailable(ctx, tx);
    if (disabled) await tx.session.updateMany({ where: { agentId: id, revokedAt: null }, data: { revokedAt: new Date() } });
    return tx.agent.update({ where: { id }, data: { disabled } });
  });
  await ctx.credentials?.settle();
  return updated;
}
