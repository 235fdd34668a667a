import { resolveOffsetConnection } from "@pothos/plugin-relay";
import { z } from "zod";
import { builder } from "../graphql/builder.js";
import { closureReceipts } from "./closure.js";
import { asOperator } from "./operator-audit.js";
import * as tenants from "./service.js";
import { DataResidency } from "./schema.js";

// The operator API: for whoever runs this server, authenticated with
// `Authorization: Operator <OPERATOR_KEY>`. No tenant credential reaches it.

type TenantSummary = Awaited<ReturnType<typeof tenants.listTenants>>[number];

const OperatorTenant = builder.objectRef<TenantSummary>("OperatorTenant").implement({
  description: "A tenant as the operator sees it: no personal data.",
  fields: (t) => ({
    id: t.exposeString("id", { description: "The tenant's UUID" }),
    name: t.exposeString("name"),
    slug: t.exposeString("slug"),
    dataResidency: t.expose("dataResidency", { type: DataResidency }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    closedAt: t.expose("closedAt", {
      type: "DateTime",
      nullable: true,
      description: "Set while closed: the tenant is read-only (TENANT_CLOSED)",
    }),
    deletionDueAt: t.expose("deletionDueAt", {
      type: "DateTime",
      nullable: true,
      description:
        "When the retention sweep deletes all of its data (TENANT_DELETION_DAYS after closing); reopening before then undoes the closure",
    }),
    deletionError: t.exposeString("deletionError", {
      nullable: true,
      description: "Why the last deletion attempt stopped; the next sweep tries again",
    }),
  }),
});

const OperatorTenantCreated = builder.objectRef<{ tenant: TenantSummary; invitationToken: string }>("OperatorTenantCreated").implement({
  fields: (t) => ({
    tenant: t.field({ type: OperatorTenant, resolve: (p) => p.tenant }),
    invitationToken: t.exposeString("invitationToken", {
      description: "Shown once. The owner sets a password with acceptInvitation(token, password) and is signed in.",
    }),
  }),
});

type Receipt = Awaited<ReturnType<typeof closureReceipts>>[number];

const TenantClosureReceipt = builder.objectRef<Receipt>("TenantClosureReceipt").implement({
  description: "What is left of a deleted tenant: what was deleted and when. No personal data.",
  fields: (t) => ({
    slug: t.exposeString("slug"),
    name: t.exposeString("name"),
    formerTenantId: t.exposeString("formerTenantId"),
    closedAt: t.expose("closedAt", { type: "DateTime" }),
    deletedAt: t.expose("deletedAt", { type: "DateTime" }),
    counts: t.expose("counts", { type: "JSON", description: 'Rows deleted per table: { "Ticket": 12, "Message": 40, … }' }),
    plugins: t.expose("plugins", {
      type: "JSON",
      description: "What each installed plugin's erase hooks reported: [{ pluginId, store, deleted, note }]",
    }),
  }),
});

type AuditRow = {
  at: Date;
  action: string;
  tenantSlug: string | null;
  outcome: string;
  errorCode: string | null;
  requestId: string;
  clientIp: string;
};

const OperatorAuditEntry = builder.objectRef<AuditRow>("OperatorAuditEntry").implement({
  description: "One call of the operator API.",
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime" }),
    action: t.exposeString("action", { description: "The operator field called, e.g. operatorCloseTenant" }),
    tenantSlug: t.exposeString("tenantSlug", { nullable: true }),
    outcome: t.exposeString("outcome", { description: "SUCCESS or FAILURE" }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    requestId: t.exposeString("requestId"),
    clientIp: t.exposeString("clientIp"),
  }),
});

const OperatorCreateTenantInput = builder.inputType("OperatorCreateTenantInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "The organisation's name" }),
    slug: t.string({ required: true, description: "Used to sign in: 1 to 40 lower-case letters, digits or inner hyphens" }),
    ownerEmail: t.string({ required: true, description: "The first owner's email; they receive the invitation token from you" }),
    ownerName: t.string({ required: true }),
    dataResidency: t.field({ type: DataResidency, defaultValue: "EU" }),
    defaultLocale: t.string({ defaultValue: "en" }),
  }),
});

