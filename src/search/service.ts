import { AppError, forbidden } from "../errors.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { capability } from "../plugin-host/capabilities.js";
import { mayReadNotes, visibleMessages } from "../auth/visibility.js";
import { subjectOf } from "../privacy/subjects.js";
import type { SearchBackend, SearchHighlight, SearchKind, SearchScope, SimilarHit, SimilarRequest } from "./contract.js";
import { searchLanguage } from "./language.js";
import { PostgresSearchBackend } from "./postgres-backend.js";
import { resolveCustomFields } from "./custom-fields.js";
import { parseQuery } from "./query.js";
import { NIL_UUID as NOBODY } from "../constants.js";

/** Like every other connection: 20 by default, larger pages cut to 100. */
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
/** Deep offsets cost the database the whole prefix; nobody reads page 500 of a search. */
const MAX_OFFSET = 10_000;

export interface SearchArgs {
  query: string;
  types?: SearchKind[] | null;
  first?: number | null;
  after?: string | null;
}

type Row = Record<string, unknown>;

export interface LoadedHit {
  score: number;
  /** Each highlight knows whose data it shows, for the audit of personal-data reads. */
  highlights: (SearchHighlight & { subject: ReturnType<typeof subjectOf> })[];
  kind: SearchKind;
  result: Row;
  cursor: string;
}

