import { builder } from "../graphql/builder.js";
import type { Context } from "../context.js";
import type { Permission } from "../auth/permissions.js";
import { CustomFieldValue, type FieldValue } from "./schema.js";

/**
 * `customFields` on tickets, contacts and organisations: the values of active
 * fields, read with the record in the same statement (a LATERAL subquery under
 * relationJoins). Values of fields marked personalData are personal data of
 * `subject` (the ticket's requester, the contact) and are noted as read, for
 * the audit log's entry, like any `@personalData` field.
 */
const valuesSelect = { customValues: { where: { field: { active: true } }, include: { field: true } } } as const;

function present(values: FieldValue[], subject: string | null, ctx: Context): FieldValue[] {
  const sorted = [...values].sort((a, b) => a.field.position - b.field.position || a.field.key.localeCompare(b.field.key));
  if (subject && sorted.some((v) => v.field.personalData)) ctx.privacy.noteRead({ type: "Contact", id: subject }, "user.custom");
  return sorted;
}

const description = (permission: Permission) =>
  `Values of the active custom fields, by position then key (needs ${permission}). Values of fields marked personalData are personal data (user.custom) of the person the record is about; reading them is audited.`;

builder.prismaObjectFields("Ticket", (t) => ({
  customFields: t.field({
    type: [CustomFieldValue],
    description: description("tickets:read"),
    authScopes: { permission: "tickets:read" },
    select: { requesterId: true, ...valuesSelect },
    resolve: (ticket, _a, ctx) => present(ticket.customValues, ticket.requesterId, ctx),
  }),
}));

builder.prismaObjectFields("Contact", (t) => ({
  customFields: t.field({
    type: [CustomFieldValue],
    description: description("contacts:read"),
    authScopes: { permission: "contacts:read" },
    select: { id: true, ...valuesSelect },
    resolve: (contact, _a, ctx) => present(contact.customValues, contact.id, ctx),
  }),
}));

builder.prismaObjectFields("Organization", (t) => ({
  customFields: t.field({
    type: [CustomFieldValue],
    description: "Values of the active custom fields, by position then key.",
    authScopes: { anyPermission: ["contacts:read", "tickets:read"] },
    select: valuesSelect,
    resolve: (org, _a, ctx) => present(org.customValues, null, ctx),
  }),
}));
