import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { Agent } from "../agents/schema.js";
import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import { updateTicket } from "../tickets/service.js";
import { AssignmentStrategy, READ, Team } from "./node.js";
import * as teams from "./service.js";
import { Ticket } from "../tickets/schema.js";

/** Teams are tenant configuration, managed like agents. */
const MANAGE = { permission: "agents:manage" } as const;

builder.prismaObjectField("Agent", "available", (t) =>
  t.exposeBoolean("available", {
    description: "Set by the agent (setMyAvailability): whether team routing may give them tickets now",
    ...personal("user.account"),
  }),
);

builder.prismaObjectField("Ticket", "team", (t) =>
  t.relation("team", { nullable: true, authScopes: { permission: "tickets:read" }, description: "The team the ticket is routed to" }),
);

const teamName = z.string().trim().min(1, "must not be empty").max(100);
const agentIds = z.array(z.unknown()).max(500);

const CreateTeamInput = builder.inputType("CreateTeamInput", {
  fields: (t) => ({
    name: t.string({ required: true, validate: teamName }),
    strategy: t.field({ type: AssignmentStrategy, defaultValue: "MANUAL" }),
    memberIds: t.globalIDList({ for: Agent, validate: agentIds }),
  }),
});

const UpdateTeamInput = builder.inputType("UpdateTeamInput", {
  description: "Omitted fields stay.",
  fields: (t) => ({
    name: t.string({ validate: teamName }),
    strategy: t.field({ type: AssignmentStrategy }),
  }),
});

builder.queryField("teams", (t) =>
  t.prismaField({
    type: ["Team"],
    description: "The tenant's teams, by name.",
    authScopes: READ,
    resolve: (query, _r, _a, ctx) => ctx.db.team.findMany({ ...query, orderBy: { name: "asc" } }),
  }),
);

builder.mutationField("createTeam", (t) =>
  t.prismaField({
    type: "Team",
    description: "VALIDATION when a member is not an agent of the tenant; CONFLICT for a name in use.",
    authScopes: MANAGE,
    args: { input: t.arg({ type: CreateTeamInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await teams.createTeam(ctx, {
        name: input.name.trim(),
        strategy: input.strategy ?? "MANUAL",
        memberIds: (input.memberIds ?? []).map((m) => m.id),
      });
      return ctx.db.team.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateTeam", (t) =>
  t.prismaField({
    type: "Team",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: Team }), input: t.arg({ type: UpdateTeamInput, required: true }) },
    resolve: async (query, _r, { id, input }, ctx) => {
      await teams.updateTeam(ctx, id.id, { name: input.name?.trim(), strategy: input.strategy ?? undefined });
      return ctx.db.team.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
);

builder.mutationField("deleteTeam", (t) =>
  t.id({
    description: "Returns the deleted team's ID; its tickets stay, without a team.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: Team }) },
    resolve: async (_r, { id }, ctx) => {
      await teams.deleteTeam(ctx, id.id);
      return encodeGlobalID("Team", id.id);
    },
  }),
);

builder.mutationField("changeTeamMembers", (t) =>
  t.prismaField({
    type: "Team",
    description: "Adds and removes members at once. VALIDATION when an added agent does not exist.",
    authScopes: MANAGE,
    args: {
      teamId: t.arg.globalID({ required: true, for: Team }),
      addAgentIds: t.arg.globalIDList({ for: Agent, validate: agentIds }),
      removeAgentIds: t.arg.globalIDList({ for: Agent, validate: agentIds }),
    },
    resolve: async (query, _r, args, ctx) => {
      await teams.changeMembers(
        ctx,
        args.teamId.id,
        (args.addAgentIds ?? []).map((a) => a.id),
        (args.removeAgentIds ?? []).map((a) => a.id),
      );
      return ctx.db.team.findUniqueOrThrow({ ...query, where: { id: args.teamId.id } });
    },
  }),
);

builder.mutationField("setMyAvailability", (t) =>
  t.prismaField({
    type: "Agent",
    description: "The calling agent says whether team routing may give them tickets now. FORBIDDEN for API keys.",
    authScopes: { permission: "tickets:write" },
    args: { available: t.arg.boolean({ required: true }) },
    resolve: async (query, _r, { available }, ctx) => {
      const agent = await teams.setAvailability(ctx, available);
      return ctx.db.agent.findUniqueOrThrow({ ...query, where: { id: agent.id } });
    },
  }),
);

builder.mutationField("assignTicket", (t) =>
  t.prismaField({
    type: "Ticket",
    description:
      "Routes a ticket to a team and lets the team's strategy pick the assignee (again, if it is already there): MANUAL leaves the assignee as is, the others pick an available member or leave the ticket unassigned when none is. Same rules as updateTicket (TICKET_CLOSED…).",
    authScopes: { permission: "tickets:write" },
    args: { ticketId: t.arg.globalID({ required: true, for: Ticket }), teamId: t.arg.globalID({ required: true, for: Team }) },
    resolve: async (query, _r, { ticketId, teamId }, ctx) => {
      await updateTicket(ctx, ticketId.id, { teamId: teamId.id, reroute: true });
      return ctx.db.ticket.findUniqueOrThrow({ ...query, where: { id: ticketId.id } });
    },
  }),
);
