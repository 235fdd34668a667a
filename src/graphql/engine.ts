import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";
import { PersonalDataReads } from "../privacy/reads.js";

/**
 * Subscriptions run on graphql-js's own `createSourceEventStream` and
 * `execute` rather than the executor yoga brings (@graphql-tools/executor).
 * That one runs every event of every subscription through an async generator
 * and a flattening iterator, made for incremental delivery (@defer, @stream),
 * which this API does not offer; that path alone was a fifth of the server's
 * work per event with a thousand subscribers (`npm run bench:realtime`,
 * server ms/event, in docs/benchmarks.md). Same schema, resolvers and plugin
 * hooks. Alike subscriptions share each event's execution (sharedDelivery).
 */
export function graphqlJsSubscriptions(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}

/** graphql-js's `subscribe`, with each event's execution shared between alike subscriptions. */
export async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const alike = alikeKey(args);
  return mapEvents(source, (payload) =>
    alike === undefined ? execute({ ...args, rootValue: payload }) : sharedDelivery(args, payload, alike),
  );
}

interface Delivery {
  result: ExecutionResult | Promise<ExecutionResult>;
  /** The personal data the execution read. */
  reads: PersonalDataReads;
}

/** This turn of the event loop's executions: per event, per alike key. */
let turn: Map<unknown, Map<string, Delivery>> | undefined;

/** Numbers objects (viewers, documents) by identity, for keys. */
const numbers = new WeakMap<object, number>();
let lastNumber = 0;
const numberOf = (o: object) => {
  let n = numbers.get(o);
  if (n === undefined) numbers.set(o, (n = ++lastNumber));
  return n;
};

/**
 * Subscriptions are alike when the same credential (the very viewer the
 * credential cache hands out, which a revocation or a change of role
 * replaces) sent the same document (yoga parses a text once), operation and
 * variables: their executions of an event are the same. Without a viewer,
 * nothing is shared.
 */
function alikeKey(args: ExecutionArgs): string | undefined {
  const viewer = (args.contextValue as Context | undefined)?.viewer;
  if (!viewer) return undefined;
  return `${numberOf(viewer)}:${numberOf(args.document)}:${args.operationName ?? ""}:${JSON.stringify(args.variableValues ?? {})}`;
}

/**
 * One execution of an event for every alike subscription that delivers it in
 * the same turn of the event loop: one notice wakes every stream of a
 * tenant, and they share the page of events, so a thousand subscribers of one
 * partner deliver an event in one turn. A stream that delivers it later (it
 * stopped to check its credential) executes anew, and sees the rows as they
 * are then. Every subscription still notes, as its own, the personal data
 * the execution read: its access record (src/audit/subscription-reads.ts)
 * lists them as if it had executed it.
 */
function sharedDelivery(args: ExecutionArgs, payload: unknown, alike: string): ExecutionResult | Promise<ExecutionResult> {
  const ctx = args.contextValue as Context;
  if (!turn) {
    turn = new Map();
    setImmediate(() => (turn = undefined));
  }
  let executions = turn.get(payload);
  if (!executions) turn.set(payload, (executions = new Map()));
  const known = executions.get(alike);
  if (known) {
    const { result, reads } = known;
    if (!(result instanceof Promise)) {
      ctx.privacy.add(reads);
      return result;
    }
    return result.then((r) => {
      ctx.privacy.add(reads);
      return r;
    });
  }
  // One subscription's events execute one after another: no other execution of this context is under way.
  const reads = new PersonalDataReads();
  ctx.privacy.also = reads;
  const stop = () => {
    ctx.privacy.also = undefined;
  };
  let result: ExecutionResult | Promise<ExecutionResult>;
  try {
    result = execute({ ...args, rootValue: payload }) as ExecutionResult | Promise<ExecutionResult>;
  } catch (err) {
    stop();
    throw err;
  }
  if (result instanceof Promise) result = result.finally(stop);
  else stop();
  executions.set(alike, { result, reads });
  return result;
}

/**
 * The source's events mapped one by one, as graphql-js maps them (its own mapping is internal to
 * it). Not an async generator: a generator waiting for the source's next event would see a
 * `return()` (the subscriber left) only when that event came; this passes it on at once.
 */
function mapEvents<T>(source: AsyncIterable<unknown>, map: (payload: unknown) => T | Promise<T>): AsyncIterableIterator<T> {
  const events = source[Symbol.asyncIterator]();
  const close = async () => {
    await events.return?.().catch(() => {});
  };
  const mapped = async (step: IteratorResult<unknown>): Promise<IteratorResult<T>> => {
    if (step.done) return step;
    try {
      return { value: await map(step.value), done: false };
    } catch (err) {
      await close();
      throw err;
    }
  };
  return {
    next: async () => mapped(await events.next()),
    return: async () => (events.return ? mapped(await events.return()) : { value: undefined, done: true }),
    throw: async (err?: unknown) => {
      if (events.throw) return mapped(await events.throw(err));
      await close();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
