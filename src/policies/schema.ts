import { z } from "zod";
import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import { Viewer } from "../viewer/schema.js";
import * as policies from "./service.js";

const PolicyVersion = builder.prismaNode("PolicyVersion", {
  id: { field: "id" },
  description: "A published version of the tenant's privacy policy. The newest one is in force.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    version: t.exposeString("version"),
    url: t.exposeString("url", { nullable: true, description: "Where the full text is published" }),
    summary: t.exposeString("summary", { nullable: true, description: "What changed, in a few lines" }),
    publishedAt: t.expose("publishedAt", { type: "DateTime" }),
    viewerAcceptedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the caller accepted this version; null if they have not, and for API keys",
      ...personal("user.consent"),
      resolve: async (p, _a, ctx) => (ctx.viewer ? ((await policies.acceptanceOf(ctx.db, ctx.viewer, p.id))?.acceptedAt ?? null) : null),
    }),
    acceptanceCount: t.int({
      description: "How many agents and contacts accepted it",
      authScopes: { permission: "privacy:manage" },
      resolve: (p, _a, ctx) => ctx.db.policyAcceptance.count({ where: { policyVersionId: p.id } }),
    }),
  }),
});

builder.objectField(Viewer, "pendingPolicy", (t) =>
  t.prismaField({
    type: "PolicyVersion",
    nullable: true,
    description: "The privacy policy in force, until this agent or contact accepts it (acceptPolicyVersion); null for API keys.",
    resolve: async (query, v, _a, ctx) => {
      const pending = await policies.pendingPolicy(ctx.db, v);
      return pending ? ctx.db.policyVersion.findUnique({ ...query, where: { id: pending.id } }) : null;
    },
  }),
);

builder.queryField("policyVersions", (t) =>
  t.prismaField({
    type: ["PolicyVersion"],
    description: "Every published privacy policy version, newest (the one in force) first.",
    authScopes: { authenticated: true },
    resolve: (query, _r, _a, ctx) => ctx.db.policyVersion.findMany({ ...query, orderBy: [{ publishedAt: "desc" }, { version: "desc" }] }),
  }),
);

const PublishPolicyVersionInput = builder.inputType("PublishPolicyVersionInput", {
  fields: (t) => ({
    version: t.string({
      required: true,
      description: "Unique in the tenant, e.g. 2026-03",
      validate: z.string().trim().min(1, "must not be empty").max(64),
    }),
    url: t.string({
      validate: z
        .string()
        .trim()
        .max(2000)
        .url("must be a URL")
        .regex(/^https?:\/\//, "must be an http(s) URL"),
    }),
    summary: t.string({ validate: z.string().trim().max(2000) }),
  }),
});

builder.mutationField("publishPolicyVersion", (t) =>
  t.prismaField({
    type: "PolicyVersion",
    description:
      "Publishes a new version, which is in force at once: every agent and contact sees it as viewer.pendingPolicy until they accept it. CONFLICT if the version exists.",
    authScopes: { permission: "privacy:manage" },
    args: { input: t.arg({ type: PublishPolicyVersionInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await policies.publishPolicyVersion(ctx, {
        version: input.version.trim(),
        url: input.url?.trim(),
        summary: input.summary?.trim(),
      });
      return ctx.db.policyVersion.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("acceptPolicyVersion", (t) =>
  t.prismaField({
    type: "PolicyVersion",
    description:
      "Records that the caller (an agent, or a contact with a portal token) accepted this version. Accepting twice changes nothing.",
    authScopes: { agent: true, permission: "portal:self" },
    args: { id: t.arg.globalID({ required: true, for: PolicyVersion }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await policies.acceptPolicyVersion(ctx, args.id.id);
      return ctx.db.policyVersion.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
