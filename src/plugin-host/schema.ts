import { z } from "zod";
import { builder } from "../graphql/builder.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { AppError } from "../errors.js";
import type { PluginInstall } from "../generated/prisma/client.js";
import * as installs from "./installs.js";
import { installOf } from "./install.js";
import type { PluginManifest } from "./manifest.js";
import { buildRecordOfProcessing, renderMarkdown, subprocessorsOf, type ProcessorEntry } from "./ropa.js";
import { transferStatus } from "./transfer.js";

const TransferMechanism = builder.enumType("TransferMechanism", {
  values: {
    EEA: { description: "Processing stays in the European Economic Area" },
    ADEQUACY: { description: "A country with an EU adequacy decision (art. 45)" },
    SCC: { description: "Standard contractual clauses (art. 46)" },
  },
});
const TransferStatus = builder.enumType("TransferStatus", {
  values: {
    NOT_NEEDED: { description: "No transfer outside the EEA, or the tenant has no residency requirement" },
    ACCEPTED: { description: "An admin accepted the transfer this manifest describes" },
    ACCEPTANCE_REQUIRED: {
      description: "Enabling (again) needs acceptTransfer: true, e.g. after the manifest added a location or category",
    },
  },
});

interface PluginShape {
  manifest: PluginManifest;
  install: PluginInstall | null;
  residency: "EU" | "ANY";
}

const PluginSetting = builder
  .objectRef<{ field: PluginManifest["config"][number]; install: PluginInstall | null }>("PluginSetting")
  .implement({
    fields: (t) => ({
      key: t.string({ resolve: (s) => s.field.key }),
      label: t.string({ resolve: (s) => s.field.label }),
      description: t.string({ nullable: true, resolve: (s) => s.field.description ?? null }),
      secret: t.boolean({ description: "Write-only: its value is never returned", resolve: (s) => s.field.secret }),
      required: t.boolean({ resolve: (s) => s.field.required }),
      isSet: t.boolean({
        resolve: (s) => Object.hasOwn(((s.field.secret ? s.install?.secrets : s.install?.config) ?? {}) as object, s.field.key),
      }),
      value: t.string({
        nullable: true,
        description: "The current value; always null for secrets",
        resolve: (s) => (s.field.secret ? null : (((s.install?.config ?? {}) as Record<string, string>)[s.field.key] ?? null)),
      }),
    }),
  });

const PluginPurpose = builder.objectRef<PluginManifest["purposes"][number]>("PluginPurpose").implement({
  fields: (t) => ({ purpose: t.exposeString("purpose"), legalBasis: t.exposeString("legalBasis") }),
});

const TransferAcceptance = builder.objectRef<PluginInstall>("TransferAcceptance").implement({
  description: "Who accepted a transfer outside the EEA, when, and for which manifest.",
  fields: (t) => ({
    acceptedAt: t.field({ type: "DateTime", resolve: (i) => i.acceptedAt! }),
    acceptedBy: t.prismaField({
      type: "Agent",
      nullable: true,
      resolve: (q, i, _a, ctx) => (i.acceptedById ? ctx.db.agent.findUnique({ ...q, where: { id: i.acceptedById } }) : null),
    }),
    manifestVersion: t.string({ resolve: (i) => i.acceptedVersion ?? "" }),
    locations: t.stringList({ resolve: (i) => i.acceptedLocations }),
    dataCategories: t.stringList({ resolve: (i) => i.acceptedCategories }),
  }),
});

