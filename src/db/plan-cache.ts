// @ts-expect-error: the query compiler's JS glue ships without type declarations.
import { QueryCompiler } from "@prisma/client/runtime/query_compiler_bg.postgresql.mjs";

/** Reads only: their plans depend on nothing but the request (writes may carry generated values). */
const READ_ACTIONS = new Set(["findMany", "findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow", "aggregate", "groupBy"]);

/** Raw SQL ($queryRaw, $executeRaw): their plans are the SQL and the values as they were sent. */
const RAW_ACTIONS = new Set(["queryRaw", "executeRaw"]);

/** The request's action: the client serialises { modelName, action, query } in that order. */
const ACTION = /"action":"(\w+)"/;

/** A raw statement whose plan turned out not to be its SQL and values alone: compiled every time. */
const NOT_REUSABLE = Symbol("not reusable");

const plans = new Map<string, unknown>();
let installed = false;
let capacity = 0;
const counters = { compiled: 0, reused: 0, uncached: 0 };

/**
 * Since the process started: plans compiled and kept, plans served from the cache, and requests
 * compiled every time (writes through the query builder, raw statements whose plan cannot be kept).
 */
export function planCacheCounters(): Readonly<typeof counters> {
  return { ...counters };
}

/** What the cache holds, keys and plans, serialised: tests look in it for values that must not stay there. */
export function planCacheContents(): string {
  return JSON.stringify([...plans].map(([key, plan]) => [key, plan === NOT_REUSABLE ? null : plan]));
}

/**
 * Keeps the query plans Prisma compiles for read requests and hands a plan
 * back when a request of the same shape comes again. Prisma 6's client
 * compiles every request anew (WebAssembly, the largest single cost of a list
 * page or of a read by id); a desk that many agents of a tenant refresh sends
 * the same few reads over and over, and every mutation reads its result back
 * by the id it wrote.
 *
 * The key is the whole serialised request with every UUID in it replaced by a
 * numbered stand-in (the first distinct one 0, the next 1…). A plan is
 * compiled from that key, with the stand-ins as values, and each use gets a
 * copy with the request's own UUIDs put back where the stand-ins are. UUIDs
 * are ids: values the compiler passes to the database as they are, which
 * never change a plan's shape. Every other value stays in the key, so a plan
 * is never reused for a request that differs in anything else, such as the
 * number of ids in a list. A plan holds no data (rows are read when it runs),
 * only SQL and how to shape the result; cached plans are frozen so that
 * running one cannot change it for the next caller. Writes through the query
 * builder are always compiled: their plans may carry values generated at
 * compilation. Raw statements ($queryRaw, $executeRaw: the hot writes) are
 * kept by their SQL and the types of their values (rawPlan below).
 *
 * The cache belongs to the process (the compiler is shared); `entries` 0
 * turns it off (QUERY_PLAN_CACHE_ENTRIES); otherwise it keeps up to `entries`
 * plans, the least recently used going first.
 */
export function configurePlanCache(entries: number): void {
  capacity = entries;
  while (plans.size > capacity) plans.delete(plans.keys().next().value!);
  if (installed || capacity === 0) return;
  installed = true;
  const compile: (this: unknown, request: string) => unknown = QueryCompiler.prototype.compile;
  QueryCompiler.prototype.compile = function cachedCompile(this: unknown, request: string): unknown {
    const action = ACTION.exec(request)?.[1];
    if (capacity > 0 && action && RAW_ACTIONS.has(action)) return rawPlan(request, (r) => compile.call(this, r));
    if (capacity === 0 || !action || !READ_ACTIONS.has(action)) {
      counters.uncached++;
      return compile.call(this, request);
    }
    const { key, ids } = withStandIns(request);
    const known = plans.get(key);
    if (known !== undefined) {
      remember(key, known);
      counters.reused++;
      return ids.length ? withIds(known, ids) : known;
    }
    const plan = deepFreeze(compile.call(this, key));
    counters.compiled++;
    remember(key, plan);
    return ids.length ? withIds(plan, ids) : plan;
  };
}

/** Most recently used last: (re-)inserting moves a key to the end of the Map's order. */
function remember(key: string, plan: unknown): void {
  plans.delete(key);
  plans.set(key, plan);
  if (plans.size > capacity) plans.delete(plans.keys().next().value!);
}

