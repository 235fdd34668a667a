import { Prisma } from "../generated/prisma/client.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type {
  CustomFieldFilter,
  SearchBackend,
  SearchHighlight,
  SearchHitRef,
  SearchKind,
  SearchRequest,
  SearchResultPage,
  SearchTerm,
  SimilarRequest,
} from "./contract.js";
import { similarTickets } from "./postgres-similar.js";
import { NIL_UUID as NOBODY } from "../constants.js";
import { readText } from "../attachments/extract/store.js";

/**
 * The built-in backend: PostgreSQL full-text search over the `searchVector`
 * columns that the triggers of migration 0007_search keep current. The same
 * SQL runs on PGlite and on a PostgreSQL server.
 *
 * Safety: user text only ever reaches SQL as a bound parameter of
 * plainto_tsquery/phraseto_tsquery, which cannot fail on any input; the tsquery
 * operators (&&, ||, !!) that combine them come from the parsed structure.
 * Raw SQL passes the Prisma tenant scope by, so every branch names the tenant.
 */

const sql = Prisma.sql;
const join = Prisma.join;

/** At most this many similar words stand in for a word the tenant's texts do not contain. */
const TYPO_ALTERNATIVES = 3;
/**
 * Up to this many matches are ranked by relevance. Ranking needs every match's
 * vector, read from the table: at 1,000 that takes a few milliseconds, at
 * 150,000 (a common word in a large tenant) hundreds. Beyond it, results come
 * newest first, read along the (tenantId, createdAt) indexes, which stops at
 * the page; a helpdesk's common words are best served by recency anyway.
 */
const RANK_LIMIT = 1000;
/**
 * Matches are counted up to this many; more is reported as a lower bound
 * ("1,000+"). Counting reads every match from the table too: 10,000 matches of
 * a common word cost 30 to 200 ms at a million messages, 1,000 a tenth of that.
 */
const COUNT_LIMIT = 1000;
/**
 * A phrase found through the pairs index (see `phrasePairs`) with more matches
 * than the count limit but no more than this many has them all read from that
 * index and sorted, newest first: a few milliseconds, where the newest-first
 * walk reads tens of thousands of rows to meet a page of a rare phrase.
 */
const PHRASE_SORT_LIMIT = 5000;

type Scope = SearchRequest["scope"];

/** Words the vocabulary could hold (see deskgraph_vocabulary): worth a typo lookup. */
const VOCABULARY_WORD = /^[^\d@./:]{3,32}$/u;

/** One kind's matches: the FROM and WHERE clauses, and the alias of the matched row. */
interface Branch {
  kind: SearchKind;
  alias: Prisma.Sql;
  from: Prisma.Sql;
  /** Conditions on the ticket apply (status, priority, tags, assignee, or the portal's requester). */
  ticketFiltered: boolean;
  /** `from` is led by the pairs index of the query's phrases. */
  pairLed: boolean;
  /** FROM … WHERE over one window of the tenant's rows, newest first (see `search`). */
  window(offset: number, size: number): Prisma.Sql;
  /** A row of the tenant at this position, if it has that many (in any order: an index-only scan). */
  rowAt(offset: number): Prisma.Sql;
}

/** For each group of the query made of phrases only: the adjacent word pairs of its phrases (see `phrasePairs`). */
type PhrasePairs = string[][];

/** In the first pass, the text condition `match` is replaced by the conditions `by` (see `branch`). */
interface FirstPass {
  match: Prisma.Sql;
  by: Prisma.Sql[];
}

export class PostgresSearchBackend implements SearchBackend {
  readonly name = "postgres";

  private readonly rankLimit: number;
  private readonly countLimit: number;

  /** The limits are options for tests; the defaults are what the API uses. */
  constructor(
    private readonly db: TenantClient,
    limits: { rankLimit?: number; countLimit?: number } = {},
  ) {
    this.countLimit = limits.countLimit ?? COUNT_LIMIT;
    // Ranking needs every match, so it cannot reach past the count.
    this.rankLimit = Math.min(limits.rankLimit ?? RANK_LIMIT, this.countLimit);
  }

