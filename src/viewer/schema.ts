import { PERMISSIONS, type Permission } from "../auth/permissions.js";
import type { Viewer as ViewerShape } from "../auth/viewer.js";
import { builder } from "../graphql/builder.js";
import { requireViewer } from "../context.js";

const ViewerKind = builder.enumType("ViewerKind", { values: ["AGENT", "API_KEY", "CONTACT", "SYSTEM"] as const });
const KIND = { agent: "AGENT", apiKey: "API_KEY", contact: "CONTACT", system: "SYSTEM" } as const;

export const Viewer = builder.objectRef<ViewerShape>("Viewer").implement({
  description: "Who is calling, in which tenant, with which permissions.",
  fields: (t) => ({
    kind: t.field({ type: ViewerKind, resolve: (v) => KIND[v.kind] }),
    tenant: t.prismaField({
      type: "Tenant",
      resolve: (query, v, _a, ctx) => ctx.db.tenant.findUniqueOrThrow({ ...query, where: { id: v.tenantId } }),
    }),
    agent: t.prismaField({
      type: "Agent",
      nullable: true,
      description: "The signed-in agent; null for API keys",
      resolve: (query, v, _a, ctx) => (v.kind === "agent" ? ctx.db.agent.findUnique({ ...query, where: { id: v.agentId } }) : null),
    }),
    contact: t.prismaField({
      type: "Contact",
      nullable: true,
      description: "The data subject using a portal token; null for agents and API keys",
      resolve: (query, v, _a, ctx) => (v.kind === "contact" ? ctx.db.contact.findUnique({ ...query, where: { id: v.contactId } }) : null),
    }),
    permissions: t.stringList({
      description: `What the caller may do: ${Object.keys(PERMISSIONS).join(", ")}`,
      resolve: (v) => [...v.permissions].sort() as Permission[],
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    authScopes: { authenticated: true },
    resolve: (_r, _a, ctx) => requireViewer(ctx),
  }),
);