const operator = { operator: true } as const;

builder.queryField("operatorTenants", (t) =>
  t.connection({
    type: OperatorTenant,
    description: "Operator only: every tenant, oldest first, closed ones included.",
    authScopes: operator,
    resolve: (_r, args, ctx) =>
      asOperator(ctx, "operatorTenants", null, () =>
        resolveOffsetConnection({ args, defaultSize: 20, maxSize: 100 }, ({ limit, offset }) =>
          tenants.listTenants(ctx.database, { skip: offset, take: limit }),
        ),
      ),
  }),
);

builder.queryField("operatorClosureReceipts", (t) =>
  t.field({
    type: [TenantClosureReceipt],
    description: "Operator only: receipts of deleted tenants, newest first (at most 100), optionally of one slug.",
    authScopes: operator,
    args: { slug: t.arg.string() },
    resolve: (_r, args, ctx) =>
      asOperator(ctx, "operatorClosureReceipts", args.slug ?? null, () => closureReceipts(ctx.database, args.slug ?? undefined)),
  }),
);

builder.queryField("operatorAuditLog", (t) =>
  t.field({
    type: [OperatorAuditEntry],
    description: "Operator only: the latest operator calls, newest first.",
    authScopes: operator,
    args: { first: t.arg.int({ defaultValue: 50, validate: z.number().int().min(1).max(500) }) },
    resolve: (_r, args, ctx) =>
      asOperator(ctx, "operatorAuditLog", null, () =>
        ctx.database.prisma.operatorAuditEntry.findMany({ orderBy: { at: "desc" }, take: args.first ?? 50 }),
      ),
  }),
);

builder.mutationField("operatorCreateTenant", (t) =>
  t.field({
    type: OperatorTenantCreated,
    description: "Operator only: creates a tenant and its first owner, who is invited (no password is chosen for them).",
    authScopes: operator,
    args: { input: t.arg({ type: OperatorCreateTenantInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asOperator(ctx, "operatorCreateTenant", input.slug, async () => {
        const valid = tenants.validateNewTenant({
          name: input.name,
          slug: input.slug,
          dataResidency: input.dataResidency ?? "EU",
          defaultLocale: input.defaultLocale ?? "en",
          owner: { email: input.ownerEmail, name: input.ownerName },
        });
        const { tenant, invitationToken } = await tenants.createTenant(ctx.database, valid);
        return { tenant: { ...tenant, closedAt: null, deletionDueAt: null, deletionError: null }, invitationToken: invitationToken! };
      }),
  }),
);

builder.mutationField("operatorCloseTenant", (t) =>
  t.field({
    type: OperatorTenant,
    description:
      "Operator only: closes a tenant. It is read-only at once (TENANT_CLOSED); reads, exports and privacy requests keep working until deletionDueAt, when the retention sweep deletes all of its data and leaves a TenantClosureReceipt.",
    authScopes: operator,
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_r, { slug }, ctx) =>
      asOperator(ctx, "operatorCloseTenant", slug, async () => {
        const closed = await tenants.closeTenant(ctx.database, slug, ctx.config.tenantDeletionDays);
        // This instance drops the tenant's cached credentials before the operator hears "closed".
        await ctx.credentials?.settle();
        return closed;
      }),
  }),
);

builder.mutationField("operatorReopenTenant", (t) =>
  t.field({
    type: OperatorTenant,
    description: "Operator only: undoes a closure before its data is deleted.",
    authScopes: operator,
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_r, { slug }, ctx) =>
      asOperator(ctx, "operatorReopenTenant", slug, async () => {
        const reopened = await tenants.reopenTenant(ctx.database, slug);
        await ctx.credentials?.settle();
        return reopened;
      }),
  }),
);