  similar(request: SimilarRequest) {
    return similarTickets(this.db, request);
  }

  async search(request: SearchRequest): Promise<SearchResultPage> {
    const kinds = this.kinds(request);
    if (!kinds.length) return { hits: [], total: 0 };
    const alternatives = await this.typoAlternatives(request.scope.tenantId, request.query.text);
    const tsquery = this.tsquery(request, alternatives);
    const [authors, tagIds, pairs] = await Promise.all([this.authors(request), this.tagIds(request), this.phrasePairs(request)]);
    const branches = kinds.map((kind) => this.branch(kind, request, tsquery, authors, tagIds, pairs));

    // One pass finds the matches of each kind, up to the count limit: their ids, dates and
    // scores. A kind with no more than that is then complete: counted, ranked or sorted
    // here, without reading it again. Only a kind with more is read a second time.
    const score = (b: Branch) => (tsquery ? sql`ts_rank_cd(${b.alias}."searchVector", ${tsquery})` : sql`0::real`);
    type Dated = { kind: SearchKind; id: string; score: number; createdAt: Date };
    const firstPass = this.db.$queryRaw<Dated[]>(
      sql`${join(
        branches.map(
          (b) =>
            sql`(SELECT ${b.kind}::text AS kind, ${b.alias}."id", ${score(b)} AS score, ${b.alias}."createdAt" ${b.from} LIMIT ${this.countLimit + 1})`,
        ),
        " UNION ALL ",
      )}`,
    );
    // With a LIMIT, the planner likes to scan the table hoping to meet enough matches
    // early. For phrases it overestimates how many rows match (it knows each word's
    // frequency, not how often they are adjacent), and such a scan can read the whole
    // tenant (400 ms at 600,000 messages). A bitmap scan of the text index costs what the
    // words' candidates cost: phrases use one. For words the planner's choice is right
    // and cheaper (a common word is met early).
    const hasPhrase = request.query.text.some((g) => g.some((term) => term.kind === "PHRASE" && !term.negated));
    // Likewise with conditions on the ticket (a tag, a status): the planner tends to read
    // every ticket that has the tag and join; led by the text index, each match is checked
    // in its own row instead (a message carries its ticket's fields, see `branch`), and the
    // pass stops at the count limit.
    // Not for a contact on the portal: their own few tickets are the better place to start.
    const ticketFiltered = tsquery !== null && !request.scope.contactId && branches.some((b) => b.ticketFiltered);
    const found =
      hasPhrase || ticketFiltered ? await this.steered(firstPass, { indexScan: false, joins: !ticketFiltered }) : await firstPass;
    const perKind = new Map<SearchKind, number>();
    for (const r of found) perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1);
    const many = new Set([...perKind].filter(([, n]) => n > this.countLimit).map(([k]) => k));
    const matches = found.length;
    const total = Math.min(matches, this.countLimit);
    const totalIsLowerBound = matches > this.countLimit;
    const page = request.offset + request.limit;

