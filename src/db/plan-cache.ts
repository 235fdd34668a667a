// @ts-expect-error: the query compiler's JS glue ships without type declarations.
import { QueryCompiler } from "@prisma/client/runtime/query_compiler_bg.postgresql.mjs";

/** Reads only: their plans depend on nothing but the request (writes may carry generated values). */
const READ_ACTIONS = new Set(["findMany", "findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow", "aggregate", "groupBy"]);

/** The request's action: the client serialises { modelName, action, query } in that order. */
const ACTION = /"action":"(\w+)"/;

const plans = new Map<string, unknown>();
let installed = false;
let capacity = 0;
const counters = { compiled: 0, reused: 0 };

/** Plans compiled and plans reused since the process started (tests and benchmarks read them). */
export function planCacheCounters(): Readonly<typeof counters> {
  return { ...counters };
}

/**
 * Keeps the query plans Prisma compiles for read requests, keyed by the
 * request itself, and hands the same plan back when the very same request
 * comes again. Prisma 6's client compiles every request anew (WebAssembly,
 * the largest single cost of a list page); a desk that many agents of a
 * tenant refresh sends the same few reads over and over.
 *
 * The key is the whole serialised request, values included, so a cached plan
 * is exactly the plan a compilation would return: nothing is parameterised or
 * guessed. A plan holds no data (rows are read when it runs), only SQL and
 * how to shape the result; plans are frozen so that running one cannot change
 * it for the next caller. Writes are always compiled: their plans may carry
 * values generated at compilation.
 *
 * The cache belongs to the process (the compiler is shared); `entries` 0
 * turns it off (QUERY_PLAN_CACHE_ENTRIES).
 */
/** Keeps up to `entries` plans, the least recently used going first. */
export function configurePlanCache(entries: number): void {
  capacity = entries;
  while (plans.size > capacity) plans.delete(plans.keys().next().value!);
  if (installed || capacity === 0) return;
  installed = true;
  const compile: (this: unknown, request: string) => unknown = QueryCompiler.prototype.compile;
  QueryCompiler.prototype.compile = function cachedCompile(this: unknown, request: string): unknown {
    const action = ACTION.exec(request)?.[1];
    if (capacity === 0 || !action || !READ_ACTIONS.has(action)) {
      counters.compiled++;
      return compile.call(this, request);
    }
    const known = plans.get(request);
    if (known !== undefined) {
      // Most recently used last: re-inserting moves it to the end of the Map's order.
      plans.delete(request);
      plans.set(request, known);
      counters.reused++;
      return known;
    }
    const plan = deepFreeze(compile.call(this, request));
    counters.compiled++;
    plans.set(request, plan);
    if (plans.size > capacity) plans.delete(plans.keys().next().value!);
    return plan;
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
