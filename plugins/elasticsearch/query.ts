import type { estypes } from "@elastic/elasticsearch";
import type {
  SearchHighlight,
  SearchHitRef,
  SearchKind,
  SearchRequest,
  SearchResultPage,
  SearchTerm,
  SimilarRequest,
} from "../../src/search/contract.js";
import { HIGHLIGHT_FIELDS, TEXT_FIELDS } from "./mappings.js";
import { esId } from "./documents.js";

type Query = estypes.QueryDslQueryContainer;

/** A word matches with typos (fuzziness AUTO: 1 edit from 3 letters, 2 from 6); a phrase matches exactly, in order. */
function termQuery(term: SearchTerm): Query {
  return term.kind === "PHRASE"
    ? { multi_match: { query: term.text, type: "phrase", fields: TEXT_FIELDS } }
    : { multi_match: { query: term.text, type: "best_fields", fields: TEXT_FIELDS, fuzziness: "AUTO", operator: "and" } };
}

const TICKET_KINDS: SearchKind[] = ["TICKET", "MESSAGE"];

/**
 * The query for a request: the parsed text (every group must match, any term
 * within one; negated terms exclude), the query's filters, and what the
 * caller may see. The last part is not optional: the tenant filter, the kinds,
 * notes and the portal's own-tickets rule are always in `filter`.
 */
function buildQuery(request: SearchRequest): Query {
  const { query, scope } = request;
  const must: Query[] = [];
  const mustNot: Query[] = [];
  for (const group of query.text) {
    const positive = group.filter((t) => !t.negated);
    for (const t of group.filter((t) => t.negated)) mustNot.push(termQuery(t));
    if (positive.length === 1) must.push(termQuery(positive[0]!));
    else if (positive.length > 1) must.push({ bool: { should: positive.map(termQuery), minimum_should_match: 1 } });
  }

  const f = query.filters;
  let kinds = scope.kinds.filter((k) => !f.kinds || f.kinds.includes(k));
  // Ticket fields (status, tags…) exist on tickets and their messages, not on contacts.
  if (f.status?.length || f.priority?.length || f.tags?.length || f.assigneeIds?.length || scope.contactId) {
    kinds = kinds.filter((k) => TICKET_KINDS.includes(k));
  }

  const filter: Query[] = [{ term: { tenantId: scope.tenantId } }, { terms: { kind: kinds } }];
  if (!scope.notes) filter.push({ term: { internal: false } });
  if (scope.contactId) filter.push({ term: { contactId: scope.contactId } }, { term: { internal: false } });
  if (f.status?.length) filter.push({ terms: { status: f.status } });
  if (f.priority?.length) filter.push({ terms: { priority: f.priority } });
  for (const tag of f.tags ?? []) filter.push({ term: { tags: tag } });
  if (f.assigneeIds?.length) {
    const ids = f.assigneeIds.filter((a): a is string => a !== null);
    const should: Query[] = [];
    if (ids.length) should.push({ terms: { assigneeId: ids } });
    if (f.assigneeIds.includes(null)) should.push({ bool: { must_not: [{ exists: { field: "assigneeId" } }] } });
    filter.push({ bool: { should, minimum_should_match: 1 } });
  }
  if (f.fromEmails?.length) filter.push({ terms: { fromEmail: f.fromEmails.map((e) => e.toLowerCase()) } });
  if (f.createdAfter || f.createdBefore) {
    filter.push({
      range: {
        createdAt: {
          ...(f.createdAfter ? { gte: f.createdAfter.toISOString() } : {}),
          ...(f.createdBefore ? { lt: f.createdBefore.toISOString() } : {}),
        },
      },
    });
  }
  return { bool: { must: must.length ? must : [{ match_all: {} }], filter, must_not: mustNot } };
}

/** The whole search request: the query, paging, highlights, and routing by tenant. */
export function searchParams(index: string, request: SearchRequest): estypes.SearchRequest {
  return {
    index,
    routing: request.scope.tenantId,
    query: buildQuery(request),
    from: request.offset,
    size: request.limit,
    track_total_hits: true,
    _source: ["kind", "id"],
    sort: ["_score", { createdAt: "desc" }, { id: "asc" }],
    highlight: {
      encoder: "html",
      pre_tags: ["<mark>"],
      post_tags: ["</mark>"],
      fragment_size: 150,
      number_of_fragments: 2,
      fields: Object.fromEntries(HIGHLIGHT_FIELDS.map((f) => [f, {}])),
    },
  };
}

/**
 * `similarTickets`: Elasticsearch's more_like_this over the ticket's own
 * documents (its subject and public messages, named by id, so no text is sent),
 * among the tenant's solved and closed tickets' public documents, one hit per
 * ticket (collapsed on ticketId), never the ticket itself.
 */
export function similarParams(index: string, request: SimilarRequest): estypes.SearchRequest {
  const routing = request.tenantId;
  const like = [
    { _index: index, _id: esId({ kind: "TICKET", id: request.ticketId }), routing },
    ...request.messageIds.map((id) => ({ _index: index, _id: esId({ kind: "MESSAGE", id }), routing })),
  ];
  return {
    index,
    routing,
    size: request.limit,
    _source: ["ticketId"],
    collapse: { field: "ticketId" },
    query: {
      bool: {
        must: [
          { more_like_this: { fields: ["subject", "body", "attachments"], like, min_term_freq: 1, min_doc_freq: 2, max_query_terms: 12 } },
        ],
        filter: [
          { term: { tenantId: request.tenantId } },
          { terms: { kind: TICKET_KINDS } },
          { term: { internal: false } },
          { terms: { status: ["SOLVED", "CLOSED"] } },
        ],
        must_not: [{ term: { ticketId: request.ticketId } }],
      },
    },
  };
}

/** The contract's page from a search response. */
export function toResultPage(response: estypes.SearchResponse<{ kind: SearchKind; id: string }>): SearchResultPage {
  const total = response.hits.total;
  const hits: SearchHitRef[] = response.hits.hits.map((h) => ({
    kind: h._source!.kind,
    id: h._source!.id,
    score: h._score ?? 0,
    highlights: Object.entries(h.highlight ?? {}).map(([field, fragments]): SearchHighlight => ({ field, snippet: fragments.join(" … ") })),
  }));
  return { hits, total: typeof total === "number" ? total : (total?.value ?? hits.length) };
}