    let rows: Dated[];
    if (tsquery !== null && matches <= this.rankLimit) {
      // Few matches: all of them, best first.
      rows = found.sort(
        (x, y) => y.score - x.score || y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
      );
    } else {
      // Many matches: newest first. A kind with few is complete from the first pass. A
      // kind with many is read newest first in windows of its (tenantId, createdAt) index,
      // 5,000 rows, then 20,000, 80,000…, each filtered, until the page is full. A LIMIT
      // in a subquery is a fence the planner respects: it cannot trade the walk for a scan
      // of every match, which it would otherwise choose whenever it underestimates how
      // common the words are in this tenant (it sees word frequencies over all tenants).
      // With more than 1,000 matches in the tenant, the first window or two fill a page.
      rows = found.filter((r) => !many.has(r.kind));
      for (const b of branches.filter((x) => many.has(x.kind))) {
        if (b.pairLed) {
          // All of a phrase's matches, if not too many, sorted newest first (fenced as the first pass).
          const all = await this.steered(
            this.db.$queryRaw<(Dated & { n: bigint | number })[]>(sql`
              SELECT x.kind, x."id", x.score, x."createdAt", x.n FROM (
                SELECT c.*, count(*) OVER () AS n FROM (
                  SELECT ${b.kind}::text AS kind, ${b.alias}."id", ${score(b)} AS score, ${b.alias}."createdAt" ${b.from} LIMIT ${PHRASE_SORT_LIMIT + 1}
                ) AS c
              ) AS x
              ORDER BY x."createdAt" DESC, x."id" DESC LIMIT ${page}`),
            { indexScan: false, joins: !ticketFiltered },
          );
          if (Number(all[0]?.n ?? 0) <= PHRASE_SORT_LIMIT) {
            rows.push(...all.map(({ n: _n, ...r }) => r));
            continue;
          }
        }
        let got = 0;
        for (let offset = 0, size = 5000; ; offset += size, size *= 4) {
          const window = await this.db.$queryRaw<Dated[]>(sql`
            SELECT ${b.kind}::text AS kind, ${b.alias}."id", ${score(b)} AS score, ${b.alias}."createdAt"
            ${b.window(offset, size)}
            ORDER BY ${b.alias}."createdAt" DESC, ${b.alias}."id" DESC LIMIT ${page - got}`);
          rows.push(...window);
          got += window.length;
          if (got >= page) break;
          // Past the tenant's oldest row: nothing more to find.
          const [next] = await this.db.$queryRaw<{ n: number }[]>(sql`SELECT count(*)::int AS n FROM (${b.rowAt(offset + size)}) AS x`);
          if (!next?.n) break;
        }
      }
      rows.sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0));
    }
    rows = rows.slice(request.offset, page);
    const highlights = tsquery ? await this.highlights(request, tsquery, rows) : new Map<string, SearchHighlight[]>();
    const hits: SearchHitRef[] = rows.map((r) => ({
      kind: r.kind,
      id: r.id,
      score: Number(r.score),
      highlights: highlights.get(r.id) ?? [],
    }));
    return { hits, total, totalIsLowerBound };
  }

  /**
   * Runs a query with sequential scans (and, if asked, plain index scans) priced out, in
   * a transaction of its own: SET LOCAL ends with it. The query's shape then decides the
   * plan (see `search`).
   */
  private async steered<T>(query: Prisma.PrismaPromise<T>, opts: { indexScan?: boolean; joins?: boolean } = {}): Promise<T> {
    // Only the text index (a bitmap scan) is left at its price.
    const settings = [this.db.$executeRaw`SET LOCAL enable_seqscan = off`];
    if (opts.indexScan === false) settings.push(this.db.$executeRaw`SET LOCAL enable_indexscan = off`);
    if (opts.joins === false)
      settings.push(this.db.$executeRaw`SET LOCAL enable_hashjoin = off`, this.db.$executeRaw`SET LOCAL enable_mergejoin = off`);
    const results = await this.db.$transaction([...settings, query] as Prisma.PrismaPromise<unknown>[]);
    return results.at(-1) as T;
  }

  /** Kinds the caller may see, narrowed by type: and by filters that only tickets and messages have. */
  private kinds({ scope, query }: SearchRequest): SearchKind[] {
    const f = query.filters;
    const ticketOnly = !!(f.status?.length || f.priority?.length || f.tags?.length || f.assigneeIds?.length || f.customFields?.length);
    return scope.kinds.filter((k) => (!f.kinds || f.kinds.includes(k)) && !(k === "CONTACT" && (ticketOnly || scope.contactId)));
  }

  /**
   * from: → the contacts and agents with these emails, looked up once, so that
   * each branch compares ids along its indexes. Emails are stored in lower case.
   */
  private async authors({ scope, query }: SearchRequest): Promise<{ contacts: string[]; agents: string[] } | null> {
    const emails = query.filters.fromEmails;
    if (!emails?.length) return null;
    const rows = await this.db.$queryRaw<{ kind: string; id: string }[]>(sql`
      SELECT 'contact' AS kind, "id" FROM "Contact" WHERE "tenantId" = ${scope.tenantId}::uuid AND "email" = ANY(${emails}::text[])
      UNION ALL
      SELECT 'agent', "id" FROM "Agent" WHERE "tenantId" = ${scope.tenantId}::uuid AND lower("email") = ANY(${emails}::text[])`);
    return {
      contacts: rows.filter((r) => r.kind === "contact").map((r) => r.id),
      agents: rows.filter((r) => r.kind === "agent").map((r) => r.id),
    };
  }

  /** tag: → tag ids (one per name, in order), compared with the tag ids each ticket and message carries. */
  private async tagIds({ scope, query }: SearchRequest): Promise<string[] | null> {
    const names = query.filters.tags;
    if (!names?.length) return null;
    const rows = await this.db.$queryRaw<{ name: string; id: string }[]>(sql`
      SELECT "name", "id" FROM "Tag" WHERE "tenantId" = ${scope.tenantId}::uuid AND "name" = ANY(${names}::text[])`);
    // A tag nobody uses matches no ticket.
    return names.map((n) => rows.find((r) => r.name === n)?.id ?? NOBODY);
  }

  /**
   * Phrases are found through the indexes of adjacent word pairs (migration
   * 0010_search_phrases): a row matches a phrase only if it holds one of the
   * phrase's pairs, taken from the phrase parsed as the rows are (same
   * configuration, same positions). For each group whose terms are all phrases,
   * their pairs; none for a group with a word or an exclusion, or with a phrase
   * of one word (or of words apart, stop words between): the group then adds no
   * condition. One round trip, in parallel with the other look-ups.
   */
  private async phrasePairs({ query, language }: SearchRequest): Promise<PhrasePairs> {
    const groups = query.text.filter((g) => g.length && g.every((t) => t.kind === "PHRASE" && !t.negated));
    if (!groups.length) return [];
    const texts = groups.flat().map((t) => t.text);
    const rows = await this.db.$queryRaw<{ i: bigint | number; pairs: string[] }[]>(sql`
      SELECT x.i, deskgraph_search_pairs(to_tsvector(${language}::regconfig, x.t)) AS pairs
      FROM unnest(${texts}::text[]) WITH ORDINALITY AS x(t, i)`);
    const byText = new Map<number, string[]>(rows.map((r) => [Number(r.i) - 1, r.pairs]));
    const out: PhrasePairs = [];
    let i = 0;
    for (const g of groups) {
      const each = g.map(() => byText.get(i++) ?? []);
      // A phrase without a pair could match a row with none of the others' pairs.
      if (each.every((p) => p.length)) out.push([...new Set(each.flat())]);
    }
    return out;
  }

  /**
   * For each query word the tenant's texts do not contain, up to three similar
   * words from the vocabulary (trigram similarity ≥ pg_trgm's threshold, 0.3),
   * most similar first. One round trip for all words.
   */
  private async typoAlternatives(tenantId: string, text: SearchTerm[][]): Promise<Map<string, string[]>> {
    const words = [
      ...new Set(
        text
          .flat()
          .filter((t) => t.kind === "WORD" && !t.negated)
          .map((t) => t.text.toLowerCase())
          .filter((w) => VOCABULARY_WORD.test(w)),
      ),
    ];
    const found = new Map<string, string[]>();
    if (!words.length) return found;
    const rows = await this.db.$queryRaw<{ word: string; alt: string }[]>(sql`
      SELECT q.word, s.word AS alt
      FROM unnest(${words}::text[]) AS q(word)
      CROSS JOIN LATERAL (
        SELECT w."word" FROM "SearchWord" w
        WHERE w."tenantId" = ${tenantId}::uuid AND w."word" % q.word AND w."word" <> q.word
        ORDER BY similarity(w."word", q.word) DESC, w."word"
        LIMIT ${TYPO_ALTERNATIVES}
      ) s
      WHERE NOT EXISTS (SELECT 1 FROM "SearchWord" e WHERE e."tenantId" = ${tenantId}::uuid AND e."word" = q.word)`);
    for (const r of rows) found.set(r.word, [...(found.get(r.word) ?? []), r.alt]);
    return found;
  }

  /** The free text as one tsquery expression, or null when the query has only filters. */
  private tsquery({ query, language }: SearchRequest, alternatives: Map<string, string[]>): Prisma.Sql | null {
    if (!query.text.length) return null;
    const cfg = sql`${language}::regconfig`;
    const term = (t: SearchTerm): Prisma.Sql => {
      if (t.kind === "PHRASE") return sql`phraseto_tsquery(${cfg}, ${t.text})`;
      const alts = t.negated ? [] : (alternatives.get(t.text.toLowerCase()) ?? []);
      const words = [t.text, ...alts].map((w) => sql`plainto_tsquery(${cfg}, ${w})`);
      return words.length === 1 ? words[0]! : sql`(${join(words, " || ")})`;
    };
    const groups = query.text.map((group) => {
      if (group.length === 1 && group[0]!.negated) return sql`!!${term(group[0]!)}`;
      return sql`(${join(group.map(term), " || ")})`;
    });
    return sql`(${join(groups, " && ")})`;
  }

  /** One kind's matches with the caller's scope and the query's filters applied. */
  private branch(
    kind: SearchKind,
    { scope, query }: SearchRequest,
    tsquery: Prisma.Sql | null,
    authors: { contacts: string[]; agents: string[] } | null,
    tagIds: string[] | null,
    pairs: PhrasePairs,
  ): Branch {
    const f = query.filters;
    const alias = kind === "TICKET" ? sql`t` : kind === "MESSAGE" ? sql`m` : sql`c`;
    const where: Prisma.Sql[] = [sql`${alias}."tenantId" = ${scope.tenantId}::uuid`];
    let first: FirstPass | undefined;
    if (tsquery) {
      const match = sql`${alias}."searchVector" @@ ${tsquery}`;
      where.push(match);
      // The first pass finds a phrase's rows through the pairs index alone; the text is then
      // matched on each, written as a function call, which the planner cannot also answer
      // from the words' index (their candidates, tens of thousands for two common words,
      // would be intersected with the pairs' for nothing, and every one of them rechecked).
      if (pairs.length) {
        first = {
          match,
          by: [
            ...pairs.map((p) => sql`deskgraph_search_pairs(${alias}."searchVector") && ${p}::text[]`),
            sql`ts_match_vq(${alias}."searchVector", ${tsquery})`,
          ],
        };
      }
    }
    if (f.createdAfter) where.push(sql`${alias}."createdAt" >= ${timestamp(f.createdAfter)}::timestamp`);
    if (f.createdBefore) where.push(sql`${alias}."createdAt" < ${timestamp(f.createdBefore)}::timestamp`);

    if (kind === "CONTACT") {
      if (authors) where.push(sql`c."id" = ANY(${authors.contacts}::uuid[])`);
      return this.froms(kind, alias, sql`"Contact"`, sql``, where, scope.tenantId, false, first);
    }
    // Ticket conditions: on the ticket itself, or on the message's ticket.
    const onTicket = ticketConditions(scope, f, tagIds ?? [], tsquery !== null);
    if (kind === "TICKET") {
      if (authors) where.push(sql`t."requesterId" = ANY(${authors.contacts}::uuid[])`);
      return this.froms(kind, alias, sql`"Ticket"`, sql``, [...where, ...onTicket], scope.tenantId, onTicket.length > 0, first);
    }
    // Internal notes never match for a caller who may not read them.
    if (!scope.notes || scope.contactId) where.push(sql`m."internal" = false`);
    if (authors) {
      const byContact = sql`m."authorContactId" = ANY(${authors.contacts}::uuid[])`;
      where.push(authors.agents.length ? sql`(${byContact} OR m."authorAgentId" = ANY(${authors.agents}::uuid[]))` : byContact);
    }
    if (!onTicket.length) return this.froms(kind, alias, sql`"Message"`, sql``, where, scope.tenantId, false, first);
    // The ticket's status, priority, assignee and tags are copied onto its messages
    // (migration 0011_search_ticket_fields): each match is checked in its own row, with no
    // look-up of its ticket. With words in the query, the first pass is led by the text index
    // alone (see `search`), and the tenant is checked in the row too, written so that no
    // index answers it (a bitmap of the tenant's 600,000 rows, ANDed with the words', cost
    // more than the whole pass). With filters only, a rare one (an assignee's few tickets)
    // is best found from the ticket's indexes; and the portal's requester needs the ticket.
    if (tsquery && !scope.contactId) {
      const fenced = [sql`(${where[0]!}) IS TRUE`, ...where.slice(1)];
      const inRow = messageTicketConditions(f, tagIds ?? []);
      const branch = this.froms(kind, alias, sql`"Message"`, sql``, [...where, ...inRow], scope.tenantId, true, first);
      return { ...branch, from: this.froms(kind, alias, sql`"Message"`, sql``, [...fenced, ...inRow], scope.tenantId, true, first).from };
    }
    return this.froms(
      kind,
      alias,
      sql`"Message"`,
      sql`JOIN "Ticket" t ON t."id" = m."ticketId" AND t."tenantId" = m."tenantId"`,
      [...where, ...onTicket],
      scope.tenantId,
      true,
      first,
    );
  }

  private froms(
    kind: SearchKind,
    alias: Prisma.Sql,
    table: Prisma.Sql,
    join_: Prisma.Sql,
    where: Prisma.Sql[],
    tenantId: string,
    ticketFiltered = false,
    first?: FirstPass,
  ): Branch {
    const windowRows = (offset: number, size: number) =>
      sql`SELECT * FROM ${table} WHERE "tenantId" = ${tenantId}::uuid ORDER BY "createdAt" DESC, "id" DESC LIMIT ${size} OFFSET ${offset}`;
    return {
      kind,
      alias,
      ticketFiltered,
      pairLed: !!first,
      from: sql`FROM ${table} ${alias} ${join_} WHERE ${join(first ? where.flatMap((w) => (w === first.match ? first.by : [w])) : where, " AND ")}`,
      window: (offset, size) => sql`FROM (${windowRows(offset, size)}) AS ${alias} ${join_} WHERE ${join(where, " AND ")}`,
      rowAt: (offset) => sql`SELECT 1 FROM ${table} WHERE "tenantId" = ${tenantId}::uuid LIMIT 1 OFFSET ${offset}`,
    };
  }

  /**
   * Snippets of the files whose words matched, one statement for the page: their
   * texts are read from the blob store (encrypted there) and given to ts_headline
   * as parameters, the beginning of each only.
   */
  private async fileHighlights(
    rows: { id: string; files: string[] }[],
    language: string,
    tsquery: Prisma.Sql,
    opts: string,
  ): Promise<{ id: string; field: string; snippet: string | null }[]> {
    const wanted = rows.flatMap((r) => r.files.map((key) => ({ id: r.id, key })));
    if (!wanted.length) return [];
    const texts = await Promise.all(wanted.map(async (w) => (await readText(this.db, w.key).catch(() => "")).slice(0, FILE_SNIPPET_CHARS)));
    return this.db.$queryRaw(sql`
      SELECT x.id, 'attachments' AS field, ts_headline(${language}::regconfig, ${escapeHtml(sql`x.t`)}, ${tsquery}, ${opts}) AS snippet
      FROM unnest(${wanted.map((w) => w.id)}::uuid[], ${texts}::text[]) AS x(id, t)`);
  }

  /**
   * Snippets for the page's hits only (ts_headline re-parses the text: cheap
   * for 20 rows, not for thousands). The text is HTML-escaped first, so the
   * only markup in a snippet is our <mark>; fields without a match are left out.
   */
  private async highlights(
    request: SearchRequest,
    tsquery: Prisma.Sql,
    rows: { kind: SearchKind; id: string }[],
  ): Promise<Map<string, SearchHighlight[]>> {
    const out = new Map<string, SearchHighlight[]>();
    const ids = (kind: SearchKind) => rows.filter((r) => r.kind === kind).map((r) => r.id);
    const cfg = sql`${request.language}::regconfig`;
    const opts = 'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "';
    const headline = (column: Prisma.Sql, config = cfg) => sql`ts_headline(${config}, ${escapeHtml(column)}, ${tsquery}, ${opts})`;
    const tenant = request.scope.tenantId;
    const queries: Promise<{ id: string; field: string; snippet: string | null }[]>[] = [];
    const tickets = ids("TICKET");
    if (tickets.length) {
      queries.push(
        this.db.$queryRaw(sql`SELECT t."id", 'subject' AS field, ${headline(sql`t."subject"`)} AS snippet
        FROM "Ticket" t WHERE t."tenantId" = ${tenant}::uuid AND t."id" = ANY(${tickets}::uuid[])`),
      );
    }
    const messages = ids("MESSAGE");
    if (messages.length) {
      // With each message, the texts of its files whose words match (see migration 0019_attachment_text):
      // a message found by a word in its PDF gets a snippet of that PDF.
      queries.push(
        this.db
          .$queryRaw<{ id: string; field: string; snippet: string | null; files: string[] }[]>(sql`
        SELECT m."id", 'body' AS field, ${headline(sql`m."body"`)} AS snippet,
          ARRAY(SELECT a."textBlobKey" FROM "Attachment" a
                WHERE a."tenantId" = m."tenantId" AND a."messageId" = m."id" AND a."textVector" @@ ${tsquery}
                ORDER BY a."createdAt", a."id") AS files
        FROM "Message" m WHERE m."tenantId" = ${tenant}::uuid AND m."id" = ANY(${messages}::uuid[])`)
          .then(async (rows) => [...rows, ...(await this.fileHighlights(rows, request.language, tsquery, opts))]),
      );
    }
    const contacts = ids("CONTACT");
    if (contacts.length) {
      const simple = sql`'simple'::regconfig`;
      queries.push(
        this.db.$queryRaw(sql`
        SELECT c."id", f.field, f.snippet FROM "Contact" c,
        LATERAL (VALUES ('name', ${headline(sql`c."name"`)}),
                        ('email', CASE WHEN c."email" IS NULL THEN NULL ELSE ${headline(sql`c."email"`, simple)} END),
                        ('phone', CASE WHEN c."phone" IS NULL THEN NULL ELSE ${headline(sql`translate(c."phone", '+', '')`, simple)} END)) AS f(field, snippet)
        WHERE c."tenantId" = ${tenant}::uuid AND c."id" = ANY(${contacts}::uuid[])`),
      );
    }
    for (const result of await Promise.all(queries)) {
      for (const r of result) {
        if (!r.snippet?.includes("<mark>")) continue;
        out.set(r.id, [...(out.get(r.id) ?? []), { field: r.field, snippet: r.snippet }]);
      }
    }
    return out;
  }
}