interface RawRequest {
  query: { arguments: { query: string; parameters: string } };
}
interface RawPlan {
  type: string;
  args: { type: string; sql: string; args: unknown[]; argTypes: unknown[] };
}

/**
 * A raw statement's plan is its SQL, its values and their types, which the compiler infers
 * from the values. The plan of a statement sent before with values of the same types is
 * that plan with this request's values. Kept only once the first compilation showed that
 * the plan holds the values exactly as sent, and nothing else but the SQL and the types.
 */
function rawPlan(request: string, compile: (request: string) => unknown): unknown {
  const { query } = JSON.parse(request) as RawRequest;
  const values = JSON.parse(query.arguments.parameters) as unknown[];
  // Each value's type by its position: the plan has one type per parameter.
  const key = `${ACTION.exec(request)![1]}\u0000${values.map(typesOf).join()}\u0000${query.arguments.query}`;
  const known = plans.get(key) as RawPlan | typeof NOT_REUSABLE | undefined;
  if (known === undefined) {
    const plan = compile(request);
    counters.compiled++;
    // Kept without the values: they may be personal data, and each use brings its own.
    remember(key, isSqlAndValues(plan, values) ? deepFreeze({ ...plan, args: { ...plan.args, args: [] } }) : NOT_REUSABLE);
    return plan;
  }
  if (known === NOT_REUSABLE) {
    counters.uncached++;
    return compile(request);
  }
  remember(key, known);
  counters.reused++;
  return { ...known, args: { ...known.args, args: values } };
}

/** The types the compiler tells values apart by: strings, integers, other numbers, booleans, nulls, tagged values, and lists of them (by the types in them). */
function typesOf(value: unknown): string {
  if (value === null) return "n";
  if (Array.isArray(value)) return `[${[...new Set(value.map(typesOf))].join(",")}]`;
  switch (typeof value) {
    case "string":
      return "s";
    case "boolean":
      return "b";
    case "number":
      // An integer's type may depend on its size: 32-bit ones apart from larger ones.
      return Number.isInteger(value) ? (((value as number) | 0) === value ? "i" : "I") : "f";
    default:
      // Tagged values ({ prisma__type: "date", … }) and anything else: by their whole shape but the value.
      return `{${JSON.stringify(Object.keys(value as object).sort())}:${String((value as { prisma__type?: unknown }).prisma__type)}}`;
  }
}

function isSqlAndValues(plan: unknown, values: unknown[]): plan is RawPlan {
  const p = plan as RawPlan;
  return (
    Object.keys(p).join() === "type,args" &&
    p.args?.type === "rawSql" &&
    Object.keys(p.args).sort().join() === "argTypes,args,sql,type" &&
    JSON.stringify(p.args.args) === JSON.stringify(values)
  );
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const STAND_IN_PREFIX = "00000000-0000-0000-0000-";
const STAND_IN = /00000000-0000-0000-0000-(\d{12})/g;
const standIn = (n: number) => `${STAND_IN_PREFIX}${String(n).padStart(12, "0")}`;

/** The request with its UUIDs numbered in order of first appearance (the same UUID, the same number), and the UUIDs. */
function withStandIns(request: string): { key: string; ids: string[] } {
  const ids: string[] = [];
  const numbers = new Map<string, number>();
  const key = request.replace(UUID, (id) => {
    let n = numbers.get(id);
    if (n === undefined) {
      n = ids.length;
      numbers.set(id, n);
      ids.push(id);
    }
    return standIn(n);
  });
  return { key, ids };
}

/** A copy of the plan with each stand-in replaced by its UUID; parts without one are shared, frozen as they are. */
function withIds(value: unknown, ids: string[]): unknown {
  if (typeof value === "string")
    return value.includes(STAND_IN_PREFIX) ? value.replace(STAND_IN, (_, n: string) => ids[Number(n)]!) : value;
  if (!value || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const filled = withIds(item, ids);
      if (filled !== item) (copy ??= [...value])[i] = filled;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [k, item] of Object.entries(value)) {
    const filled = withIds(item, ids);
    if (filled !== item) (copy ??= { ...value })[k] = filled;
  }
  return copy ?? value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
