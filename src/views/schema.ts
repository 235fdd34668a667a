import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { builder } from "../graphql/builder.js";
import type { Context } from "../context.js";
import type { SavedView } from "../generated/prisma/client.js";
import { Team } from "../teams/node.js";
import { TicketFilter, TicketOrder } from "../tickets/schema.js";
import { countTickets, findTickets, ticketListWhere, type TicketFilterArgs, type TicketOrderArgs } from "../tickets/list.js";
import * as views from "./service.js";

const Sharing = builder.enumType("SavedViewSharing", {
  values: {
    PERSONAL: { description: "Its owner only" },
    TEAM: { description: "Its owner and the members of the team named by teamId (a deleted team leaves it to its owner)" },
    EVERYONE: { description: "Every agent of the tenant" },
  },
});

/** A view's filter as `tickets` reads it, and the custom fields it names that no longer exist (left out). */
const viewWhere = (ctx: Context, view: SavedView) => ticketListWhere(ctx, view.filter as TicketFilterArgs, "skip");

const View = builder.prismaNode("SavedView", {
  id: { field: "id" },
  name: "View",
  description: "A saved ticket list: filter, order and columns.",
  authScopes: { permission: "tickets:read" },
  findUnique: (id, ctx) => ({ id, ...views.visibleViews(ctx) }),
  fields: (t) => ({
    name: t.exposeString("name"),
    sharing: t.expose("sharing", { type: Sharing }),
    teamId: t.id({
      nullable: true,
      description: "The global ID of the team of a TEAM view",
      resolve: (v) => (v.teamId ? encodeGlobalID("Team", v.teamId) : null),
    }),
    team: t.relation("team", { nullable: true, description: "The team whose members see a TEAM view" }),
    ownerId: t.id({
      nullable: true,
      description: "The global ID of the agent who made it",
      resolve: (v) => (v.ownerAgentId ? encodeGlobalID("Agent", v.ownerAgentId) : null),
    }),
    filter: t.field({ type: "JSON", description: "The TicketFilter as saved (global IDs)", resolve: (v) => views.publicFilter(v.filter) }),
    orderBy: t.field({ type: "JSON", nullable: true, description: "The TicketOrder as saved", resolve: (v) => v.orderBy }),
    columns: t.exposeStringList("columns", { description: "The columns the list shows, in order: the client's names" }),
    missingFields: t.stringList({
      description:
        "Keys of custom fields the filter names that were deleted: their conditions are left out of `tickets` until the view is changed",
      resolve: async (v, _a, ctx) => (await viewWhere(ctx, v)).missing,
    }),
    tickets: t.prismaConnection({
      type: "Ticket",
      cursor: "id",
      description: "The tickets the view's filter matches, in its order: the same list `tickets` gives for that filter",
      totalCount: async (v, _a, ctx) => countTickets(ctx, (await viewWhere(ctx, v)).where),
      resolve: async (query, v, _a, ctx) => findTickets(ctx, query, (await viewWhere(ctx, v)).where, v.orderBy as TicketOrderArgs | null),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.queryField("views", (t) =>
  t.prismaField({
    type: [View],
    description: "The saved views the caller may use: their own, the ones shared with everyone or their team. By name.",
    authScopes: { permission: "tickets:read" },
    resolve: (query, _r, _a, ctx) =>
      ctx.db.savedView.findMany({ ...query, where: views.visibleViews(ctx), orderBy: [{ name: "asc" }, { id: "asc" }], take: 500 }),
  }),
);

builder.queryField("view", (t) =>
  t.prismaField({
    type: View,
    authScopes: { permission: "tickets:read" },
    args: { id: t.arg.globalID({ required: true, for: View }) },
    resolve: async (query, _r, args, ctx) => {
      await views.findView(ctx, args.id.id);
      return ctx.db.savedView.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
);

const nameSchema = z.string().trim().min(1).max(200);
const columnsSchema = z.array(z.string().min(1).max(100)).max(50);

const CreateViewInput = builder.inputType("CreateViewInput", {
  fields: (t) => ({
    name: t.string({ required: true, validate: nameSchema }),
    filter: t.field({ type: TicketFilter }),
    orderBy: t.field({ type: TicketOrder }),
    columns: t.stringList({ validate: columnsSchema }),
    sharing: t.field({ type: Sharing, defaultValue: "PERSONAL", description: "TEAM and EVERYONE need fields:manage" }),
    teamId: t.globalID({ for: Team, description: "The team whose members see it, for TEAM views" }),
  }),
});

const UpdateViewInput = builder.inputType("UpdateViewInput", {
  description: "Omitted fields stay as they are.",
  fields: (t) => ({
    name: t.string({ validate: nameSchema }),
    filter: t.field({ type: TicketFilter }),
    orderBy: t.field({ type: TicketOrder }),
    columns: t.stringList({ validate: columnsSchema }),
    sharing: t.field({ type: Sharing }),
    teamId: t.globalID({ for: Team, description: "The team whose members see it, for TEAM views" }),
  }),
});

const plain = <T>(v: T): T => (v == null ? v : JSON.parse(JSON.stringify(v)));
const toInput = (i: { teamId?: { id: string } | null; filter?: unknown; orderBy?: unknown }) => ({
  ...i,
  teamId: i.teamId == null ? i.teamId : i.teamId.id,
  filter: plain(i.filter) as TicketFilterArgs | null | undefined,
  orderBy: plain(i.orderBy) as TicketOrderArgs | null | undefined,
});

builder.mutationField("createView", (t) =>
  t.prismaField({
    type: View,
    authScopes: { permission: "tickets:read" },
    args: { input: t.arg({ type: CreateViewInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await views.createView(ctx, { ...toInput(input), name: input.name });
      return ctx.db.savedView.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateView", (t) =>
  t.prismaField({
    type: View,
    authScopes: { permission: "tickets:read" },
    args: { id: t.arg.globalID({ required: true, for: View }), input: t.arg({ type: UpdateViewInput, required: true }) },
    resolve: async (query, _r, args, ctx) => {
      await views.updateView(ctx, args.id.id, toInput(args.input));
      return ctx.db.savedView.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
);

builder.mutationField("deleteView", (t) =>
  t.field({
    type: "ID",
    description: "Deletes the view and returns its ID. Only its owner, or someone with fields:manage.",
    authScopes: { permission: "tickets:read" },
    args: { id: t.arg.globalID({ required: true, for: View }) },
    resolve: async (_r, args, ctx) => {
      await views.deleteView(ctx, args.id.id);
      return encodeGlobalID("View", args.id.id);
    },
  }),
);