/** Characters of a file's text that a snippet is looked for in: ts_headline parses all it is given. */
const FILE_SNIPPET_CHARS = 100_000;

/** Conditions on the ticket `t` (the hit itself or the message's ticket): portal scope and ticket filters. */
function ticketConditions(scope: Scope, f: SearchRequest["query"]["filters"], tagIds: string[], inRowTags: boolean): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  // A data subject on the portal finds their own tickets only.
  if (scope.contactId) where.push(sql`t."requesterId" = ${scope.contactId}::uuid`);
  // Written as enum literals, so that the planner estimates them from its statistics (a
  // parameter or a cast to text hides the values, and a 20 % filter passes for a 0.1 % one).
  // Only the enums' own names are ever written (the parser admits nothing else; checked again here).
  if (f.status?.length) where.push(sql`t."status" IN (${enumLiterals(f.status, STATUSES, "TicketStatus")})`);
  if (f.priority?.length) where.push(sql`t."priority" IN (${enumLiterals(f.priority, PRIORITIES, "TicketPriority")})`);
  // With words, the text index leads and each match has its tags checked in its row (the
  // copy of migration 0011_search_ticket_fields); with filters only, "TicketTag" leads.
  if (tagIds.length && inRowTags) where.push(sql`t."tagIds" @> ${tagIds}::uuid[]`);
  else {
    for (const tagId of tagIds) {
      where.push(sql`EXISTS (SELECT 1 FROM "TicketTag" tt WHERE tt."ticketId" = t."id" AND tt."tagId" = ${tagId}::uuid)`);
    }
  }
  if (f.assigneeIds?.length) {
    const ids = f.assigneeIds.filter((id): id is string => id !== null);
    const none = f.assigneeIds.includes(null);
    const parts = [...(ids.length ? [sql`t."assigneeId" = ANY(${ids}::uuid[])`] : []), ...(none ? [sql`t."assigneeId" IS NULL`] : [])];
    where.push(sql`(${join(parts, " OR ")})`);
  }
  where.push(...customFieldConditions(sql`t."id"`, f.customFields));
  return where;
}

