import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { visibleMessages } from "../auth/visibility.js";
import { AppError } from "../errors.js";
import { activeFields, fieldConditions, type FieldCondition } from "../custom-fields/filter.js";
import { MAX_SORTED_BY_FIELD, pageOf, ticketIdsByField } from "../custom-fields/sort.js";

/** The `tickets` filter as the API takes it (ids decoded); saved views store the same shape. */
export interface TicketFilterArgs {
  status?: string[] | null;
  priority?: string[] | null;
  assigneeId?: { id: string } | null;
  unassigned?: boolean | null;
  tag?: string | null;
  requesterId?: { id: string } | null;
  organizationId?: { id: string } | null;
  updatedSince?: Date | null;
  text?: string | null;
  customFields?: FieldCondition[] | null;
  teamId?: { id: string } | null;
  slaBreached?: boolean | null;
  slaDueBefore?: Date | null;
}

export interface TicketOrderArgs {
  field: "CREATED_AT" | "UPDATED_AT" | "PRIORITY" | "NUMBER" | "STATUS" | "SLA_DUE_AT" | "CUSTOM_FIELD";
  direction?: "ASC" | "DESC" | null;
  customField?: string | null;
}

/**
 * The Prisma `where` of a ticket list: the one place `tickets`, saved views
 * and anything else that lists tickets turn a filter into a query. Tickets
 * merged into another (tombstones) are never listed. `onMissing` says what a
 * condition on a custom field that no longer exists does: "refuse" (an API
 * call: VALIDATION) or "skip" (a saved view: left out and returned in `missing`).
 */
export async function ticketListWhere(ctx: Context, f: TicketFilterArgs | null | undefined, onMissing: "refuse" | "skip") {
  const and: object[] = [{ mergedIntoId: null }];
  if (!f) return { where: { AND: and }, missing: [] as string[] };
  if (f.status?.length) and.push({ status: { in: f.status } });
  if (f.priority?.length) and.push({ priority: { in: f.priority } });
  if (f.assigneeId) and.push({ assigneeId: f.assigneeId.id });
  if (f.unassigned) and.push({ assigneeId: null });
  if (f.tag) and.push({ tags: { some: { tag: { name: f.tag } } } });
  if (f.requesterId) and.push({ requesterId: f.requesterId.id });
  if (f.organizationId) and.push({ requester: { organizationId: f.organizationId.id } });
  if (f.updatedSince) and.push({ updatedAt: { gte: new Date(f.updatedSince) } });
  if (f.teamId) and.push({ teamId: f.teamId.id });
  if (f.slaBreached != null) {
    // As Ticket.sla.breached reads: recorded by the scheduler, or overdue now.
    const breached = { OR: [{ breached: true }, { dueAt: { lt: new Date() } }] };
    and.push(f.slaBreached ? { sla: breached } : { NOT: { sla: breached } });
  }
  if (f.slaDueBefore) and.push({ sla: { dueAt: { lt: new Date(f.slaDueBefore) } } });
  if (f.text) {
    const contains = { contains: f.text, mode: "insensitive" as const };
    and.push({ OR: [{ subject: contains }, { messages: { some: { body: contains, ...visibleMessages(ctx) } } }] });
  }
  const custom = await fieldConditions(ctx.db, "TICKET", f.customFields ?? [], ["filter", "customFields"], onMissing);
  and.push(...custom.where);
  return { where: { AND: and }, missing: custom.missing };
}

export const countTickets = (ctx: Context, where: object) => ctx.db.ticket.count({ where: where as never });

const ORDER_COLUMN = {
  CREATED_AT: "createdAt",
  UPDATED_AT: "updatedAt",
  PRIORITY: "priority",
  NUMBER: "number",
  STATUS: "status",
  SLA_DUE_AT: "sla",
} as const;

type PageQuery = { cursor?: { id?: string }; skip?: number; take?: number; [k: string]: unknown };

/**
 * A page of tickets for a connection (`query` is what Pothos passes: the
 * selection and the cursor arguments). Built-in orders are one Prisma query;
 * an order by a custom field orders the matching ids in SQL first (sort.ts).
 */
export async function findTickets(ctx: Context, query: PageQuery, where: object, orderBy: TicketOrderArgs | null | undefined) {
  const direction = orderBy?.direction === "ASC" ? "asc" : "desc";
  if (orderBy?.field !== "CUSTOM_FIELD") {
    const column = ORDER_COLUMN[orderBy?.field ?? "UPDATED_AT"];
    const first = column === "sla" ? { sla: { dueAt: { sort: direction, nulls: "last" } } } : { [column]: direction };
    return ctx.db.ticket.findMany({ ...(query as object), where: where as never, orderBy: [first, { id: "asc" }] as never });
  }
  const key = orderBy.customField;
  const field = key ? (await activeFields(ctx.db, "TICKET", [key])).get(key) : undefined;
  if (!field) {
    throw new AppError("VALIDATION", "CUSTOM_FIELD ordering needs the key of an active ticket field", {
      fields: [{ path: ["orderBy", "customField"], message: key ? `no TICKET field with key ${key}` : "required with CUSTOM_FIELD" }],
    });
  }
  // One more than the bound, so that ticketIdsByField can tell the caller the filter is too wide.
  const matching = await ctx.db.ticket.findMany({ where: where as never, select: { id: true }, take: MAX_SORTED_BY_FIELD + 1 });
  const ordered = await ticketIdsByField(
    ctx.db,
    requireViewer(ctx).tenantId,
    field,
    direction,
    matching.map((t) => t.id),
  );
  const { cursor, skip, take, ...rest } = query;
  const page = pageOf(ordered, { cursor, skip, take });
  const rows = await ctx.db.ticket.findMany({ ...rest, where: { id: { in: page } } });
  const at = new Map(page.map((id, i) => [id, i]));
  return rows.sort((a, b) => at.get(a.id)! - at.get(b.id)!);
}
