import { z } from "zod";
import { builder, SortDirection } from "../graphql/builder.js";
import { emailSchema, LIMITS, localeSchema, nameSchema, phoneSchema } from "../validation.js";
import { personal } from "../privacy/labels.js";
import * as contacts from "./service.js";
import { CustomFieldValueInput, toValueInputs } from "../custom-fields/schema.js";

export const Organization = builder.prismaNode("Organization", {
  id: { field: "id" },
  description: "A company that contacts belong to.",
  authScopes: { anyPermission: ["contacts:read", "tickets:read"] },
  fields: (t) => ({
    name: t.exposeString("name"),
    domain: t.exposeString("domain", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    contacts: t.relatedConnection("contacts", {
      cursor: "id",
      totalCount: true,
      nullable: true,
      authScopes: { permission: "contacts:read" },
      query: { orderBy: [{ name: "asc" }, { id: "asc" }] },
    }),
  }),
});

export const Contact = builder.prismaNode("Contact", {
  id: { field: "id" },
  // Only the columns the query asks for are read: a list shows a name, not the whole record.
  select: { id: true },
  description: "An end customer: the data subject whose personal data the helpdesk processes.",
  authScopes: { anyPermission: ["contacts:read", "tickets:read", "portal:self"] },
  fields: (t) => ({
    name: t.exposeString("name", personal("user.name")),
    email: t.exposeString("email", {
      nullable: true,
      authScopes: { anyPermission: ["contacts:read", "portal:self"] },
      ...personal("user.contact.email"),
    }),
    phone: t.exposeString("phone", {
      nullable: true,
      description: "E.164, e.g. +33612345678",
      authScopes: { anyPermission: ["contacts:read", "portal:self"] },
      ...personal("user.contact.phone"),
    }),
    locale: t.exposeString("locale", { nullable: true, ...personal("user.preference.locale") }),
    organization: t.relation("organization", { nullable: true, ...personal("user.organization") }),
    erased: t.boolean({
      description: "The person's data was erased; this is an anonymous shell",
      select: { erasedAt: true },
      resolve: (c) => c.erasedAt !== null,
    }),
    tickets: t.relatedConnection("requestedTickets", {
      cursor: "id",
      totalCount: true,
      nullable: true,
      authScopes: { anyPermission: ["tickets:read", "portal:self"] },
      query: { orderBy: [{ updatedAt: "desc" }, { id: "asc" }] },
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.queryField("contact", (t) =>
  t.prismaField({
    type: "Contact",
    authScopes: { anyPermission: ["contacts:read", "portal:self"] },
    args: { id: t.arg.globalID({ required: true, for: Contact }) },
    resolve: async (query, _r, args, ctx) => {
      await contacts.findContact(ctx.db, args.id.id);
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
);

const ContactOrderField = builder.enumType("ContactOrderField", { values: ["NAME", "CREATED_AT", "UPDATED_AT"] as const });
const ContactOrder = builder.inputType("ContactOrder", {
  fields: (t) => ({
    field: t.field({ type: ContactOrderField, required: true }),
    direction: t.field({ type: SortDirection, defaultValue: "ASC" }),
  }),
});
const ContactFilter = builder.inputType("ContactFilter", {
  fields: (t) => ({
    text: t.string({ description: "Contained in the name or email, any case", validate: z.string().max(LIMITS.search) }),
    email: t.string({ validate: emailSchema }),
    organizationId: t.globalID({ for: Organization }),
  }),
});

builder.queryField("contacts", (t) =>
  t.prismaConnection({
    type: "Contact",
    cursor: "id",
    authScopes: { permission: "contacts:read" },
    args: { filter: t.arg({ type: ContactFilter }), orderBy: t.arg({ type: ContactOrder }) },
    totalCount: (_p, args, ctx) => ctx.db.contact.count({ where: contactWhere(args.filter) }),
    resolve: (query, _p, args, ctx) => {
      const dir = args.orderBy?.direction === "DESC" ? "desc" : "asc";
      const field = { NAME: "name", CREATED_AT: "createdAt", UPDATED_AT: "updatedAt" }[args.orderBy?.field ?? "NAME"];
      return ctx.db.contact.findMany({ ...query, where: contactWhere(args.filter), orderBy: [{ [field]: dir }, { id: "asc" }] });
    },
  }),
);

function contactWhere(filter?: { text?: string | null; email?: string | null; organizationId?: { id: string } | null } | null) {
  return {
    ...(filter?.text
      ? {
          OR: [
            { name: { contains: filter.text, mode: "insensitive" as const } },
            { email: { contains: filter.text, mode: "insensitive" as const } },
          ],
        }
      : {}),
    ...(filter?.email ? { email: filter.email } : {}),
    ...(filter?.organizationId ? { organizationId: filter.organizationId.id } : {}),
  };
}

builder.queryField("organizations", (t) =>
  t.prismaConnection({
    type: "Organization",
    cursor: "id",
    authScopes: { anyPermission: ["contacts:read", "tickets:read"] },
    args: { text: t.arg.string({ validate: z.string().max(LIMITS.search) }) },
    totalCount: (_p, args, ctx) => ctx.db.organization.count({ where: orgWhere(args.text) }),
    resolve: (query, _p, args, ctx) =>
      ctx.db.organization.findMany({ ...query, where: orgWhere(args.text), orderBy: [{ name: "asc" }, { id: "asc" }] }),
  }),
);

const orgWhere = (text?: string | null) => (text ? { name: { contains: text, mode: "insensitive" as const } } : {});

// ---- mutations ----

export const ContactInput = builder.inputType("ContactInput", {
  description: "A new contact. Email and phone are each unique within the tenant.",
  fields: (t) => ({
    name: t.string({ required: true, validate: nameSchema }),
    email: t.string({ validate: emailSchema }),
    phone: t.string({ validate: phoneSchema, description: "Any international notation; stored as E.164" }),
    locale: t.string({ validate: localeSchema }),
    organizationId: t.globalID({ for: Organization }),
    customFields: t.field({ type: [CustomFieldValueInput], description: "Values of contact custom fields, by key" }),
  }),
});

const UpdateContactInput = builder.inputType("UpdateContactInput", {
  description: "Omitted fields stay as they are; null clears a field.",
  fields: (t) => ({
    name: t.string({ validate: nameSchema }),
    email: t.string({ validate: emailSchema }),
    phone: t.string({ validate: phoneSchema }),
    locale: t.string({ validate: localeSchema }),
    organizationId: t.globalID({ for: Organization }),
    customFields: t.field({
      type: [CustomFieldValueInput],
      description: "Values to set (or, with no member given, remove), by key; other fields keep theirs",
    }),
  }),
});

const toContactInput = <T extends { organizationId?: { id: string } | null; customFields?: readonly object[] | null }>(input: T) => ({
  ...input,
  organizationId: input.organizationId === null ? null : input.organizationId?.id,
  customFields: toValueInputs(input.customFields as never),
});

builder.mutationField("createContact", (t) =>
  t.prismaField({
    type: "Contact",
    authScopes: { permission: "contacts:write" },
    args: { input: t.arg({ type: ContactInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await contacts.createContact(ctx, toContactInput(input));
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateContact", (t) =>
  t.prismaField({
    type: "Contact",
    authScopes: { permission: "contacts:write" },
    args: { id: t.arg.globalID({ required: true, for: Contact }), input: t.arg({ type: UpdateContactInput, required: true }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await contacts.updateContact(ctx, args.id.id, toContactInput(args.input));
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("mergeContacts", (t) =>
  t.prismaField({
    type: "Contact",
    description: "Moves the source's tickets and messages to the target, fills the target's missing details, deletes the source.",
    authScopes: { permission: "contacts:write" },
    args: {
      sourceId: t.arg.globalID({ required: true, for: Contact }),
      targetId: t.arg.globalID({ required: true, for: Contact }),
    },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await contacts.mergeContacts(ctx, args.sourceId.id, args.targetId.id);
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

const CreateOrganizationInput = builder.inputType("CreateOrganizationInput", {
  fields: (t) => ({
    name: t.string({ required: true, validate: nameSchema }),
    domain: t.string({
      validate: z
        .string()
        .max(253)
        .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, "must be a domain such as example.com"),
    }),
    customFields: t.field({ type: [CustomFieldValueInput], description: "Values of organisation custom fields, by key" }),
  }),
});

builder.mutationField("createOrganization", (t) =>
  t.prismaField({
    type: "Organization",
    authScopes: { permission: "contacts:write" },
    args: { input: t.arg({ type: CreateOrganizationInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await contacts.createOrganization(ctx, { ...input, customFields: toValueInputs(input.customFields) });
      return ctx.db.organization.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
