import { subscribe } from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * Subscriptions run on graphql-js's own `subscribe` rather than the executor
 * yoga brings (@graphql-tools/executor). That one runs every event of every
 * subscription through an async generator and a flattening iterator, made for
 * incremental delivery (@defer, @stream), which this API does not offer; with
 * a thousand subscribers an event is executed a thousand times, and that path
 * alone was a fifth of the server's work per event (`npm run bench:realtime`,
 * server ms/event, in docs/benchmarks.md). Same schema, resolvers and plugin
 * hooks; only the loop that maps source events to results changes.
 */
export function graphqlJsSubscriptions(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}
