import { API_KEY_SCOPES, PERMISSIONS, type Permission } from "../auth/permissions.js";
import { builder } from "../graphql/builder.js";
import { nameSchema } from "../validation.js";
import * as apiKeys from "./service.js";

const scopeName = (p: Permission) => p.toUpperCase().replace(":", "_");

const ApiScope = builder.enumType("ApiScope", {
  description: "What an API key may do. The value `TICKETS_READ` stands for the scope `tickets:read`, and so on.",
  values: Object.fromEntries(API_KEY_SCOPES.map((p) => [scopeName(p), { value: p, description: PERMISSIONS[p] }])) as Record<
    string,
    { value: Permission; description: string }
  >,
});

export const ApiKey = builder.prismaNode("ApiKey", {
  id: { field: "id" },
  description: "A credential for a partner integration.",
  authScopes: { permission: "agents:manage" },
  fields: (t) => ({
    name: t.exposeString("name"),
    scopes: t.field({ type: [ApiScope], resolve: (k) => k.scopes as Permission[] }),
    prefix: t.exposeString("prefix", { description: "The key's first characters, to tell keys apart" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "Accurate to a minute" }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.relation("createdBy", { nullable: true }),
  }),
});

builder.queryField("apiKeys", (t) =>
  t.prismaConnection({
    type: "ApiKey",
    cursor: "id",
    authScopes: { permission: "agents:manage" },
    args: { includeRevoked: t.arg.boolean({ defaultValue: false }) },
    totalCount: (_p, args, ctx) => ctx.db.apiKey.count({ where: args.includeRevoked ? {} : { revokedAt: null } }),
    resolve: (query, _p, args, ctx) =>
      ctx.db.apiKey.findMany({
        ...query,
        where: args.includeRevoked ? {} : { revokedAt: null },
        orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      }),
  }),
);

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  fields: (t) => ({
    name: t.string({ required: true, validate: nameSchema }),
    scopes: t.field({ type: [ApiScope], required: true }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ apiKey: { id: string }; secret: string }>("CreateApiKeyPayload").implement({
  fields: (t) => ({
    apiKey: t.prismaField({
      type: "ApiKey",
      resolve: (q, p, _a, ctx) => ctx.db.apiKey.findUniqueOrThrow({ ...q, where: { id: p.apiKey.id } }),
    }),
    secret: t.exposeString("secret", {
      description: "The key itself, shown only now. Send it as `Authorization: Bearer <secret>`.",
    }),
  }),
});

builder.mutationField("createApiKey", (t) =>
  t.field({
    type: CreateApiKeyPayload,
    authScopes: { permission: "agents:manage" },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_r, { input }, ctx) => apiKeys.createApiKey(ctx, input),
  }),
);

builder.mutationField("revokeApiKey", (t) =>
  t.prismaField({
    type: "ApiKey",
    description: "Takes effect on the key's next request.",
    authScopes: { permission: "agents:manage" },
    args: { id: t.arg.globalID({ required: true, for: ApiKey }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await apiKeys.revokeApiKey(ctx, args.id.id);
      return ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