const Plugin = builder.objectRef<PluginShape>("Plugin").implement({
  description: "An integration with an external service (a subprocessor), with what it declares and its state in this tenant.",
  fields: (t) => ({
    id: t.string({ resolve: (p) => p.manifest.id }),
    name: t.string({ resolve: (p) => p.manifest.name }),
    version: t.string({ resolve: (p) => p.manifest.version }),
    description: t.string({ resolve: (p) => p.manifest.description }),
    vendorLegalName: t.string({ resolve: (p) => p.manifest.vendor.legalName }),
    vendorCountry: t.string({ resolve: (p) => p.manifest.vendor.country }),
    processingLocations: t.stringList({
      description: "ISO country codes where the vendor processes data",
      resolve: (p) => p.manifest.processingLocations,
    }),
    transferMechanism: t.field({ type: TransferMechanism, resolve: (p) => p.manifest.transferMechanism }),
    dataCategories: t.stringList({ description: "What it receives, in the taxonomy's names", resolve: (p) => p.manifest.dataCategories }),
    purposes: t.field({ type: [PluginPurpose], resolve: (p) => p.manifest.purposes }),
    retentionDays: t.int({
      nullable: true,
      description:
        "How long the vendor keeps the data; null when transient, when it keeps a copy only as long as the source data (a search index), or when the vendor is the tenant's own account (its mail provider) and keeps what the tenant keeps there",
      resolve: (p) => (p.manifest.retention.kind === "DAYS" ? p.manifest.retention.days : null),
    }),
    transient: t.boolean({ description: "The vendor does not keep the data", resolve: (p) => p.manifest.retention.kind === "TRANSIENT" }),
    dpaUrl: t.string({ resolve: (p) => p.manifest.dpaUrl }),
    storesData: t.boolean({ resolve: (p) => p.manifest.storesData }),
    trainsOnCustomerData: t.boolean({
      nullable: true,
      description: "Whether the vendor trains its models on what it receives; null for plugins that are not AI providers",
      resolve: (p) => p.manifest.trainsOnCustomerData ?? null,
    }),
    settings: t.field({ type: [PluginSetting], resolve: (p) => p.manifest.config.map((field) => ({ field, install: p.install })) }),
    enabled: t.boolean({ resolve: (p) => p.install?.enabled ?? false }),
    transfer: t.field({ type: TransferStatus, resolve: (p) => transferStatus(p.residency, p.manifest, p.install) }),
    acceptance: t.field({ type: TransferAcceptance, nullable: true, resolve: (p) => (p.install?.acceptedAt ? p.install : null) }),
  }),
});

async function shape(ctx: Context, pluginId: string): Promise<PluginShape> {
  const def = installs.pluginOrThrow(ctx, pluginId);
  const viewer = requireViewer(ctx);
  const [install, tenant] = await Promise.all([
    installOf(ctx, pluginId),
    ctx.db.tenant.findUniqueOrThrow({ where: { id: viewer.tenantId } }),
  ]);
  return { manifest: def.manifest, install, residency: tenant.dataResidency };
}

builder.queryField("plugins", (t) =>
  t.field({
    type: [Plugin],
    description: "Every plugin this server ships, with its manifest and its state in your tenant.",
    authScopes: { permission: "plugins:manage" },
    resolve: (_r, _a, ctx) =>
      Promise.all(
        ctx.plugins.registry
          .list()
          .filter((d) => !d.manifest.operatorManaged)
          .map((d) => shape(ctx, d.manifest.id)),
      ),
  }),
);

builder.queryField("plugin", (t) =>
  t.field({
    type: Plugin,
    authScopes: { permission: "plugins:manage" },
    args: { id: t.arg.string({ required: true }) },
    resolve: (_r, args, ctx) => shape(ctx, args.id),
  }),
);

const PluginSettingInput = builder.inputType("PluginSettingInput", {
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string({ description: "null or empty clears the setting", validate: z.string().max(4096) }),
  }),
});

builder.mutationField("configurePlugin", (t) =>
  t.field({
    type: Plugin,
    description: "Sets settings. Secret ones are encrypted at rest and never returned.",
    authScopes: { permission: "plugins:manage" },
    args: { id: t.arg.string({ required: true }), settings: t.arg({ type: [PluginSettingInput], required: true }) },
    resolve: async (_r, args, ctx) => {
      await installs.configurePlugin(
        ctx,
        args.id,
        args.settings.map((s) => ({ key: s.key, value: s.value ?? null })),
      );
      return shape(ctx, args.id);
    },
  }),
);

builder.mutationField("enablePlugin", (t) =>
  t.field({
    type: Plugin,
    description:
      "Switches a plugin on. For a tenant with EU residency and a plugin processing outside the EEA, pass acceptTransfer: true to accept the transfer (recorded with who, when and the manifest version); otherwise TRANSFER_ACCEPTANCE_REQUIRED.",
    authScopes: { permission: "plugins:manage" },
    args: { id: t.arg.string({ required: true }), acceptTransfer: t.arg.boolean({ defaultValue: false }) },
    resolve: async (_r, args, ctx) => {
      await installs.enablePlugin(ctx, args.id, args.acceptTransfer ?? false);
      return shape(ctx, args.id);
    },
  }),
);

