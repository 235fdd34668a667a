import { Prisma } from "../generated/prisma/client.js";

type AnyArgs = Record<string, any>;

/** What a scope does to a call: the arguments the call is made with instead (or it throws). */
export type Scope = (model: string, operation: string, args: AnyArgs) => AnyArgs;

/** Each model's delegate, as the client names it (`ticket` for Ticket): every model the client has. */
const DELEGATES = new Map(Object.values(Prisma.ModelName).map((name) => [name[0]!.toLowerCase() + name.slice(1), name]));

/**
 * A client whose every model call goes through `scope` first: the client and
 * its delegates are wrapped, and a transaction opened on it hands its callback
 * the same wrapping around the transaction's client. `extras` are properties
 * the wrapped client adds (`$blobs`). Everything else (raw SQL, `$on`…) is the
 * inner client's. Scopes stack: wrapping a wrapped client applies both.
 *
 * Not a Prisma client extension on purpose: once a client has any extension,
 * Prisma 6 walks every row and relation of every result looking for computed
 * fields to add (there are none here) and deep-copies every call's arguments,
 * a twentieth of the CPU of a page of tickets (docs/benchmarks.md).
 */
export function scopedClient<C extends object>(inner: C, scope: Scope, extras: Record<string, unknown> = {}): C {
  const delegates = new Map<string, object>();
  const own = new Map<string | symbol, unknown>(Object.entries(extras));
  return new Proxy(inner, {
    has: (target, prop) => own.has(prop) || Reflect.has(target, prop),
    get(target, prop) {
      if (own.has(prop)) return own.get(prop);
      const value = Reflect.get(target, prop, target);
      if (typeof prop !== "string") return value;
      const model = DELEGATES.get(prop);
      if (model && value) {
        let delegate = delegates.get(prop);
        if (!delegate) delegates.set(prop, (delegate = scopedDelegate(value as AnyArgs, model, scope)));
        return delegate;
      }
      // A transaction's own client has no $transaction (inTransaction tells them apart by it).
      if (prop === "$transaction" && typeof value === "function") {
        const transaction = (work: unknown, options?: unknown) =>
          typeof work === "function"
            ? value.call(target, (tx: object) => work(scopedClient(tx, scope, extras)), options)
            : value.call(target, work, options);
        own.set(prop, transaction);
        return transaction;
      }
      return value;
    },
  });
}

function scopedDelegate(inner: AnyArgs, model: string, scope: Scope): object {
  const operations = new Map<string | symbol, unknown>();
  return new Proxy(inner, {
    get(target, operation) {
      const value = Reflect.get(target, operation, target);
      if (typeof operation !== "string" || typeof value !== "function") return value;
      let call = operations.get(operation);
      if (!call) {
        call = (args: AnyArgs | undefined, ...rest: unknown[]) => {
          let scoped: AnyArgs;
          try {
            scoped = scope(model, operation, args ?? {});
          } catch (err) {
            // A model call answers with a promise, refusals included.
            return Promise.reject(err);
          }
          return value.call(target, scoped, ...rest);
        };
        operations.set(operation, call);
      }
      return call;
    },
  });
}
