import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Viewer } from "../auth/viewer.js";
import type { TenantClient } from "../db/tenant-scope.js";
import { AppError, forbidden, notFound } from "../errors.js";
import type { PolicyVersion } from "../generated/prisma/client.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";

/** Newest first; the first one is the policy in force. Ties (same millisecond) go to the later version name. */
const NEWEST_FIRST = [{ publishedAt: "desc" as const }, { version: "desc" as const }];

export interface PublishInput {
  version: string;
  url?: string | null;
  summary?: string | null;
}

/** A new privacy policy version: everyone who has not accepted it sees it as their viewer's pendingPolicy. */
export async function publishPolicyVersion(ctx: Context, input: PublishInput): Promise<PolicyVersion> {
  const { tenantId } = requireViewer(ctx);
  return ctx.db.$transaction(async (tx) => {
    const existing = await tx.policyVersion.findFirst({ where: { version: input.version }, select: { id: true } });
    if (existing) {
      throw new AppError("CONFLICT", `Version ${input.version} is already published`, {
        fields: [{ path: ["input", "version"], message: "already published" }],
        existingPolicyVersionId: encodeGlobalID("PolicyVersion", existing.id),
      });
    }
    return tx.policyVersion.create({
      data: { tenantId, version: input.version, url: input.url ?? null, summary: input.summary ?? null, publishedAt: new Date() },
    });
  });
}

const currentPolicy = (db: TenantClient) => db.policyVersion.findFirst({ orderBy: NEWEST_FIRST });

/** Who accepts: an agent or a contact. API keys and plugins act for no person. */
function acceptor(viewer: Viewer): { agentId: string } | { contactId: string } | null {
  if (viewer.kind === "agent") return { agentId: viewer.agentId };
  if (viewer.kind === "contact") return { contactId: viewer.contactId };
  return null;
}

export async function acceptanceOf(db: TenantClient, viewer: Viewer, policyVersionId: string) {
  const who = acceptor(viewer);
  if (!who) return null;
  return db.policyAcceptance.findFirst({ where: { policyVersionId, ...who } });
}

/** Records that the viewer accepted the version. Accepting again changes nothing. */
export async function acceptPolicyVersion(ctx: Context, policyVersionId: string): Promise<PolicyVersion> {
  const viewer = requireViewer(ctx);
  const who = acceptor(viewer);
  if (!who) throw forbidden("Only a person (an agent or a contact) can accept a privacy policy");
  const version = await ctx.db.policyVersion.findUnique({ where: { id: policyVersionId } });
  if (!version) throw notFound("Policy version");
  if (!(await acceptanceOf(ctx.db, viewer, version.id))) {
    // The unique index settles a race between two tabs: the second insert is skipped.
    await ctx.db.policyAcceptance.createMany({
      data: [{ tenantId: viewer.tenantId, policyVersionId: version.id, ...who }],
      skipDuplicates: true,
    });
  }
  return version;
}

/** The policy in force if this viewer has not accepted it yet; null otherwise and for API keys. */
export async function pendingPolicy(db: TenantClient, viewer: Viewer): Promise<PolicyVersion | null> {
  if (!acceptor(viewer)) return null;
  const current = await currentPolicy(db);
  if (!current) return null;
  return (await acceptanceOf(db, viewer, current.id)) ? null : current;
}