builder.mutationField("disablePlugin", (t) =>
  t.field({
    type: Plugin,
    description: "Switches a plugin off: every call through it fails at once with PLUGIN_DISABLED.",
    authScopes: { permission: "plugins:manage" },
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_r, args, ctx) => {
      await installs.disablePlugin(ctx, args.id);
      return shape(ctx, args.id);
    },
  }),
);

builder.prismaNode("PluginCall", {
  id: { field: "id" },
  description: "One call through the plugin gateway. Never holds the payload.",
  authScopes: { permission: "plugins:manage" },
  fields: (t) => ({
    pluginId: t.exposeString("pluginId"),
    operation: t.exposeString("operation"),
    purpose: t.exposeString("purpose"),
    categories: t.exposeStringList("categories"),
    subjectIds: t.exposeStringList("subjectIds", { description: "The contacts whose data was sent, by raw id" }),
    outcome: t.exposeString("outcome", { description: "OK, REFUSED (by the gateway) or FAILED (by the vendor)" }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    durationMs: t.exposeInt("durationMs"),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

builder.queryField("pluginCalls", (t) =>
  t.prismaConnection({
    type: "PluginCall",
    cursor: "id",
    description: "Every call to an external service, newest first.",
    authScopes: { permission: "plugins:manage" },
    args: { pluginId: t.arg.string(), since: t.arg({ type: "DateTime" }) },
    totalCount: (_p, args, ctx) => ctx.db.pluginCall.count({ where: callWhere(args) }),
    resolve: (query, _p, args, ctx) =>
      ctx.db.pluginCall.findMany({ ...query, where: callWhere(args), orderBy: [{ at: "desc" }, { id: "asc" }] }),
  }),
);

const callWhere = (a: { pluginId?: string | null; since?: Date | null }) => ({
  ...(a.pluginId ? { pluginId: a.pluginId } : {}),
  ...(a.since ? { at: { gte: a.since } } : {}),
});

// ---- record of processing and the public subprocessor list ----

const RecordOfProcessing = builder.objectRef<{ json: unknown; markdown: string }>("RecordOfProcessing").implement({
  description:
    "GDPR art. 30, generated from the plugins' manifests, this tenant's installations, the core's own processing and the retention rules.",
  fields: (t) => ({
    json: t.field({ type: "JSON", resolve: (r) => r.json }),
    markdown: t.exposeString("markdown"),
  }),
});

builder.queryField("recordOfProcessing", (t) =>
  t.field({
    type: RecordOfProcessing,
    authScopes: { anyPermission: ["privacy:manage", "plugins:manage"] },
    resolve: async (_r, _a, ctx) => {
      const record = await buildRecordOfProcessing(ctx.database, ctx.plugins.registry, requireViewer(ctx).tenantId, ctx.database.kind);
      return { json: record, markdown: renderMarkdown(record) };
    },
  }),
);

const Subprocessor = builder.objectRef<ProcessorEntry>("Subprocessor").implement({
  fields: (t) => ({
    name: t.exposeString("name"),
    vendor: t.exposeString("vendor"),
    country: t.exposeString("country"),
    processingLocations: t.exposeStringList("processingLocations"),
    transferMechanism: t.exposeString("transferMechanism"),
    purposes: t.exposeStringList("purposes"),
    dataCategories: t.exposeStringList("dataCategories"),
    retention: t.exposeString("retention"),
    dpaUrl: t.exposeString("dpaUrl", { nullable: true }),
    enabledSince: t.exposeString("enabledSince", { nullable: true }),
    trainsOnCustomerData: t.exposeBoolean("trainsOnCustomerData", {
      nullable: true,
      description: "Whether it trains models on what it receives; null where no AI is involved",
    }),
  }),
});

builder.queryField("subprocessors", (t) =>
  t.field({
    type: [Subprocessor],
    description:
      "Public, no credentials needed: the external services that receive a tenant's contacts' data (the plugins it enabled, the operator's file storage), for its privacy page.",
    args: { tenant: t.arg.string({ required: true, description: "The tenant's slug", validate: z.string().min(1).max(100) }) },
    resolve: async (_r, args, ctx) => {
      const tenant = await ctx.database.prisma.tenant.findUnique({ where: { slug: args.tenant } });
      if (!tenant) throw new AppError("NOT_FOUND", "Tenant not found");
      return subprocessorsOf(ctx.database, ctx.plugins.registry, tenant.id);
    },
  }),
);
