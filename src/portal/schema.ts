import { z } from "zod";
import { Contact } from "../contacts/schema.js";
import { builder } from "../graphql/builder.js";
import * as portal from "./service.js";

const PortalTokenPayload = builder.objectRef<{ token: string; expiresAt: Date; contactId: string }>("PortalTokenPayload").implement({
  fields: (t) => ({
    token: t.exposeString("token", {
      description: "Shown once. The contact sends it as `Authorization: Bearer <token>`; put it in an email link to hand it over.",
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    contact: t.prismaField({
      type: "Contact",
      resolve: (query, p, _a, ctx) => ctx.db.contact.findUniqueOrThrow({ ...query, where: { id: p.contactId } }),
    }),
  }),
});

builder.mutationField("issuePortalToken", (t) =>
  t.field({
    type: PortalTokenPayload,
    description:
      "Gives a contact access to their own data through this API (CONTACT role): their tickets and public replies, replying, filing data-subject requests, downloading exports, managing consents. Nothing else of the tenant is visible to them.",
    authScopes: { permission: "contacts:write" },
    args: {
      contactId: t.arg.globalID({ required: true, for: Contact }),
      validForDays: t.arg.int({ defaultValue: 30, validate: z.number().int().min(1).max(365) }),
    },
    resolve: (_r, args, ctx) => portal.issuePortalToken(ctx, args.contactId.id, args.validForDays ?? 30),
  }),
);

builder.mutationField("revokePortalTokens", (t) =>
  t.int({
    description: "Revokes every portal token of the contact; returns how many were active.",
    authScopes: { permission: "contacts:write" },
    args: { contactId: t.arg.globalID({ required: true, for: Contact }) },
    resolve: (_r, args, ctx) => portal.revokePortalTokens(ctx, args.contactId.id),
  }),
);