/** The same filters on the copies of the ticket's fields that each message `m` carries. */
function messageTicketConditions(f: SearchRequest["query"]["filters"], tagIds: string[]): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (f.status?.length) where.push(sql`m."ticketStatus" IN (${enumLiterals(f.status, STATUSES, "TicketStatus")})`);
  if (f.priority?.length) where.push(sql`m."ticketPriority" IN (${enumLiterals(f.priority, PRIORITIES, "TicketPriority")})`);
  if (tagIds.length) where.push(sql`m."ticketTagIds" @> ${tagIds}::uuid[]`);
  if (f.assigneeIds?.length) {
    const ids = f.assigneeIds.filter((id): id is string => id !== null);
    const none = f.assigneeIds.includes(null);
    const parts = [
      ...(ids.length ? [sql`m."ticketAssigneeId" = ANY(${ids}::uuid[])`] : []),
      ...(none ? [sql`m."ticketAssigneeId" IS NULL`] : []),
    ];
    where.push(sql`(${join(parts, " OR ")})`);
  }
  // Custom values are not copied onto messages: looked up by the message's ticket (unique on field and ticket).
  where.push(...customFieldConditions(sql`m."ticketId"`, f.customFields));
  return where;
}

const COMPARE: Record<Exclude<CustomFieldFilter["op"], "EQ">, Prisma.Sql> = {
  GT: Prisma.raw(">"),
  GTE: Prisma.raw(">="),
  LT: Prisma.raw("<"),
  LTE: Prisma.raw("<="),
};

