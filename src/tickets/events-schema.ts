import { decodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { AppError } from "../errors.js";
import { builder } from "../graphql/builder.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { SealedEvent as Event } from "../events/outbox.js";
import { Ticket } from "./schema.js";
import { EVENT_TYPES } from "../events/outbox.js";
import { resumingStream } from "../events/resume.js";
import { eventRow } from "./event-rows.js";
import { isVisible, visibleAttachments, visibleMessages } from "../auth/visibility.js";

export const TicketEventType = builder.enumType("TicketEventType", {
  values: Object.fromEntries(EVENT_TYPES.map((t) => [t, { value: t }])) as Record<(typeof EVENT_TYPES)[number], { value: string }>,
});

const encodeCursor = (seq: number) => Buffer.from(`event:${seq}`).toString("base64url");
function decodeCursor(cursor: string | null | undefined): number | null {
  if (!cursor) return null;
  const m = /^event:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!m) throw new AppError("VALIDATION", "Not an event cursor", { fields: [{ path: ["after"], message: "invalid cursor" }] });
  return Number(m[1]);
}

/** The raw id of the attachment an ATTACHMENT_SCANNED event names (its changes carry the global ID). */
function attachmentIdOf(data: unknown): string | null {
  const globalId = (data as { attachmentId?: unknown } | null)?.attachmentId;
  if (typeof globalId !== "string") return null;
  const { typename, id } = decodeGlobalID(globalId);
  return typename === "Attachment" ? id : null;
}

const TicketEvent = builder.objectRef<Event>("TicketEvent").implement({
  description:
    "Something that happened to a ticket. Fields resolve with the subscriber's permissions at delivery time. TICKET_ERASED is a tombstone: the requester's personal data was erased, or the ticket was deleted with a disconnected mailbox's data (changes.reason), so erase your copies. " +
    "ATTACHMENT_SCANNED: a file on a message got its malware scan's verdict (a file scanned before its message was added is announced right after that MESSAGE_ADDED). " +
    "SLA_WARNING and SLA_BREACHED: a running SLA target (changes.target: FIRST_RESPONSE, NEXT_RESPONSE or RESOLUTION; changes.dueAt) nears or passed its due time, announced once per target and cycle. " +
    "TIME_ELAPSED: an automation rule's timer came due for the ticket (changes.ruleId, changes.since); the rule runs if the ticket still qualifies.",
  fields: (t) => ({
    cursor: t.string({
      description: "Resume after this event with ticketEvents(after:) or events(after:)",
      resolve: (e) => encodeCursor(e.seq),
    }),
    seq: t.exposeInt("seq", { description: "Per-tenant, gap-free, in commit order" }),
    type: t.field({ type: TicketEventType, resolve: (e) => e.type }),
    occurredAt: t.expose("createdAt", {
      type: "DateTime",
      description:
        "When the change was written, by the database's clock. Events are in the order of seq (commit order), not of this time: a transaction that wrote earlier may commit later.",
    }),
    ticketId: t.id({ nullable: true, resolve: (e) => (e.ticketId ? Buffer.from(`Ticket:${e.ticketId}`).toString("base64") : null) }),
    ticket: t.prismaField({
      type: "Ticket",
      nullable: true,
      resolve: (q, e, _a, ctx) => (e.ticketId ? eventRow(ctx, "ticket", e.ticketId, q) : null),
    }),
    message: t.prismaField({
      type: "Message",
      nullable: true,
      description: "For MESSAGE_ADDED",
      // The event was already filtered by the same rule; the where is a second wall.
      resolve: (q, e, _a, ctx) => (e.messageId ? eventRow(ctx, "message", e.messageId, q, visibleMessages(ctx)) : null),
    }),
    attachment: t.prismaField({
      type: "Attachment",
      nullable: true,
      description: "For ATTACHMENT_SCANNED: the file, with its scanStatus (changes has the verdict as it was recorded)",
      resolve: (q, e, _a, ctx) => {
        const id = e.type === "ATTACHMENT_SCANNED" ? attachmentIdOf(e.data) : null;
        return id ? eventRow(ctx, "attachment", id, q, visibleAttachments(ctx)) : null;
      },
    }),
    changes: t.field({ type: "JSON", description: "What changed: field names, statuses; never content", resolve: (e) => e.data }),
  }),
});

