import { builder } from "../graphql/builder.js";
import { Contact } from "../contacts/schema.js";
import { Message, Ticket } from "../tickets/schema.js";
import { personal } from "../privacy/labels.js";
import type { DataCategory } from "../privacy/taxonomy.js";
import type { SearchKind } from "./contract.js";
import { MAX_QUERY_LENGTH, MAX_QUERY_TERMS } from "./query.js";
import { search, type LoadedHit, type SearchPage } from "./service.js";

const SearchResultType = builder.enumType("SearchResultType", {
  description: "What a search can find.",
  values: {
    TICKET: { description: "Tickets, by subject" },
    MESSAGE: { description: "Replies and (with notes:read) internal notes, by body" },
    CONTACT: { description: "Contacts, by name, email and phone (needs contacts:read)" },
  },
});

const SearchFilter = builder.inputType("SearchFilter", {
  description: "Narrows a search beyond what the query text says.",
  fields: (t) => ({
    types: t.field({
      type: [SearchResultType],
      description: "Only these kinds of results; with type: in the query, both must allow a kind",
    }),
  }),
});

type Highlight = LoadedHit["highlights"][number];

/** The exact category of each highlighted field, for the audit of personal-data reads. */
const FIELD_CATEGORY: Record<string, DataCategory> = {
  subject: "user.content.message",
  body: "user.content.message",
  attachments: "user.content.attachment",
  name: "user.name",
  email: "user.contact.email",
  phone: "user.contact.phone",
};

const SearchHighlight = builder.objectRef<Highlight>("SearchHighlight").implement({
  description: "Why a result matched: a piece of one of its fields with the matching words marked.",
  fields: (t) => ({
    field: t.exposeString("field", {
      description:
        "The field that matched: subject (ticket), body or attachments (message: the text of its files), name, email or phone (contact)",
    }),
    snippet: t.string({
      description:
        "Text around the matches, HTML-escaped, with each match wrapped in <mark>…</mark>: safe to insert as HTML. " +
        "Carries the field's personal data (name, email and phone snippets count as those categories in the audit log).",
      ...personal("user.content.message"),
      resolve: (h, _a, ctx) => {
        const category = FIELD_CATEGORY[h.field];
        if (h.subject && category) ctx.privacy.noteRead(h.subject, category);
        return h.snippet;
      },
    }),
  }),
});

/** Which GraphQL type each loaded row is, for the union. */
const kindOf = new WeakMap<object, SearchKind>();

const SearchResult = builder.unionType("SearchResult", {
  description: "The object a search found: the usual types, with their usual field-level permissions and privacy labels.",
  types: [Ticket, Message, Contact],
  resolveType: (value) => {
    const kind = kindOf.get(value as object);
    return kind === "TICKET" ? "Ticket" : kind === "MESSAGE" ? "Message" : "Contact";
  },
});

const SearchHit = builder.objectRef<LoadedHit>("SearchHit").implement({
  description: "One result of a search.",
  fields: (t) => ({
    score: t.float({
      description: "Relevance (ts_rank_cd on the built-in backend); higher is better. 0 when the query has only filters",
      resolve: (h) => h.score,
    }),
    highlights: t.field({
      type: [SearchHighlight],
      description: "The fields that matched the query's words, with the matches marked; empty when the query has only filters",
      resolve: (h) => h.highlights,
    }),
    result: t.field({
      type: SearchResult,
      description: "The ticket, message or contact",
      resolve: (h) => {
        kindOf.set(h.result, h.kind);
        return h.result as never;
      },
    }),
  }),
});

const SearchEdge = builder.objectRef<LoadedHit>("SearchEdge").implement({
  description: "A result and its cursor.",
  fields: (t) => ({
    cursor: t.exposeString("cursor", { description: "Pass as `after` to continue after this result" }),
    node: t.field({ type: SearchHit, description: "The result, its score and highlights", resolve: (h) => h }),
  }),
});

