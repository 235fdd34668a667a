import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { AppError, forbidden, notFound } from "../errors.js";
import type { SavedView } from "../generated/prisma/client.js";
import type { SavedViewSharing } from "../generated/prisma/enums.js";
import { assertTeam } from "../teams/service.js";
import { ticketListWhere, type TicketFilterArgs, type TicketOrderArgs } from "../tickets/list.js";

export interface ViewInput {
  name?: string | null;
  filter?: TicketFilterArgs | null;
  orderBy?: TicketOrderArgs | null;
  columns?: string[] | null;
  sharing?: SavedViewSharing | null;
  teamId?: string | null;
}

const MAX_VIEWS_PER_AGENT = 100;

/**
 * Views the caller may see: their own, everyone's, and TEAM views of the
 * teams they are a member of (one EXISTS along TeamMember, in the same query).
 */
export function visibleViews(ctx: Context) {
  const viewer = requireViewer(ctx);
  if (viewer.kind !== "agent") return { sharing: "EVERYONE" as const };
  return {
    OR: [
      { ownerAgentId: viewer.agentId },
      { sharing: "EVERYONE" as const },
      { sharing: "TEAM" as const, team: { members: { some: { agentId: viewer.agentId } } } },
    ],
  };
}

export async function findView(ctx: Context, id: string) {
  const view = await ctx.db.savedView.findFirst({ where: { id, ...visibleViews(ctx) } });
  if (!view) throw notFound("View");
  return view;
}

/** Only agents own views; sharing beyond oneself, or changing a view someone else made, needs fields:manage. */
function assertMayWrite(ctx: Context, view: Pick<SavedView, "ownerAgentId" | "sharing"> | null, sharing: SavedViewSharing) {
  const viewer = requireViewer(ctx);
  if (viewer.kind !== "agent") throw forbidden("Saved views belong to agents");
  const manager = ctx.can("fields:manage");
  if (sharing !== "PERSONAL" && !manager) throw forbidden("Sharing a view needs fields:manage");
  if (view && view.ownerAgentId !== viewer.agentId && !manager) throw forbidden("Only its owner can change this view");
  return viewer;
}

function assertSharing(sharing: SavedViewSharing, teamId: string | null | undefined) {
  if ((sharing === "TEAM") !== Boolean(teamId)) {
    throw new AppError("VALIDATION", "A TEAM view names its team, and only a TEAM view does", {
      fields: [{ path: ["input", "teamId"], message: sharing === "TEAM" ? "required for TEAM views" : "only for TEAM views" }],
    });
  }
}

/** A filter is checked as `tickets` would check it, so a view saved today lists tickets today. */
async function assertFilter(ctx: Context, filter: TicketFilterArgs | null | undefined) {
  try {
    await ticketListWhere(ctx, filter, "refuse");
  } catch (e) {
    if (e instanceof AppError && e.extensions.fields) {
      const fields = (e.extensions.fields as { path: (string | number)[]; message: string }[]).map((f) => ({
        ...f,
        path: ["input", ...f.path],
      }));
      throw new AppError("VALIDATION", e.message, { fields });
    }
    throw e;
  }
}

export async function createView(ctx: Context, input: ViewInput & { name: string }) {
  const sharing = input.sharing ?? "PERSONAL";
  const viewer = assertMayWrite(ctx, null, sharing);
  assertSharing(sharing, input.teamId);
  if (input.teamId) await assertTeam(ctx.db, input.teamId, ["input", "teamId"]);
  await assertFilter(ctx, input.filter);
  const agentId = viewer.kind === "agent" ? viewer.agentId : null;
  if ((await ctx.db.savedView.count({ where: { ownerAgentId: agentId } })) >= MAX_VIEWS_PER_AGENT) {
    throw new AppError("PLAN_LIMIT", `At most ${MAX_VIEWS_PER_AGENT} views per agent`);
  }
  return ctx.db.savedView.create({
    data: {
      tenantId: viewer.tenantId,
      name: input.name,
      ownerAgentId: agentId,
      sharing,
      teamId: input.teamId ?? null,
      filter: (input.filter ?? {}) as object,
      orderBy: (input.orderBy ?? undefined) as object | undefined,
      columns: input.columns ?? [],
    },
  });
}

export async function updateView(ctx: Context, id: string, input: ViewInput) {
  const view = await findView(ctx, id);
  const sharing = input.sharing ?? view.sharing;
  assertMayWrite(ctx, view, sharing);
  const teamId = input.teamId !== undefined ? input.teamId : sharing === "TEAM" ? view.teamId : null;
  assertSharing(sharing, teamId);
  if (input.teamId) await assertTeam(ctx.db, input.teamId, ["input", "teamId"]);
  if (input.filter !== undefined) await assertFilter(ctx, input.filter);
  return ctx.db.savedView.update({
    where: { id },
    data: {
      ...(input.name ? { name: input.name } : {}),
      ...(input.filter !== undefined ? { filter: (input.filter ?? {}) as object } : {}),
      ...(input.orderBy !== undefined ? { orderBy: (input.orderBy ?? undefined) as object | undefined } : {}),
      ...(input.columns ? { columns: input.columns } : {}),
      sharing,
      teamId,
    },
  });
}

export async function deleteView(ctx: Context, id: string) {
  const view = await findView(ctx, id);
  assertMayWrite(ctx, view, view.sharing);
  await ctx.db.savedView.delete({ where: { id } });
  return view;
}

/** The stored filter as the API takes it: decoded ids ({ id, typename }) back to global IDs. */
export function publicFilter(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(publicFilter);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.id === "string" && typeof o.typename === "string" && Object.keys(o).length === 2) return encodeGlobalID(o.typename, o.id);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, publicFilter(v)]));
  }
  return value;
}
