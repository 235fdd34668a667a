/**
 * What every search backend shares: the parsed query, the request a backend
 * answers (already narrowed to what the caller may see) and the hits it
 * returns. The service parses, authorizes and loads the objects; a backend
 * only finds ids. PostgreSQL full-text search is the built-in backend; a
 * plugin (Elasticsearch) can provide another as its `searchBackend` capability
 * (src/plugin-host/capabilities.ts).
 */

/** What can be found. */
export type SearchKind = "TICKET" | "MESSAGE" | "CONTACT";

/** A word or a "quoted phrase"; `negated` for `-word` / `-"a phrase"`. */
export interface SearchTerm {
  kind: "WORD" | "PHRASE";
  text: string;
  negated: boolean;
}

/**
 * The free-text part of a query in conjunctive form: every group must match,
 * and a group matches when any of its terms does (`a OR b c` → [[a, b], [c]]).
 * A negated term always stands alone in its group.
 */
type SearchText = SearchTerm[][];

/** Field filters from the query (`status:open`, `tag:billing`, `created>2026-01-01`…), all ANDed. */
export interface SearchFilters {
  /** Ticket statuses, upper case (OPEN, PENDING…); any of them. */
  status?: string[];
  /** Ticket priorities, upper case; any of them. */
  priority?: string[];
  /** Tag names; the ticket carries every one. */
  tags?: string[];
  /** Assignee agent ids; `assignee:me` is resolved to the caller's id, `assignee:none` to null. */
  assigneeIds?: (string | null)[];
  /** Author (messages) or requester (tickets) email, lower case. */
  fromEmails?: string[];
  /** Half-open interval on the object's creation time. */
  createdAfter?: Date;
  createdBefore?: Date;
  /** Only these kinds (`type:ticket`); intersected with the API's filter, so an empty list finds nothing. */
  kinds?: SearchKind[];
  /** Ticket custom fields (`plan:pro`, `seats>=10`), all ANDed; tickets, and messages on such tickets. */
  customFields?: CustomFieldFilter[];
}

/** A condition on one ticket custom field, typed by its definition (src/search/custom-fields.ts). */
export interface CustomFieldFilter {
  fieldId: string;
  type: "TEXT" | "NUMBER" | "DATE" | "BOOLEAN" | "SINGLE_SELECT" | "MULTI_SELECT";
  /** EQ: any of `values` (a MULTI_SELECT value: has any of them; TEXT: equal, ignoring case); the others compare with the one value. */
  op: "EQ" | "GT" | "GTE" | "LT" | "LTE";
  /** Numbers, booleans, dates as "YYYY-MM-DD", options as defined, text in lower case. */
  values: (string | number | boolean)[];
}

export interface ParsedQuery {
  text: SearchText;
  filters: SearchFilters;
}

/** What the caller may see, decided by the service from the viewer's permissions. */
export interface SearchScope {
  tenantId: string;
  /** Kinds the caller may read; never empty when a backend is asked. */
  kinds: SearchKind[];
  /** Internal notes match only when true. */
  notes: boolean;
  /** A data subject on the portal: only their own tickets and the public messages on them. */
  contactId?: string;
}

export interface SearchRequest {
  query: ParsedQuery;
  scope: SearchScope;
  /** PostgreSQL text-search configuration of the tenant's locale (english, french, german, swedish, dutch, simple). */
  language: string;
  /** Offset pagination under opaque cursors; at most 100. */
  offset: number;
  limit: number;
}

export interface SearchHighlight {
  /** subject, body, name, email… */
  field: string;
  /** Text around the match with matched words wrapped in <mark>…</mark>; everything else HTML-escaped. */
  snippet: string;
}

export interface SearchHitRef {
  kind: SearchKind;
  id: string;
  score: number;
  highlights: SearchHighlight[];
}

export interface SearchResultPage {
  hits: SearchHitRef[];
  /** All matches, not just this page. */
  total: number;
  /**
   * True when the backend stopped counting at a limit: there are at least
   * `total` matches (Elasticsearch's `hits.total.relation: "gte"`). Absent means exact.
   */
  totalIsLowerBound?: boolean;
}

/** A ticket whose likes are wanted among the tenant's solved and closed tickets (`similarTickets`). */
export interface SimilarRequest {
  tenantId: string;
  ticketId: string;
  /** Its public messages: what is compared (internal notes never are). */
  messageIds: string[];
  limit: number;
}

/** A ticket like the one asked about; a higher score is more alike (the scale is the backend's). */
export interface SimilarHit {
  id: string;
  score: number;
}

export interface SearchBackend {
  /** Shown in the API (`SearchConnection.backend`). */
  name: string;
  search(request: SearchRequest): Promise<SearchResultPage>;
  /** The solved and closed tickets most like a ticket, best first, never the ticket itself. */
  similar(request: SimilarRequest): Promise<SimilarHit[]>;
}