const TicketEventFilter = builder.inputType("TicketEventFilter", {
  fields: (t) => ({
    types: t.field({ type: [TicketEventType] }),
    ticketId: t.globalID({ for: Ticket }),
  }),
});

export type Filter = { types?: readonly string[] | null; ticketId?: { id: string } | null } | null | undefined;

/**
 * Whether this caller may receive this event now: notes, portal scope, filter. Webhooks ask it too.
 * Answers at once unless the database must be asked (a contact's own tickets).
 */
export function visible(ctx: Context, e: Event, filter: Filter): boolean | Promise<boolean> {
  if (filter?.types?.length && !filter.types.includes(e.type)) return false;
  if (filter?.ticketId && e.ticketId !== filter.ticketId.id) return false;
  if (!isVisible(ctx, e)) return false;
  // A contact sees events of their own tickets only (the confined client answers that), never
  // the tenant's own (CUSTOM_FIELD_DEACTIVATED), which name no ticket.
  if (ctx.viewer?.kind === "contact") {
    if (e.ticketId === null) return false;
    return ctx.db.ticket.findUnique({ where: { id: e.ticketId }, select: { id: true } }).then((t) => t !== null);
  }
  return true;
}

const RECHECK_MS = 2000;
/** The most events one `events` request looks at. */
const MAX_SCAN = 2000;

/**
 * Credentials are checked again while a stream is open: a revoked key, a
 * disabled agent or an expired portal token stops receiving within seconds.
 * Between checks it returns nothing to wait for.
 */
function credentialCheck(ctx: Context): () => Promise<void> | undefined {
  let checkedAt = Date.now();
  return () => {
    if (Date.now() - checkedAt < RECHECK_MS) return undefined;
    checkedAt = Date.now();
    return ctx.realtime.credentials.check(ctx.authorization ?? null).then((again) => {
      if (!again.viewer || again.viewer.tenantId !== ctx.viewer?.tenantId) {
        throw new AppError("UNAUTHENTICATED", "Credentials revoked or expired; the subscription ends");
      }
    });
  };
}

/** Where a stream starts: after the cursor (checked against the replay window), or at the head. */
async function startingPoint(ctx: Context, after: string | null | undefined): Promise<number> {
  const viewer = requireViewer(ctx);
  const feed = ctx.realtime.feed;
  const from = decodeCursor(after);
  if (from === null) return feed.head(viewer.tenantId);
  // The head first: events numbered between the two reads then count on neither side. Read the
  // other way round, a tenant's first events numbered in between made a head with no oldest, and a
  // fresh cursor looked expired.
  const head = await feed.head(viewer.tenantId);
  const oldest = await feed.oldest(viewer.tenantId);
  if (from < head && (oldest === null || from < oldest - 1)) {
    throw new AppError("CURSOR_EXPIRED", "Events after this cursor are no longer kept; resynchronise with the tickets query", {
      oldestSeq: oldest,
    });
  }
  return from;
}

async function eventsFor(ctx: Context, after: string | null | undefined, filter: Filter): Promise<AsyncIterableIterator<Event>> {
  const viewer = requireViewer(ctx);
  const from = await startingPoint(ctx, after);
  const check = credentialCheck(ctx);
  // The stream stays open across a database outage and reads on from its last event when it is back.
  return untilReturned((signal) =>
    resumingStream({
      from,
      read: (after) => ctx.realtime.feed.stream(viewer.tenantId, after, signal),
      accept: (e) => {
        const checking = check();
        return checking ? checking.then(() => visible(ctx, e, filter)) : visible(ctx, e, filter);
      },
      health: ctx.database.health,
      signal,
    }),
  );
}