const SearchConnection = builder.objectRef<SearchPage>("SearchConnection").implement({
  description:
    "A page of search results: best match first when the query matches up to 1,000 objects, newest first beyond that (or when it has only filters).",
  fields: (t) => ({
    totalCount: t.int({
      description:
        "Matches of the whole query the caller may see, not just this page; counting stops at 1,000 on the built-in backend (see totalCountExact)",
      resolve: (p) => p.total,
    }),
    totalCountExact: t.boolean({
      description: "False when there are more matches than totalCount says",
      resolve: (p) => !p.totalIsLowerBound,
    }),
    pageInfo: t.field({
      type: builder.pageInfoRef(),
      description: "Whether there are more results, and the cursors to page on",
      resolve: (p) => ({
        hasNextPage: p.hasNextPage,
        hasPreviousPage: p.hasPreviousPage,
        startCursor: p.hits[0]?.cursor ?? null,
        endCursor: p.hits.at(-1)?.cursor ?? null,
      }),
    }),
    edges: t.field({ type: [SearchEdge], description: "This page's results, in order", resolve: (p) => p.hits }),
    backend: t.exposeString("backend", { description: "Which search answered: postgres (built in) or a plugin's, e.g. elasticsearch" }),
  }),
});

builder.queryField("search", (t) =>
  t.field({
    type: SearchConnection,
    description: `Full-text search over tickets (subject), messages (body) and contacts (name, email, phone). Best match first when the query matches up to 1,000 objects; beyond that, and for queries of filters only, newest first. totalCount is exact up to 1,000 (totalCountExact).

Query syntax:
- \`refund card\`: every word must match, in any form the tenant's language knows (stemming: "invoices" finds "invoice"; stop words are ignored)
- \`"credit card"\`: the words in this order
- \`-paypal\`, \`-"gift card"\`: leave out what contains it
- \`invoice OR receipt\`: either
- \`status:open\` (also \`status:open,pending\`), \`priority:high\`, \`tag:billing\`: tickets, and messages on such tickets
- \`assignee:me\`, \`assignee:none\`, \`assignee:agent@example.com\`
- \`from:marie@example.fr\`: messages written by, tickets requested by, the contact with this email
- \`created>2026-01-01\`, \`created>=\`, \`created<\`, \`created<=\`: whole UTC days
- \`type:ticket\`, \`type:message\`, \`type:contact\`
- \`<key>:value\` on a ticket custom field, read as its type: \`plan:pro,enterprise\`, \`trial:true\`, \`seats>=10\`, \`renewal<2026-07-01\`: tickets, and messages on such tickets; an unknown key is VALIDATION with \`extensions.reason: UNKNOWN_FIELD\`. Answered by the built-in search (backend: postgres) whatever the tenant's backend.
A misspelt word also finds the most similar words the tenant's texts contain.
At most ${MAX_QUERY_LENGTH} characters and ${MAX_QUERY_TERMS} words and filters; what cannot be read is a VALIDATION error with the position in \`extensions.position\`.

Results follow the caller's permissions: tickets and messages need tickets:read, internal notes notes:read, contacts contacts:read; a contact on the portal finds their own tickets and the public replies on them.`,
    authScopes: { anyPermission: ["tickets:read", "contacts:read", "portal:self"] },
    args: {
      query: t.arg.string({ required: true, description: "What to look for, in the syntax above" }),
      filter: t.arg({ type: SearchFilter, description: "Kinds of results to include" }),
      first: t.arg.int({ description: "Page size: 20 by default, at most 100 (larger values are cut to 100)" }),
      after: t.arg.string({ description: "The cursor of the last result of the previous page" }),
    },
    resolve: (_r, args, ctx) =>
      search(ctx, {
        query: args.query,
        types: args.filter?.types as SearchKind[] | null | undefined,
        first: args.first,
        after: args.after,
      }),
  }),
);
