import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";
import { fragmentsOf, readEntries, rootFields, writeEntries } from "./audit-envelop.js";

export interface SubscriptionReads {
  plugin: Plugin<Context>;
  /** Resolves once the records of ended subscriptions are written (shutdown waits for it). */
  settle(): Promise<void>;
}

/**
 * A subscription reads personal data with the events it delivers (a ticket's
 * subject, its requester's name), each time under the subscriber's
 * credential. Those reads are recorded as a query's are (`personalData.read`,
 * the subscriber as actor, every subject and category), but one record covers
 * a subscription's deliveries over up to `windowMs`: the first delivery that
 * reads someone's data starts the window, and the record is written when it
 * closes, or when the subscription ends first. A thousand subscribers then
 * write a thousand small rows per window rather than per event, and an event
 * is never held back for a write. details.from / details.to bound the
 * deliveries it covers, details.deliveries counts them. What a subscription
 * read in its last window is lost only if the process dies without shutting
 * down (shutdown writes it).
 */
export function subscriptionReads(windowMs: number): SubscriptionReads {
  const writing = new Set<Promise<void>>();

  const record = (ctx: Context, fieldNames: string[], from: Date, to: Date, deliveries: number) => {
    const more = { subscription: true, from: from.toISOString(), to: to.toISOString(), deliveries };
    const entries = readEntries(ctx, fieldNames, more);
    ctx.privacy.bySubject.clear();
    const write = writeEntries(ctx, () => entries);
    writing.add(write);
    void write.finally(() => writing.delete(write));
  };

  const plugin: Plugin<Context> = {
    onSubscribe({ args }) {
      const ctx = args.contextValue as Context;
      const operation = getOperationAST(args.document, args.operationName);
      if (!ctx.viewer || !operation) return;
      // A subscription has one root field, without @skip or @include (GraphQL's own validation).
      const fieldNames = [
        ...new Set([...rootFields(operation.selectionSet, fragmentsOf(args.document), {}).values()].map((f) => f.name.value)),
      ];
      let window: { from: Date; timer: NodeJS.Timeout } | undefined;
      let deliveries = 0;
      let lastAt = new Date();
      const close = () => {
        if (!window) return;
        clearTimeout(window.timer);
        record(ctx, fieldNames, window.from, lastAt, deliveries);
        window = undefined;
      };
      return {
        onSubscribeResult() {
          return {
            onNext() {
              lastAt = new Date();
              if (window) deliveries++;
              else if (ctx.privacy.bySubject.size > 0) {
                deliveries = 1;
                window = { from: lastAt, timer: setTimeout(close, windowMs) };
                window.timer.unref();
              }
            },
            onEnd: close,
          };
        },
      };
    },
  };

  return {
    plugin,
    async settle() {
      while (writing.size) await Promise.all(writing);
    },
  };
}