/** Each custom-field filter as an EXISTS on the ticket's value, along the (fieldId, ticketId) unique index. */
function customFieldConditions(ticketId: Prisma.Sql, filters: CustomFieldFilter[] | undefined): Prisma.Sql[] {
  return (filters ?? []).map(
    (c) =>
      sql`EXISTS (SELECT 1 FROM "CustomFieldValue" cv WHERE cv."fieldId" = ${c.fieldId}::uuid AND cv."ticketId" = ${ticketId} AND ${valueHolds(c)})`,
  );
}

function valueHolds(c: CustomFieldFilter): Prisma.Sql {
  const one = c.values[0];
  switch (c.type) {
    case "NUMBER":
      return c.op === "EQ" ? sql`cv."number" = ANY(${c.values}::float8[])` : sql`cv."number" ${COMPARE[c.op]} ${one}::float8`;
    case "DATE":
      return c.op === "EQ" ? sql`cv."date" = ANY(${c.values}::date[])` : sql`cv."date" ${COMPARE[c.op]} ${one}::date`;
    case "BOOLEAN":
      return sql`cv."boolean" = ${one}::boolean`;
    case "MULTI_SELECT":
      return sql`cv."options" && ${c.values}::text[]`;
    case "SINGLE_SELECT":
      return sql`cv."text" = ANY(${c.values}::text[])`;
    case "TEXT":
      return sql`lower(cv."text") = ANY(${c.values}::text[])`;
  }
}

const STATUSES = new Set(["NEW", "OPEN", "PENDING", "SOLVED", "CLOSED"]);
const PRIORITIES = new Set(["LOW", "NORMAL", "HIGH", "URGENT"]);

function enumLiterals(values: string[], allowed: Set<string>, type: string): Prisma.Sql {
  for (const v of values) if (!allowed.has(v)) throw new Error(`Not a ${type}: ${v}`);
  return Prisma.raw(values.map((v) => `'${v}'::"${type}"`).join(", "));
}

/** The columns are timestamp without time zone holding UTC (Prisma's convention). */
const timestamp = (d: Date) => d.toISOString().replace("Z", "");

/** HTML-escapes a column in SQL, before ts_headline adds the only markup. */
const escapeHtml = (column: Prisma.Sql) =>
  sql`replace(replace(replace(replace(replace(${column}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')`;
