import { createRequire } from "node:module";
import type { errors as Errors } from "@elastic/elasticsearch";
import type { ConnectionClass } from "../client.js";

// The mock is CommonJS and checks `instanceof` against the client's CommonJS
// build: its error classes must come from there too, not from the ESM build.
const require = createRequire(import.meta.url);
const { errors } = require("@elastic/elasticsearch") as { errors: typeof Errors };
const Mock = require("@elastic/elasticsearch-mock") as new () => {
  add(pattern: { method: string | string[]; path: string | string[] }, resolver: (params: unknown) => unknown): unknown;
  getConnection(): ConnectionClass;
};

/**
 * A small in-memory Elasticsearch behind @elastic/elasticsearch-mock, for
 * tests: the official client sends real requests (paths, query strings,
 * ndjson bodies) through the mock's Connection, and this answers them as the
 * documented APIs do for what the plugin uses: create/delete index, aliases,
 * mapping updates, bulk with external versions (and strict mappings), refresh,
 * search and delete-by-query. Queries are evaluated for the subset the plugin
 * sends (bool, term, terms, exists, range, match_all, multi_match,
 * match_phrase), matching text as case-insensitive words without analysis:
 * enough to see what an index holds and what a filter keeps out. Analysis, stemming and typos are for the live suite.
 */

interface RecordedRequest {
  method: string;
  path: string;
  querystring: Record<string, string>;
  body: any;
}

interface Doc {
  source: Record<string, any> | null;
  version: number;
  routing?: string;
}

type Query = Record<string, any>;

const words = (s: unknown) =>
  String(s ?? "")
    .toLowerCase()
    .match(/[\p{L}\p{N}@._+-]+/gu) ?? [];
const fieldName = (f: string) => f.replace(/\^.*$/, "");

function matches(q: Query, src: Record<string, any>): boolean {
  const [type, arg] = Object.entries(q)[0] as [string, any];
  const values = (field: string) => [src[field]].flat().filter((v) => v !== null && v !== undefined);
  switch (type) {
    case "match_all":
      return true;
    case "bool": {
      const all = (xs: Query[] | Query | undefined) => [xs ?? []].flat() as Query[];
      if (!all(arg.must).every((x) => matches(x, src))) return false;
      if (!all(arg.filter).every((x) => matches(x, src))) return false;
      if (all(arg.must_not).some((x) => matches(x, src))) return false;
      const should = all(arg.should);
      const min = arg.minimum_should_match ?? (all(arg.must).length || all(arg.filter).length ? 0 : 1);
      return should.filter((x) => matches(x, src)).length >= Math.min(min, should.length || min);
    }
    case "term": {
      const [field, value] = Object.entries(arg)[0] as [string, any];
      const v = typeof value === "object" && value !== null ? value.value : value;
      return values(field).some((x) => x === v);
    }
    case "terms": {
      const [field, list] = Object.entries(arg)[0] as [string, any[]];
      return values(field).some((x) => list.includes(x));
    }
    case "exists":
      return values(arg.field).length > 0;
    case "range": {
      const [field, r] = Object.entries(arg)[0] as [string, any];
      return values(field).some((x) => (r.gte === undefined || x >= r.gte) && (r.lt === undefined || x < r.lt));
    }
    case "multi_match":
    case "match_phrase": {
      const fields: string[] = type === "multi_match" ? arg.fields.map(fieldName) : Object.keys(arg);
      const text: string = type === "multi_match" ? arg.query : Object.values(arg)[0];
      const wanted = words(text);
      const phrase = type === "match_phrase" || arg.type === "phrase";
      return fields.some((f) => {
        const have = values(f).flatMap(words);
        if (phrase) return have.join(" ").includes(wanted.join(" "));
        return wanted.every((w) => have.includes(w));
      });
    }
    case "more_like_this":
      return mltScore(arg, src) > 0;
    default:
      throw new Error(`es-mock-cluster: query type ${type} not supported`);
  }
}

/**
 * more_like_this, after `likedWords` put the liked documents' words in the
 * query: the number of those words a document's fields share (no analysis, no
 * rarity: enough to see which tickets are alike and that the filters hold).
 */
function mltScore(arg: any, src: Record<string, any>): number {
  const have = new Set<string>(arg.fields.flatMap((f: string) => [src[f]].flat().flatMap(words)));
  return (arg.likedWords as string[]).filter((w) => have.has(w)).length;
}

/** The query with each more_like_this's liked documents (`like: [{ _id }]`) read into `likedWords`. */
function likedWords(q: any, get: (id: string) => Record<string, any> | null): any {
  if (Array.isArray(q)) return q.map((x) => likedWords(x, get));
  if (!q || typeof q !== "object") return q;
  if (q.more_like_this) {
    const arg = q.more_like_this;
    const liked = new Set<string>();
    for (const item of arg.like) for (const f of arg.fields) for (const w of [get(item._id)?.[f]].flat().flatMap(words)) liked.add(w);
    return { more_like_this: { ...arg, likedWords: [...liked].filter((w) => w.length > 3) } };
  }
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, likedWords(v, get)]));
}

