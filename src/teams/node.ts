import { Agent } from "../agents/schema.js";
import { builder } from "../graphql/builder.js";

/** Teams are read by whoever reads tickets (they are routed to them). */
export const READ = { permission: "tickets:read" } as const;

export const AssignmentStrategy = builder.enumType("AssignmentStrategy", {
  description: "How a ticket routed to a team without an assignee gets one. Agents who are disabled or not available are skipped.",
  values: {
    MANUAL: { description: "It stays with the team; someone assigns it" },
    ROUND_ROBIN: { description: "Members take turns" },
    LOAD_BALANCED: { description: "The member with the fewest NEW, OPEN or PENDING tickets; ties take turns" },
  },
});

export const Team = builder.prismaNode("Team", {
  id: { field: "id" },
  description: "A group of agents tickets can be routed to.",
  authScopes: READ,
  fields: (t) => ({
    name: t.exposeString("name"),
    strategy: t.expose("strategy", { type: AssignmentStrategy }),
    members: t.field({
      type: [Agent],
      select: { members: { include: { agent: true }, orderBy: { addedAt: "asc" } } },
      resolve: (team) => team.members.map((m) => m.agent),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});
