import { encodeGlobalID } from "@pothos/plugin-relay";
import { AppError, notFound, type FieldProblem } from "../errors.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { TenantClient } from "../db/tenant-scope.js";
import { assertNotRestricted } from "../privacy/restriction.js";
import type { Tx } from "../db/tx.js";
import { writeValues, type ValueInput } from "../custom-fields/values.js";

export interface ContactInput {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  locale?: string | null;
  organizationId?: string | null;
  /** Values of contact custom fields, by key. */
  customFields?: ValueInput[];
}

/** Where a contact's fields sit in the caller's input, for error paths. */
export type InputPath = FieldProblem["path"];

/**
 * Email and phone are unique per tenant. A clash names every clashing field at
 * the path the caller wrote it (`at`: ["input"] for createContact,
 * ["input", "requester"] for a ticket's new requester…) and the existing
 * contact by its global ID, the one `node(id:)` takes.
 */
async function assertUnique(db: TenantClient | Tx, input: ContactInput, at: InputPath, exceptId?: string) {
  const clashes: { field: "email" | "phone"; id: string }[] = [];
  for (const field of ["email", "phone"] as const) {
    const value = input[field];
    if (!value) continue;
    const clash = await db.contact.findFirst({
      where: { [field]: value, ...(exceptId ? { id: { not: exceptId } } : {}) },
      select: { id: true },
    });
    if (clash) clashes.push({ field, id: clash.id });
  }
  if (!clashes.length) return;
  throw new AppError("CONFLICT", `Another contact already has this ${clashes.map((c) => c.field).join(" and ")}`, {
    fields: clashes.map((c) => ({ path: [...at, c.field], message: "already in use by another contact" })),
    existingContactId: encodeGlobalID("Contact", clashes[0]!.id),
  });
}

async function assertOrganization(db: TenantClient | Tx, id: string | null | undefined) {
  if (id && !(await db.organization.findUnique({ where: { id } }))) throw notFound("Organization");
}

/** Creates a contact inside an open transaction (tickets create requesters this way, at `input.requester`). */
export async function createContactIn(tx: Tx, tenantId: string, input: ContactInput & { name: string }, at: InputPath = ["input"]) {
  await assertOrganization(tx, input.organizationId);
  await assertUnique(tx, input, at);
  const contact = await tx.contact.create({
    data: {
      tenantId,
      name: input.name,
      email: input.email ?? null,
      phone: input.phone ?? null,
      locale: input.locale ?? null,
      organizationId: input.organizationId ?? null,
    },
  });
  await writeValues(tx, tenantId, "CONTACT", { contactId: contact.id }, input.customFields ?? [], [...at, "customFields"]);
  return contact;
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
export async function updateContactIn(tx: Tx, id: string, input: ContactInput, at: InputPath = ["input"]) {
  assertNotRestricted(await findContact(tx, id));
  await assertOrganization(tx, input.organizationId);
  await assertUnique(tx, input, at, id);
  const { customFields, ...columns } = input;
  // `undefined` leaves a field as it is; `null` clears it (name cannot be cleared).
  const data = Object.fromEntries(Object.entries(columns).filter(([k, v]) => v !== undefined && !(k === "name" && v === null)));
  const contact = await tx.contact.update({ where: { id }, data });
  await writeValues(tx, contact.tenantId, "CONTACT", { contactId: id }, customFields ?? [], [...at, "customFields"]);
  return contact;
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

export async function createOrganization(ctx: Context, input: { name: string; domain?: string | null; customFields?: ValueInput[] }) {
  const viewer = requireViewer(ctx);
  const existing = await ctx.db.organization.findFirst({ where: { name: input.name }, select: { id: true } });
  if (existing) {
    throw new AppError("CONFLICT", "An organization with this name already exists", {
      fields: [{ path: ["input", "name"], message: "already in use" }],
      existingOrganizationId: encodeGlobalID("Organization", existing.id),
    });
  }
  return ctx.db.$transaction(async (tx) => {
    const org = await tx.organization.create({ data: { tenantId: viewer.tenantId, name: input.name, domain: input.domain ?? null } });
    const values = input.customFields ?? [];
    await writeValues(tx, viewer.tenantId, "ORGANIZATION", { organizationId: org.id }, values, ["input", "customFields"]);
    return org;
  });
}
