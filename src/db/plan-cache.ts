// @ts-expect-error: the query compiler's JS glue ships without type declarations.
import { QueryCompiler } from "@prisma/client/runtime/query_compiler_bg.postgresql.mjs";
import { rewritten } from "./plan-rewrite.js";
import { fillPlaceholders, numberType, typedAsValues, type WriteRequest, withPlaceholders } from "./write-shape.js";

/** Reads: kept by the whole request, its ids aside (withStandIns). */
const READ_ACTIONS = new Set(["findMany", "findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow", "aggregate", "groupBy"]);

/** Writes through the query builder: kept by their shape, their values put in each time (writePlan). */
const WRITE_ACTIONS = new Set([
  "createOne",
  "createMany",
  "createManyAndReturn",
  "updateOne",
  "updateMany",
  "updateManyAndReturn",
  "upsertOne",
  "deleteOne",
  "deleteMany",
]);

/** Raw SQL ($queryRaw, $executeRaw): their plans are the SQL and the values as they were sent. */
const RAW_ACTIONS = new Set(["queryRaw", "executeRaw"]);

/** The request's action: the client serialises { modelName, action, query } in that order. */
const ACTION = /"action":"(\w+)"/;

/** A raw statement or a write whose plan turned out not to take its values as they are: compiled every time. */
const NOT_REUSABLE = Symbol("not reusable");

/** A write's shape that came once: compiled for keeping when it comes again. */
const SEEN_ONCE = Symbol("seen once");

const plans = new Map<string, unknown>();
let installed = false;
let capacity = 0;
const counters = { compiled: 0, reused: 0, uncached: 0 };

/**
 * Since the process started: plans compiled and kept, plans served from the cache, and requests
 * compiled every time (raw statements and writes whose plan cannot be kept, and everything else the cache does not keep).
 */
export function planCacheCounters(): Readonly<typeof counters> {
  return { ...counters };
}

/** What the cache holds, keys and plans, serialised: tests look in it for values that must not stay there. */
export function planCacheContents(): string {
  return JSON.stringify([...plans].map(([key, plan]) => [key, typeof plan === "symbol" ? null : plan]));
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
 * builder (an update, a message, event rows) are kept by their shape, with
 * placeholders for their values (writePlan below); raw statements
 * ($queryRaw, $executeRaw: the hottest writes) by their SQL and the types of
 * their values (rawPlan below).
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
    if (capacity > 0 && action && WRITE_ACTIONS.has(action)) return writePlan(request, (r) => compile.call(this, r));
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
  return throughCache(
    key,
    () => compile(request),
    // Kept without the values: they may be personal data, and each use brings its own.
    (plan) => (isSqlAndValues(plan, values) ? deepFreeze({ ...plan, args: { ...plan.args, args: [] } }) : NOT_REUSABLE),
    (known: RawPlan) => ({ ...known, args: { ...known.args, args: values } }),
  );
}

/**
 * A write's plan is compiled from its shape: the request with a placeholder for each of its
 * values (src/db/write-shape.ts), which the compiler leaves in the plan where the value goes;
 * each use gets a copy with its own values put in. What the compiler generates (new ids, `now()`
 * for `@updatedAt`) is in a plan as a call made when it runs, never as a value. Kept only once
 * its compilation showed that the plan of the shape, filled with the request's values, is the
 * very plan of the request: a statement whose values the compiler rewrites (a pattern made of a
 * text) or that changes with them does not pass and is compiled every time. The cache holds no
 * value of a write, only its shape; booleans, nulls and enums are part of it.
 */
function writePlan(request: string, compile: (request: string) => unknown): unknown {
  const { shape, values, types } = withPlaceholders(JSON.parse(request) as WriteRequest);
  const key = `${types}\u0000${shape}`;
  // Kept from the second time a shape comes: a write whose shape is its own (an insert of so many
  // rows) costs one compilation, as before, not two.
  if (!plans.has(key)) {
    remember(key, SEEN_ONCE);
    counters.uncached++;
    return compile(request);
  }
  return throughCache(
    key,
    () => compile(request),
    (plan) => reusableShape(shape, values, types, plan, compile),
    (known) => fillPlaceholders(known, values),
  );
}

/**
 * The plan kept under `key`, made ready for this request by `use`; the first time, the request's
 * own compiled plan, with what `keep` makes of it kept (or NOT_REUSABLE: compiled every time).
 */
function throughCache<T>(key: string, compile: () => unknown, keep: (plan: unknown) => unknown, use: (known: T) => unknown): unknown {
  const known = plans.get(key);
  if (known === undefined || known === SEEN_ONCE) {
    const plan = compile();
    counters.compiled++;
    remember(key, keep(plan));
    return plan;
  }
  if (known === NOT_REUSABLE) {
    counters.uncached++;
    return compile();
  }
  remember(key, known);
  counters.reused++;
  return use(known as T);
}

/** The shape's plan, frozen, if filling it with these values gives `plan`; otherwise not reusable. */
function reusableShape(shape: string, values: unknown[], types: string, plan: unknown, compile: (request: string) => unknown): unknown {
  try {
    const general = typedAsValues(compile(shape), types.split(","));
    return JSON.stringify(fillPlaceholders(general, values)) === JSON.stringify(plan) ? deepFreeze(general) : NOT_REUSABLE;
  } catch {
    // The compiler does not take a placeholder somewhere in this shape.
    return NOT_REUSABLE;
  }
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
      return numberType(value as number);
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

/** A copy of the plan with each stand-in replaced by its UUID. */
function withIds(plan: unknown, ids: string[]): unknown {
  return rewritten(plan, (part) =>
    typeof part === "string" && part.includes(STAND_IN_PREFIX) ? part.replace(STAND_IN, (_, n: string) => ids[Number(n)]!) : undefined,
  );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
