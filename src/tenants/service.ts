import { z } from "zod";
import { appendAuditIn } from "../audit/service.js";
import { hashPassword } from "../auth/passwords.js";
import { newToken } from "../auth/tokens.js";
import type { Database } from "../db/database.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { AppError, notFound, validationError } from "../errors.js";
import type { DataResidency } from "../generated/prisma/enums.js";
import { emailSchema, nameSchema } from "../validation.js";
import { DAY_MS } from "../constants.js";

export interface NewTenant {
  name: string;
  slug: string;
  dataResidency?: DataResidency;
  defaultLocale?: string;
  /** Without a password the owner gets a one-time invitation token instead (acceptInvitation). */
  owner: { email: string; name: string; password?: string };
}

/** Slugs are typed at sign-in and appear in plugin webhook URLs: lower-case letters, digits and inner hyphens. */
const slugSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, "must be 1 to 40 lower-case letters, digits or inner hyphens");

const NewTenantSchema = z.object({
  name: nameSchema,
  slug: slugSchema,
  owner: z.object({ email: emailSchema, name: nameSchema }),
});

/** Checks what an operator typed; every problem at once, at its input path. */
export function validateNewTenant(input: NewTenant, path: string[] = ["input"]): NewTenant {
  const parsed = NewTenantSchema.safeParse(input);
  if (!parsed.success) {
    // The GraphQL input names the owner's fields ownerEmail and ownerName.
    const at = (p: PropertyKey[]) =>
      p[0] === "owner" ? [`owner${String(p[1])[0]!.toUpperCase()}${String(p[1]).slice(1)}`] : p.map(String);
    throw validationError(parsed.error.issues.map((i) => ({ path: [...path, ...at(i.path)], message: i.message })));
  }
  return { ...input, ...parsed.data, owner: { ...input.owner, ...parsed.data.owner } };
}

/** Creates a tenant with its first owner. Operators do this from the command line or the operator API. */
export async function createTenant(database: Database, input: NewTenant) {
  const passwordHash = input.owner.password ? await hashPassword(input.owner.password) : null;
  const invitation = passwordHash ? null : newToken("dgi");
  try {
    return await database.prisma.$transaction(async (tx) => {
      const tenant = await tx.tenant.create({
        data: {
          name: input.name,
          slug: input.slug,
          dataResidency: input.dataResidency ?? "EU",
          defaultLocale: input.defaultLocale ?? "en",
        },
      });
      const owner = await tx.agent.create({
        data: {
          tenantId: tenant.id,
          email: input.owner.email.toLowerCase(),
          name: input.owner.name,
          role: "OWNER",
          passwordHash,
          inviteHash: invitation?.hash ?? null,
        },
      });
      return { tenant, owner, invitationToken: invitation?.token ?? null };
    });
  } catch (err) {
    // Only the slug is unique among a new tenant's rows (the owner is its first agent).
    if (isUniqueViolation(err)) {
      throw new AppError("CONFLICT", `A tenant with the slug "${input.slug}" exists`, {
        fields: [{ path: ["input", "slug"], message: "is taken" }],
      });
    }
    throw err;
  }
}

/** A command's `--tenant <slug>`: undefined without one (every tenant), null when no tenant has that slug. */
export async function tenantIdForSlug(database: Database, slug: string | undefined): Promise<string | null | undefined> {
  if (!slug) return undefined;
  return (await database.prisma.tenant.findUnique({ where: { slug }, select: { id: true } }))?.id ?? null;
}

/** What the operator sees of a tenant: no personal data. */
const TENANT_SUMMARY = {
  id: true,
  name: true,
  slug: true,
  dataResidency: true,
  createdAt: true,
  closedAt: true,
  deletionDueAt: true,
  deletionError: true,
} as const;

export const listTenants = (database: Database, page: { skip: number; take: number }) =>
  database.prisma.tenant.findMany({ select: TENANT_SUMMARY, orderBy: [{ createdAt: "asc" }, { id: "asc" }], ...page });

async function tenantBySlug(database: Database, slug: string) {
  const tenant = await database.prisma.tenant.findUnique({ where: { slug }, select: TENANT_SUMMARY });
  if (!tenant) throw notFound(`Tenant "${slug}"`);
  return tenant;
}

/**
 * Closes a tenant: read-only at once (the same guard as an unpaid one, see
 * src/billing/read-only.ts), its data deleted by the retention sweep once
 * `deletionDays` have passed. Recorded in the tenant's own audit log too, so
 * its admins see why writes stopped.
 */
export async function closeTenant(database: Database, slug: string, deletionDays: number, now = new Date()) {
  const tenant = await tenantBySlug(database, slug);
  if (tenant.closedAt)
    throw new AppError(
      "INVALID_TRANSITION",
      `Tenant "${slug}" is already closed; its data is deleted at ${tenant.deletionDueAt?.toISOString()}`,
    );
  const deletionDueAt = new Date(now.getTime() + deletionDays * DAY_MS);
  const closed = await database.prisma.$transaction(async (tx) => {
    await appendAuditIn(tx, tenant.id, [
      { actorType: "SYSTEM", actorId: "operator", action: "tenant.closed", details: { deletionDueAt: deletionDueAt.toISOString() } },
    ]);
    return tx.tenant.update({
      where: { id: tenant.id },
      data: { closedAt: now, deletionDueAt, deletionError: null },
      select: TENANT_SUMMARY,
    });
  });
  database.appended(tenant.id);
  return closed;
}

/** Undoes a closure during its grace period: full use again, nothing was deleted. */
export async function reopenTenant(database: Database, slug: string) {
  const tenant = await tenantBySlug(database, slug);
  if (!tenant.closedAt) throw new AppError("INVALID_TRANSITION", `Tenant "${slug}" is not closed`);
  const reopened = await database.prisma.$transaction(async (tx) => {
    await appendAuditIn(tx, tenant.id, [{ actorType: "SYSTEM", actorId: "operator", action: "tenant.reopened" }]);
    return tx.tenant.update({
      where: { id: tenant.id },
      data: { closedAt: null, deletionDueAt: null, deletionError: null },
      select: TENANT_SUMMARY,
    });
  });
  database.appended(tenant.id);
  return reopened;
}

/** Whether a tenant is closed, for the read-only guard: one indexed row. */
export async function closureOf(database: Database, tenantId: string) {
  return database.prisma.tenant.findUnique({ where: { id: tenantId }, select: { closedAt: true, deletionDueAt: true } });
}
