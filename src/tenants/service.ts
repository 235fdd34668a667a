import { hashPassword } from "../auth/passwords.js";
import type { Database } from "../db/database.js";
import type { DataResidency } from "../generated/prisma/enums.js";

export interface NewTenant {
  name: string;
  slug: string;
  dataResidency?: DataResidency;
  defaultLocale?: string;
  owner: { email: string; name: string; password: string };
}

/** Creates a tenant with its first owner. Operators do this from the command line. */
export async function createTenant(database: Database, input: NewTenant) {
  const passwordHash = await hashPassword(input.owner.password);
  return database.prisma.$transaction(async (tx) => {
    const tenant = await tx.tenant.create({
      data: {
        name: input.name,
        slug: input.slug,
        dataResidency: input.dataResidency ?? "EU",
        defaultLocale: input.defaultLocale ?? "en",
      },
    });
    const owner = await tx.agent.create({
      data: { tenantId: tenant.id, email: input.owner.email.toLowerCase(), name: input.owner.name, role: "OWNER", passwordHash },
    });
    return { tenant, owner };
  });
}

/** A command's `--tenant <slug>`: undefined without one (every tenant), null when no tenant has that slug. */
export async function tenantIdForSlug(database: Database, slug: string | undefined): Promise<string | null | undefined> {
  if (!slug) return undefined;
  return (await database.prisma.tenant.findUnique({ where: { slug }, select: { id: true } }))?.id ?? null;
}