/**
 * An async generator waiting for its next event would see a `return()` (the
 * subscriber left) only when that event came; until then it would hold its
 * place in the feed. This one aborts the wait at once.
 */
function untilReturned<T>(make: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const inner = make(controller.signal);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => inner.next(),
    return: (value?: unknown) => {
      controller.abort();
      return inner.return(value as never);
    },
    throw: (err?: unknown) => {
      controller.abort();
      return inner.throw(err);
    },
  };
}

builder.subscriptionType({});

builder.subscriptionField("ticketEvents", (t) =>
  t.field({
    type: TicketEvent,
    description:
      "Ticket events of your tenant, live. With `after`, first replays the stored events after that cursor, then continues live: no gap, no duplicate. Needs tickets:read (or a portal token); without it the subscription ends at once with FORBIDDEN.",
    authScopes: { anyPermission: ["tickets:read", "portal:self"] },
    args: { after: t.arg.string({ validate: z.string().max(200) }), filter: t.arg({ type: TicketEventFilter }) },
    subscribe: (_r, args, ctx) => eventsFor(ctx, args.after, args.filter),
    resolve: (e) => e,
  }),
);

builder.subscriptionField("ticketMessages", (t) =>
  t.prismaField({
    type: "Message",
    description:
      "New messages on one ticket, as they are committed. Internal notes only with notes:read. Needs tickets:read (or a portal token for one of your own tickets); without it the subscription ends at once with FORBIDDEN.",
    authScopes: { anyPermission: ["tickets:read", "portal:self"] },
    args: { ticketId: t.arg.globalID({ required: true, for: Ticket }) },
    subscribe: async (_r, args, ctx) => {
      if (!(await ctx.db.ticket.findUnique({ where: { id: args.ticketId.id }, select: { id: true } })))
        throw new AppError("NOT_FOUND", "Ticket not found");
      return eventsFor(ctx, null, { types: ["MESSAGE_ADDED"], ticketId: args.ticketId }) as unknown as AsyncIterable<never>;
    },
    resolve: async (query, e, _a, ctx) =>
      ctx.db.message.findUniqueOrThrow({ ...query, where: { id: (e as unknown as Event).messageId!, ...visibleMessages(ctx) } }),
  }),
);

builder.queryField("events", (t) =>
  t.connection({
    type: TicketEvent,
    description:
      "The same feed as ticketEvents, for polling: events after a cursor, oldest first, including tombstones. Events are numbered a few milliseconds after their change commits: the events of a mutation that has just returned may appear on the next poll.",
    authScopes: { anyPermission: ["tickets:read", "portal:self"] },
    args: { filter: t.arg({ type: TicketEventFilter }) },
    resolve: async (_r, args, ctx) => {
      const viewer = requireViewer(ctx);
      const first = Math.min(args.first ?? 50, 200);
      let after = decodeCursor(args.after) ?? 0;
      const edges: { cursor: string; node: Event }[] = [];
      let more = true;
      let scanned = 0;
      // Skipped (invisible) events still advance the cursor, so polling never stalls on them,
      // and one request looks at a bounded number of events however few are visible.
      while (edges.length < first && more && scanned < MAX_SCAN) {
        const rows = await ctx.realtime.feed.page(viewer.tenantId, after, 200);
        scanned += rows.length;
        more = rows.length === 200;
        for (const e of rows) {
          after = e.seq;
          if (await visible(ctx, e, args.filter)) edges.push({ cursor: encodeCursor(e.seq), node: e });
          if (edges.length === first) break;
        }
      }
      const hasNextPage = more || (edges.length === first && (await ctx.realtime.feed.page(viewer.tenantId, after, 1)).length > 0);
      return {
        edges,
        pageInfo: {
          hasNextPage,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          // Past the last event looked at, visible or not.
          endCursor: after > 0 ? encodeCursor(after) : (args.after ?? null),
        },
      };
    },
  }),
);
