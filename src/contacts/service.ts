import { AppError, notFound } from "../errors.js";
import type { Context } from "../graphql/context.js";
import { requireViewer } from "../graphql/context.js";
import type { TenantClient } from "../db/tenant-scope.js";
import { assertNotRestricted } from "../privacy/restriction.js";

export interface ContactInput {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  locale?: string | null;
  organizationId?: string | null;
}

type Tx = Parameters<Parameters<TenantClient["$transaction"]>[0]>[0];

async function assertUnique(db: TenantClient | Tx, input: ContactInput, exceptId?: string) {
  for (const field of ["email", "phone"] as const) {
    const value = input[field];
    if (!value) continue;
    const clash = await db.contact.findFirst({ where: { [field]: value, ...(exceptId ? { id: { not: exceptId } } : {}) } });
    if (clash) {
      throw new AppError("CONFLICT", `Another contact already has this ${field}`, {
        fields: [{ path: ["input", field], message: "already in use" }],
        existingContactId: clash.id,
      });
    }
  }
}

async function assertOrganization(db: TenantClient | Tx, id: string | null | undefined) {
  if (id && !(await db.organization.findUnique({ where: { id } }))) throw notFound("Organization");
}

/** Creates a contact inside an open transaction (tickets create requesters this way). */
export async function createContactIn(tx: Tx, tenantId: string, input: ContactInput & { name: string }) {
  await assertOrganization(tx, input.organizationId);
  await assertUnique(tx, input);
  return tx.contact.create({
    data: {
      tenantId,
      name: input.name,
      email: input.email ?? null,
      phone: input.phone ?? null,
      locale: input.locale ?? null,
      organizationId: input.organizationId ?? null,
    },
  });
}

export async function createContact(ctx: Context, input: ContactInput & { name: string }) {
  const viewer = requireViewer(ctx);
  return ctx.db.$transaction((tx) => createContactIn(tx, viewer.tenantId, input));
}

export async function findContact(db: TenantClient | Tx, id: string) {
  const contact = await db.contact.findUnique({ where: { id } });
  if (!contact || contact.erasedAt) throw notFound("Contact");
  return contact;
}

export async function updateContact(ctx: Context, id: string, input: ContactInput) {
  return ctx.db.$transaction((tx) => updateContactIn(tx, id, input));
}

/** Updates a contact inside an open transaction (rectification requests commit it with the request). */
export async function updateContactIn(tx: Tx, id: string, input: ContactInput) {
  assertNotRestricted(await findContact(tx, id));
  await assertOrganization(tx, input.organizationId);
  await assertUnique(tx, input, id);
  // `undefined` leaves a field as it is; `null` clears it (name cannot be cleared).
  const data = Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !(k === "name" && v === null)));
  return tx.contact.update({ where: { id }, data });
}

/**
 * Folds `sourceId` into `targetId`: tickets and messages move over, details the
 * target lacks are taken from the source, and the source is deleted.
 */
export async function mergeContacts(ctx: Context, sourceId: string, targetId: string) {
  if (sourceId === targetId) {
    throw new AppError("VALIDATION", "A contact cannot be merged into itself", {
      fields: [{ path: ["targetId"], message: "must differ from sourceId" }],
    });
  }
  const merged = await ctx.db.$transaction(async (tx) => {
    const source = await findContact(tx, sourceId);
    const target = await findContact(tx, targetId);
    assertNotRestricted(source);
    assertNotRestricted(target);
    await tx.ticket.updateMany({ where: { requesterId: sourceId }, data: { requesterId: targetId } });
    await tx.message.updateMany({ where: { authorContactId: sourceId }, data: { authorContactId: targetId } });
    await tx.contact.delete({ where: { id: sourceId } });
    return tx.contact.update({
      where: { id: targetId },
      data: {
        email: target.email ?? source.email,
        phone: target.phone ?? source.phone,
        locale: target.locale ?? source.locale,
        organizationId: target.organizationId ?? source.organizationId,
      },
    });
  });
  // The source's portal links went with it (cascade): they stop working at once.
  await ctx.credentials?.settle();
  return merged;
}

export async function createOrganization(ctx: Context, input: { name: string; domain?: string | null }) {
  const viewer = requireViewer(ctx);
  if (await ctx.db.organization.findFirst({ where: { name: input.name } })) {
    throw new AppError("CONFLICT", "An organization with this name already exists", {
      fields: [{ path: ["input", "name"], message: "already in use" }],
    });
  }
  return ctx.db.organization.create({ data: { tenantId: viewer.tenantId, name: input.name, domain: input.domain ?? null } });
}
