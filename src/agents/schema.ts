import { z } from "zod";
import { builder, SortDirection } from "../graphql/builder.js";
import { emailSchema, nameSchema, passwordSchema } from "../validation.js";
import { personal } from "../privacy/labels.js";
import * as agents from "./service.js";

const AgentRole = builder.enumType("AgentRole", {
  values: {
    OWNER: { description: "Everything, including managing owners" },
    ADMIN: { description: "Everything except managing owners" },
    AGENT: { description: "Works tickets and contacts" },
    VIEWER: { description: "Reads everything, changes nothing" },
  },
});

export const Agent = builder.prismaNode("Agent", {
  id: { field: "id" },
  // Only the columns the query asks for are read (never the password or invitation hashes for a name).
  select: { id: true },
  description: "A member of the support team.",
  // Everyone may see themselves, including right after signing in.
  authScopes: (agent, ctx) =>
    agent.id === ctx.signedInAgentId || (ctx.viewer?.kind === "agent" && ctx.viewer.agentId === agent.id)
      ? true
      : { anyPermission: ["agents:read", "tickets:read", "portal:self"] },
  fields: (t) => ({
    name: t.exposeString("name", personal("user.name")),
    // Nullable so that a caller without agents:read gets FORBIDDEN here and keeps the rest.
    email: t.exposeString("email", { nullable: true, authScopes: { permission: "agents:read" }, ...personal("user.contact.email") }),
    role: t.expose("role", { type: AgentRole, ...personal("user.account") }),
    disabled: t.exposeBoolean("disabled", personal("user.account")),
    invitationPending: t.boolean({
      ...personal("user.account"),
      select: { inviteHash: true, passwordHash: true },
      resolve: (a) => a.inviteHash !== null && a.passwordHash === null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const AgentOrderField = builder.enumType("AgentOrderField", { values: ["NAME", "CREATED_AT"] as const });
const AgentOrder = builder.inputType("AgentOrder", {
  fields: (t) => ({
    field: t.field({ type: AgentOrderField, required: true }),
    direction: t.field({ type: SortDirection, defaultValue: "ASC" }),
  }),
});
const AgentFilter = builder.inputType("AgentFilter", {
  fields: (t) => ({
    role: t.field({ type: AgentRole }),
    includeDisabled: t.boolean({ defaultValue: false }),
  }),
});

builder.queryField("agents", (t) =>
  t.prismaConnection({
    type: "Agent",
    cursor: "id",
    description: "The team. Needs agents:read.",
    authScopes: { permission: "agents:read" },
    args: { filter: t.arg({ type: AgentFilter }), orderBy: t.arg({ type: AgentOrder }) },
    totalCount: (_parent, args, ctx) => ctx.db.agent.count({ where: agentWhere(args.filter) }),
    resolve: (query, _parent, args, ctx) =>
      ctx.db.agent.findMany({
        ...query,
        where: agentWhere(args.filter),
        orderBy: [
          args.orderBy?.field === "CREATED_AT"
            ? { createdAt: args.orderBy.direction === "DESC" ? "desc" : "asc" }
            : { name: args.orderBy?.direction === "DESC" ? "desc" : "asc" },
          { id: "asc" },
        ],
      }),
  }),
);

function agentWhere(filter?: { role?: string | null; includeDisabled?: boolean | null } | null) {
  return {
    ...(filter?.role ? { role: filter.role as never } : {}),
    ...(filter?.includeDisabled ? {} : { disabled: false }),
  };
}

// ---- sign-in ----

const SignInPayload = builder.objectRef<{ token: string; expiresAt: Date; agent: { id: string } }>("SignInPayload").implement({
  description: "A session for an agent. Send the token as `Authorization: Bearer <token>`.",
  fields: (t) => ({
    token: t.exposeString("token", { description: "Shown once; keep it secret" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    agent: t.prismaField({
      type: "Agent",
      // The caller is not authenticated yet, so the agent is loaded without tenant scope.
      resolve: (query, p, _a, ctx) => ctx.database.prisma.agent.findUniqueOrThrow({ ...query, where: { id: p.agent.id } }),
    }),
  }),
});

builder.mutationField("signIn", (t) =>
  t.field({
    type: SignInPayload,
    description:
      "Signs an agent in. Failed attempts are counted per account and per client address, across instances with Redis; beyond the limit: RATE_LIMITED (HTTP 429 with Retry-After, extensions.retryAfterSeconds).",
    args: {
      tenant: t.arg.string({ required: true, description: "The tenant's slug", validate: z.string().min(1).max(100) }),
      email: t.arg.string({ required: true, validate: emailSchema }),
      password: t.arg.string({ required: true, validate: z.string().min(1).max(256) }),
    },
    resolve: (_root, args, ctx) => agents.signIn(ctx, args),
  }),
);

builder.mutationField("signOut", (t) =>
  t.boolean({
    description: "Ends the current agent session.",
    authScopes: { agent: true },
    resolve: (_root, _args, ctx) => agents.signOut(ctx),
  }),
);

builder.mutationField("acceptInvitation", (t) =>
  t.field({
    type: SignInPayload,
    description: "Sets the password of an invited agent and signs them in.",
    args: {
      token: t.arg.string({ required: true, validate: z.string().min(1).max(200) }),
      password: t.arg.string({ required: true, validate: passwordSchema }),
    },
    resolve: (_root, args, ctx) => agents.acceptInvitation(ctx, args),
  }),
);

// ---- managing the team (OWNER, ADMIN) ----

const InviteAgentInput = builder.inputType("InviteAgentInput", {
  fields: (t) => ({
    email: t.string({ required: true, validate: emailSchema }),
    name: t.string({ required: true, validate: nameSchema }),
    role: t.field({ type: AgentRole, defaultValue: "AGENT" }),
  }),
});

const InviteAgentPayload = builder.objectRef<{ agent: { id: string }; invitationToken: string }>("InviteAgentPayload").implement({
  fields: (t) => ({
    agent: t.prismaField({
      type: "Agent",
      resolve: (q, p, _a, ctx) => ctx.db.agent.findUniqueOrThrow({ ...q, where: { id: p.agent.id } }),
    }),
    invitationToken: t.exposeString("invitationToken", {
      description: "Shown once. Hand it to the invitee, who sets a password with acceptInvitation.",
    }),
  }),
});

builder.mutationField("inviteAgent", (t) =>
  t.field({
    type: InviteAgentPayload,
    authScopes: { permission: "agents:manage" },
    args: { input: t.arg({ type: InviteAgentInput, required: true }) },
    resolve: (_root, { input }, ctx) => agents.inviteAgent(ctx, { ...input, role: input.role ?? "AGENT" }),
  }),
);

builder.mutationField("updateAgentRole", (t) =>
  t.prismaField({
    type: "Agent",
    description: "Only an owner can grant or remove OWNER; the last owner keeps the role.",
    authScopes: { permission: "agents:manage" },
    args: { id: t.arg.globalID({ required: true, for: Agent }), role: t.arg({ type: AgentRole, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await agents.updateAgentRole(ctx, args.id.id, args.role);
      return ctx.db.agent.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("disableAgent", (t) =>
  t.prismaField({
    type: "Agent",
    description: "Blocks sign-in and ends the agent's sessions at once. Tickets stay assigned.",
    authScopes: { permission: "agents:manage" },
    args: { id: t.arg.globalID({ required: true, for: Agent }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await agents.setAgentDisabled(ctx, args.id.id, true);
      return ctx.db.agent.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("enableAgent", (t) =>
  t.prismaField({
    type: "Agent",
    authScopes: { permission: "agents:manage" },
    args: { id: t.arg.globalID({ required: true, for: Agent }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await agents.setAgentDisabled(ctx, args.id.id, false);
      return ctx.db.agent.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
