import { buildSchema, parse, type ExecutionResult, type GraphQLObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import type { Context } from "../src/context.js";
import { subscribe } from "../src/graphql/engine.js";
import { PersonalDataReads } from "../src/privacy/reads.js";

/**
 * Alike subscriptions share each event's execution within a turn of the event
 * loop (src/graphql/engine.ts), on a small schema of its own: a `tick`
 * subscription whose events every subscriber receives as the same object, as
 * the event feed hands them out, and a field that counts its executions and
 * reads someone's personal data.
 */

function fixture(nameResolver: (ctx: Context) => string | Promise<string> = () => "Rita") {
  const schema = buildSchema(`type Query { x: Int } type Subscription { tick(topic: String): Tick } type Tick { n: Int name: String }`);
  let executions = 0;
  const tick = (schema.getType("Tick") as GraphQLObjectType).getFields();
  tick.name!.resolve = (_t, _a, ctx: Context) => {
    executions++;
    ctx.privacy.noteRead({ type: "Contact", id: "c1" }, "user.name");
    return nameResolver(ctx);
  };
  // Every subscription's source: a queue the test pushes events into; `returned` counts the sources closed.
  const queues: { push(e: unknown): void }[] = [];
  let returned = 0;
  const source = () => {
    const waiting: ((r: IteratorResult<unknown>) => void)[] = [];
    const ready: unknown[] = [];
    queues.push({ push: (e) => (waiting.length ? waiting.shift()!({ value: e, done: false }) : ready.push(e)) });
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: () => (ready.length ? Promise.resolve({ value: ready.shift(), done: false }) : new Promise((r) => waiting.push(r))),
      return: async () => {
        returned++;
        for (const w of waiting.splice(0)) w({ value: undefined, done: true });
        return { value: undefined, done: true };
      },
    };
  };
  const document = parse(`subscription($topic: String) { tick(topic: $topic) { n name } }`);
  const open = async (viewer: object | null, variableValues: Record<string, unknown> = {}) => {
    const ctx = { viewer, privacy: new PersonalDataReads() } as unknown as Context;
    const stream = (await subscribe({
      schema,
      document,
      variableValues,
      contextValue: ctx,
      rootValue: { tick: source },
    })) as AsyncIterableIterator<ExecutionResult>;
    return { ctx, stream };
  };
  return {
    open,
    /** One event, the same object for every subscription. */
    emit: (n: number) => {
      const event = { tick: { n } };
      for (const q of queues) q.push(event);
    },
    executions: () => executions,
    returned: () => returned,
  };
}

const viewer = () => Object.freeze({ kind: "apiKey", tenantId: "t1", apiKeyId: "k1", permissions: new Set() });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("alike subscriptions", () => {
  it("execute an event once, and each notes the personal data it read", async () => {
    const f = fixture();
    const v = viewer();
    const subs = [await f.open(v), await f.open(v), await f.open(v)];
    const results = subs.map((s) => s.stream.next());
    f.emit(1);
    for (const r of await Promise.all(results)) expect(r.value).toEqual({ data: { tick: { n: 1, name: "Rita" } } });
    expect(f.executions()).toBe(1);
    for (const s of subs) expect([...s.ctx.privacy.bySubject.keys()]).toEqual(["Contact:c1"]);
  });

  it("share an execution that waits for the database", async () => {
    const f = fixture(async () => {
      await nextTurn();
      return "Tom";
    });
    const v = viewer();
    const subs = [await f.open(v), await f.open(v)];
    const results = subs.map((s) => s.stream.next());
    f.emit(1);
    for (const r of await Promise.all(results)) expect(r.value).toEqual({ data: { tick: { n: 1, name: "Tom" } } });
    expect(f.executions()).toBe(1);
    for (const s of subs) expect(s.ctx.privacy.bySubject.size).toBe(1);
  });

  it("execute anew in a later turn, for other credentials, other variables, and without a viewer", async () => {
    const f = fixture();
    const v = viewer();
    const first = await f.open(v);
    const late = await f.open(v);
    // Equal in every field, but another credential's (or the same one's after a revocation or a change of role).
    const other = await f.open(viewer());
    const otherTopic = await f.open(v, { topic: "billing" });
    const anonymous = [await f.open(null), await f.open(null)];
    const now = [first, other, otherTopic, ...anonymous].map((s) => s.stream.next());
    f.emit(1);
    await Promise.all(now);
    expect(f.executions()).toBe(5);
    await nextTurn();
    expect((await late.stream.next()).value).toEqual({ data: { tick: { n: 1, name: "Rita" } } });
    expect(f.executions()).toBe(6);
  });

  it("pass a subscriber's leaving on to the source at once, while it waits for an event", async () => {
    const f = fixture();
    const { stream } = await f.open(viewer());
    const waiting = stream.next();
    await stream.return!();
    expect(f.returned()).toBe(1);
    expect(await waiting).toEqual({ value: undefined, done: true });
  });
});