export interface SearchPage {
  hits: LoadedHit[];
  total: number;
  totalIsLowerBound: boolean;
  backend: string;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/**
 * What the caller may find, from their permissions. The backend applies it in
 * its query; the objects are then loaded through the caller's own scoped client
 * (a second wall), and the GraphQL types apply their field-level rules as usual.
 */
function scopeFor(ctx: Context): SearchScope {
  const viewer = requireViewer(ctx);
  if (viewer.kind === "contact") {
    // A data subject finds their own tickets and the public replies on them; no contacts, no notes.
    return { tenantId: viewer.tenantId, kinds: ["TICKET", "MESSAGE"], notes: false, contactId: viewer.contactId };
  }
  const kinds: SearchKind[] = [];
  if (ctx.can("tickets:read")) kinds.push("TICKET", "MESSAGE");
  if (ctx.can("contacts:read")) kinds.push("CONTACT");
  if (!kinds.length) throw forbidden("Searching needs tickets:read or contacts:read");
  return { tenantId: viewer.tenantId, kinds, notes: ctx.can("tickets:read") && mayReadNotes(ctx) };
}

const encodeCursor = (offset: number) => Buffer.from(`search:${offset}`).toString("base64");

function decodeCursor(cursor: string): number {
  const m = /^search:(\d{1,6})$/.exec(Buffer.from(cursor, "base64").toString());
  if (!m) throw new AppError("VALIDATION", "Invalid cursor", { fields: [{ path: ["after"], message: "not a cursor from this search" }] });
  return Number(m[1]);
}

/** The tenant's search backend: a plugin's that is ready (the searchBackend capability), otherwise the built-in PostgreSQL one. */
async function backendFor(ctx: Context, tenantId: string): Promise<SearchBackend> {
  return (await capability(ctx, "searchBackend", tenantId))?.value ?? new PostgresSearchBackend(ctx.db);
}

/**
 * Asks the tenant's backend. An external index that is down must not stop
 * agents from searching: the database holds the same text, current to the
 * last commit, and answers instead (the answer says which backend served it).
 */
async function withFallback<T>(
  ctx: Context,
  tenantId: string,
  ask: (backend: SearchBackend) => Promise<T>,
): Promise<{ backend: SearchBackend; answer: T }> {
  const backend = await backendFor(ctx, tenantId);
  try {
    return { backend, answer: await ask(backend) };
  } catch (err) {
    if (backend instanceof PostgresSearchBackend) throw err;
    ctx.log.warn({ err, backend: backend.name }, "external search failed; answered by the built-in search");
    const builtIn = new PostgresSearchBackend(ctx.db);
    return { backend: builtIn, answer: await ask(builtIn) };
  }
}

async function builtIn<T>(ctx: Context, ask: (backend: SearchBackend) => Promise<T>): Promise<{ backend: SearchBackend; answer: T }> {
  const backend = new PostgresSearchBackend(ctx.db);
  return { backend, answer: await ask(backend) };
}

/** The tenant's solved and closed tickets most like a ticket, from its search backend (see SearchBackend.similar); the caller authorizes. */
export async function similarTickets(ctx: Context, request: SimilarRequest): Promise<{ backend: string; hits: SimilarHit[] }> {
  const { backend, answer } = await withFallback(ctx, request.tenantId, (b) => b.similar(request));
  return { backend: backend.name, hits: answer };
}

async function resolveAssignees(ctx: Context, parsed: ReturnType<typeof parseQuery>): Promise<void> {
  const ids: (string | null)[] = [...(parsed.filters.assigneeIds ?? [])];
  if (parsed.assigneeMe) {
    const viewer = requireViewer(ctx);
    if (viewer.kind !== "agent") {
      throw new AppError("VALIDATION", "Invalid search query: assignee:me needs a signed-in agent", {
        fields: [{ path: ["query"], message: "assignee:me needs a signed-in agent" }],
      });
    }
    ids.push(viewer.agentId);
  }
  if (parsed.assigneeEmails.length) {
    const agents = await ctx.db.agent.findMany({
      where: { email: { in: parsed.assigneeEmails, mode: "insensitive" } },
      select: { id: true },
    });
    ids.push(...agents.map((a) => a.id));
    // An unknown email matches no ticket, like any other filter value nothing carries.
    if (!agents.length && !ids.length) ids.push(NOBODY);
  }
  if (ids.length) parsed.filters.assigneeIds = [...new Set(ids)];
}

/** Loads the hits' objects through the caller's scoped client; what does not load is left out. */
async function loadObjects(ctx: Context, refs: { kind: SearchKind; id: string }[]): Promise<Map<string, Row>> {
  const ids = (kind: SearchKind) => refs.filter((r) => r.kind === kind).map((r) => r.id);
  const [tickets, messages, contacts] = await Promise.all([
    ids("TICKET").length ? ctx.db.ticket.findMany({ where: { id: { in: ids("TICKET") } } }) : [],
    ids("MESSAGE").length ? ctx.db.message.findMany({ where: { id: { in: ids("MESSAGE") }, ...visibleMessages(ctx) } }) : [],
    ids("CONTACT").length && ctx.can("contacts:read") ? ctx.db.contact.findMany({ where: { id: { in: ids("CONTACT") } } }) : [],
  ]);
  const out = new Map<string, Row>();
  for (const t of tickets) out.set(`TICKET:${t.id}`, t);
  for (const m of messages) out.set(`MESSAGE:${m.id}`, m);
  for (const c of contacts) out.set(`CONTACT:${c.id}`, c);
  return out;
}

const TYPE_NAME: Record<SearchKind, string> = { TICKET: "Ticket", MESSAGE: "Message", CONTACT: "Contact" };

export async function search(ctx: Context, args: SearchArgs): Promise<SearchPage> {
  const scope = scopeFor(ctx);
  const parsed = parseQuery(args.query);
  if (args.types?.length) {
    // type:ticket with types: [CONTACT] asks for nothing: the backend then finds nothing.
    parsed.filters.kinds = parsed.filters.kinds ? parsed.filters.kinds.filter((k) => args.types!.includes(k)) : [...args.types];
  }
  await resolveAssignees(ctx, parsed);
  await resolveCustomFields(ctx, parsed);
  if (args.first != null && args.first < 0) {
    throw new AppError("VALIDATION", "first must not be negative", { fields: [{ path: ["first"], message: "must be 0 or more" }] });
  }
  const limit = Math.min(args.first ?? DEFAULT_PAGE, MAX_PAGE);
  const offset = args.after ? decodeCursor(args.after) + 1 : 0;
  if (offset > MAX_OFFSET) {
    throw new AppError("VALIDATION", `Search results can be paged up to ${MAX_OFFSET}; narrow the query`, {
      fields: [{ path: ["after"], message: "too deep" }],
    });
  }
  const tenant = await ctx.db.tenant.findFirstOrThrow({ select: { defaultLocale: true } });
  const request = {
    query: { text: parsed.text, filters: parsed.filters },
    scope,
    language: searchLanguage(tenant.defaultLocale),
    offset,
    limit: Math.max(limit, 1),
  };
  // first: 0 asks for the total only. Custom fields are not in an external index: the built-in search answers those.
  const { backend, answer } = parsed.filters.customFields?.length
    ? await builtIn(ctx, (b) => b.search(request))
    : await withFallback(ctx, scope.tenantId, (b) => b.search(request));
  const page = limit === 0 ? { ...answer, hits: [] } : answer;
  const total = page.total;

  const objects = await loadObjects(ctx, page.hits);
  const hits: LoadedHit[] = [];
  page.hits.forEach((h, i) => {
    const result = objects.get(`${h.kind}:${h.id}`);
    if (!result) return;
    const subject = subjectOf(TYPE_NAME[h.kind], result);
    hits.push({
      kind: h.kind,
      result,
      score: h.score,
      highlights: h.highlights.map((x) => ({ ...x, subject })),
      cursor: encodeCursor(offset + i),
    });
  });
  return {
    hits,
    total,
    totalIsLowerBound: page.totalIsLowerBound ?? false,
    backend: backend.name,
    // Past an uncounted total, a full page means there may be more.
    hasNextPage: page.totalIsLowerBound ? page.hits.length === limit && limit > 0 : offset + page.hits.length < total,
    hasPreviousPage: offset > 0,
  };
}