/** The more_like_this inside a query, if any, for scores. */
function mltOf(q: any): any {
  if (!q || typeof q !== "object") return null;
  if (q.more_like_this) return q.more_like_this;
  for (const v of Object.values(q)) {
    const found = mltOf(v);
    if (found) return found;
  }
  return null;
}

export function startMockCluster() {
  const mock = new Mock();
  const indices = new Map<string, { settings: any; mappings: any; docs: Map<string, Doc> }>();
  const aliases = new Map<string, Set<string>>();
  const requests: RecordedRequest[] = [];
  let down: null | "unreachable" | 503 = null;
  let downFor: (path: string) => boolean = () => true;

  const resolve = (name: string): string[] =>
    name.split(",").flatMap((n) => (aliases.has(n) ? [...aliases.get(n)!] : indices.has(n) ? [n] : []));
  const notFound = (index: string) =>
    new errors.ResponseError({
      body: { error: { type: "index_not_found_exception", reason: `no such index [${index}]` }, status: 404 },
      statusCode: 404,
      headers: {},
      warnings: null,
      meta: {} as any,
    } as any);

  function handle(p: { method: string; path: string; querystring: Record<string, string>; body: any }): any {
    const parts = p.path.split("/").filter(Boolean).map(decodeURIComponent);
    const [first, second] = parts;
    if (p.method === "PUT" && parts.length === 1) {
      if (indices.has(first!))
        return new errors.ResponseError({
          body: { error: { type: "resource_already_exists_exception" }, status: 400 },
          statusCode: 400,
        } as any);
      indices.set(first!, { settings: p.body?.settings, mappings: p.body?.mappings, docs: new Map() });
      return { acknowledged: true, shards_acknowledged: true, index: first };
    }
    if (p.method === "DELETE" && parts.length === 1) {
      const names = first!.split(",");
      for (const n of names) {
        indices.delete(n);
        for (const set of aliases.values()) set.delete(n);
      }
      return { acknowledged: true };
    }
    if (p.method === "GET" && first === "_alias") {
      const set = aliases.get(second!);
      if (!set?.size)
        return new errors.ResponseError({ body: { error: `alias [${second}] missing`, status: 404 }, statusCode: 404 } as any);
      return Object.fromEntries([...set].map((i) => [i, { aliases: { [second!]: {} } }]));
    }
    if (p.method === "POST" && first === "_aliases") {
      for (const action of p.body.actions) {
        const [kind, a] = Object.entries(action)[0] as [string, any];
        const set = aliases.get(a.alias) ?? new Set<string>();
        if (kind === "add") set.add(a.index);
        else set.delete(a.index);
        aliases.set(a.alias, set);
      }
      return { acknowledged: true };
    }
    if (second === "_refresh") return { _shards: { total: 1, successful: 1, failed: 0 } };
    if (p.method === "PUT" && second === "_mapping") {
      const names = resolve(first!);
      if (!names.length) return notFound(first!);
      for (const n of names) {
        const index = indices.get(n)!;
        index.mappings = { ...index.mappings, properties: { ...index.mappings?.properties, ...p.body?.properties } };
      }
      return { acknowledged: true };
    }
    if (first === "_bulk") {
      const lines: any[] = p.body;
      const items: any[] = [];
      for (let i = 0; i < lines.length; i++) {
        const [action, meta] = Object.entries(lines[i])[0] as [string, any];
        const source = action === "delete" ? null : lines[++i];
        const target = resolve(meta._index);
        const index = target.length === 1 ? indices.get(target[0]!) : undefined;
        const result = { _index: target[0] ?? meta._index, _id: meta._id };
        if (!index) {
          items.push({ [action]: { ...result, status: 404, error: { type: "index_not_found_exception" } } });
          continue;
        }
        if (index.mappings?._routing?.required && !meta.routing) {
          items.push({ [action]: { ...result, status: 400, error: { type: "routing_missing_exception" } } });
          continue;
        }
        // dynamic: strict refuses a document with a field the mapping does not have.
        const unknown =
          source && index.mappings?.dynamic === "strict"
            ? Object.keys(source).filter((k) => !(k in (index.mappings.properties ?? {})))
            : [];
        if (unknown.length) {
          items.push({
            [action]: { ...result, status: 400, error: { type: "strict_dynamic_mapping_exception", reason: `unknown ${unknown}` } },
          });
          continue;
        }
        const existing = index.docs.get(meta._id);
        if (meta.version_type === "external" && existing && existing.version >= meta.version) {
          items.push({ [action]: { ...result, status: 409, error: { type: "version_conflict_engine_exception" } } });
          continue;
        }
        if (action === "delete") {
          const found = !!existing?.source;
          index.docs.set(meta._id, { source: null, version: meta.version ?? 1, routing: meta.routing });
          items.push({ delete: { ...result, status: found ? 200 : 404, result: found ? "deleted" : "not_found" } });
        } else {
          index.docs.set(meta._id, { source, version: meta.version ?? (existing?.version ?? 0) + 1, routing: meta.routing });
          items.push({ [action]: { ...result, status: existing?.source ? 200 : 201, result: existing?.source ? "updated" : "created" } });
        }
      }
      return { took: 1, errors: items.some((it) => Object.values(it as object)[0].status >= 300), items };
    }
    if (second === "_search" || second === "_delete_by_query") {
      const names = resolve(first!);
      if (!names.length && p.querystring.ignore_unavailable !== "true") return notFound(first!);
      let hits: { index: string; id: string; doc: Doc; score: number }[] = [];
      const get = (id: string) => names.map((n) => indices.get(n)!.docs.get(id)?.source).find(Boolean) ?? null;
      const query = likedWords(p.body?.query ?? { match_all: {} }, get);
      const mlt = mltOf(query);
      for (const n of names) {
        for (const [id, doc] of indices.get(n)!.docs) {
          if (doc.source && matches(query, doc.source)) hits.push({ index: n, id, doc, score: mlt ? mltScore(mlt, doc.source) : 1 });
        }
      }
      if (mlt) hits.sort((a, b) => b.score - a.score);
      const collapse = p.body?.collapse?.field;
      if (collapse) {
        const seen = new Set();
        hits = hits.filter((h) => !seen.has(h.doc.source![collapse]) && seen.add(h.doc.source![collapse]));
      }
      if (second === "_delete_by_query") {
        for (const h of hits) indices.get(h.index)!.docs.set(h.id, { ...h.doc, source: null });
        return { took: 1, deleted: hits.length, total: hits.length, failures: [] };
      }
      const from = p.body?.from ?? 0;
      const size = p.body?.size ?? 10;
      return {
        took: 1,
        timed_out: false,
        hits: {
          total: { value: hits.length, relation: "eq" },
          max_score: 1,
          hits: hits.slice(from, from + size).map((h) => ({
            _index: h.index,
            _id: h.id,
            _score: h.score,
            _source: Object.fromEntries((p.body?._source ?? ["kind", "id"]).map((f: string) => [f, h.doc.source![f]])),
            highlight: highlight(p.body, h.doc.source!),
          })),
        },
      };
    }
    return new errors.ResponseError({
      body: { error: `es-mock-cluster: ${p.method} ${p.path} not supported`, status: 400 },
      statusCode: 400,
    } as any);
  }

  /** `<mark>` around query words found in highlight fields. */
  function highlight(body: any, src: Record<string, any>): Record<string, string[]> | undefined {
    const wanted = new Set(
      JSON.stringify(body?.query ?? {})
        .match(/"query":"([^"]*)"/g)
        ?.flatMap((m) => words(m.slice(9, -1))) ?? [],
    );
    const out: Record<string, string[]> = {};
    for (const f of Object.keys(body?.highlight?.fields ?? {})) {
      if (typeof src[f] !== "string") continue;
      const escaped = src[f].replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
      const marked = escaped.replace(/[\p{L}\p{N}@._+-]+/gu, (w: string) => (wanted.has(w.toLowerCase()) ? `<mark>${w}</mark>` : w));
      if (marked !== escaped) out[f] = [marked];
    }
    return Object.keys(out).length ? out : undefined;
  }

  mock.add({ method: ["GET", "POST", "PUT", "DELETE", "HEAD"], path: "*" }, (params: unknown) => {
    const p = params as unknown as RecordedRequest;
    requests.push({ method: p.method, path: p.path, querystring: p.querystring, body: p.body });
    if (down && !downFor(p.path)) return handle(p);
    if (down === "unreachable") return new errors.ConnectionError("connect ECONNREFUSED 127.0.0.1:9200");
    if (down === 503) return new errors.ResponseError({ body: { error: "unavailable", status: 503 }, statusCode: 503 } as any);
    return handle(p);
  });

  return {
    Connection: mock.getConnection(),
    requests,
    indices,
    aliases,
    /** Makes every request (or those whose path `only` picks) fail: connection refused, or 503 from the cluster. */
    setDown(mode: null | "unreachable" | 503, only: (path: string) => boolean = () => true) {
      down = mode;
      downFor = only;
    },
    /** The documents an alias or index holds now (deleted ones left out). */
    docs(name: string): Record<string, any>[] {
      return resolve(name).flatMap((n) => [...indices.get(n)!.docs.values()].filter((d) => d.source).map((d) => d.source!));
    },
    clearRequests() {
      requests.length = 0;
    },
  };
}

export type MockCluster = ReturnType<typeof startMockCluster>;
