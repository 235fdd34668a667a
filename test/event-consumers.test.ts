import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { CursorBatches } from "../src/events/consumers/batched.js";
import { ConsumerDriver } from "../src/events/consumers/driver.js";
import type { EventConsumer } from "../src/events/consumers/consumer.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { until } from "./support/webhooks.js";

let app: TestApp;
let t: TestTenant;
const log = pino({ level: "silent" });

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const createTicket = async (subject: string) => {
  const r = await app.gql(
    `mutation($s: String!) { createTicket(input: { subject: $s, body: "b", requester: { name: "P" } }) { id } }`,
    { s: subject },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
};

/** A consumer that records the seqs it handled, and fails its first `failures` calls. */
function recorder(name: string, failures = 0) {
  const handled: number[] = [];
  let calls = 0;
  const consumer: EventConsumer = {
    name,
    types: ["TICKET_CREATED"],
    retryBaseMs: 50,
    retryCapMs: 100,
    async handle({ tenantId, events }) {
      expect(tenantId).toBe(t.id);
      if (++calls <= failures) throw Object.assign(new Error("the downstream system is away"), { code: "DOWNSTREAM_AWAY" });
      handled.push(...events.map((e) => e.seq));
    },
  };
  return { consumer, handled, calls: () => calls };
}

const cursor = (consumer: string) =>
  app.database.prisma.eventConsumerCursor.findUnique({ where: { consumer_tenantId: { consumer, tenantId: t.id } } });
const ticketCreatedSeqs = async () =>
  (
    await app.database.prisma.event.findMany({
      where: { tenantId: t.id, type: "TICKET_CREATED", seq: { not: null } },
      orderBy: { seq: "asc" },
    })
  ).map((e) => e.seq!);

describe("event consumers", () => {
  it("retry a failing consumer with backoff, without holding up the others, and hand each event over once", async () => {
    const failing = recorder("test.failing", 2);
    const healthy = recorder("test.healthy");
    // Kicked by hand only (its timer is far off): each kick is one pass of each consumer.
    const driver = new ConsumerDriver(app.database, log, { pollMs: 600_000 }).register(failing.consumer).register(healthy.consumer);
    driver.start();
    try {
      for (let i = 0; i < 3; i++) await createTicket(`Consumed ${i}`);
      await app.sequenced(t);
      await driver.kick();
      const seqs = await ticketCreatedSeqs();
      expect(seqs.length).toBeGreaterThanOrEqual(3);
      // The healthy consumer is through; the failing one is where it was, with its failure recorded.
      expect(healthy.handled).toEqual(seqs);
      expect(failing.handled).toEqual([]);
      // Its first retry may already have come and failed too (the wait is random, from nothing up to 50 ms).
      const failed = await cursor("test.failing");
      expect(failed).toMatchObject({ position: 0, lastError: "DOWNSTREAM_AWAY" });
      expect([1, 2]).toContain(failed!.attempts);
      const healthyCursor = await cursor("test.healthy");
      expect(healthyCursor!.position).toBeGreaterThanOrEqual(seqs.at(-1)!);

      // Its retries come by themselves (the loop wakes when the next attempt is due), and then it is through too.
      await until(() => failing.handled.length > 0, 5000, "the failing consumer to get through");
      expect(failing.calls()).toBe(3);
      expect(failing.handled).toEqual(seqs);
      // The cursor moves right after the handler returns, in a statement of its own.
      await until(async () => (await cursor("test.failing"))?.attempts === 0, 5000, "the failing consumer's cursor to move");
      expect(await cursor("test.failing")).toMatchObject({ attempts: 0, lastError: null });

      // More events: each consumer gets only the new ones, never one twice.
      await createTicket("Consumed later");
      await app.sequenced(t);
      await driver.kick();
      const after = await ticketCreatedSeqs();
      expect(healthy.handled).toEqual(after);
      expect(failing.handled).toEqual(after);
    } finally {
      await driver.stop();
    }
  });

  it("resume after a restart where their cursor is, and share the work across instances without doing any twice", async () => {
    const first = recorder("test.resumed");
    const one = new ConsumerDriver(app.database, log, { pollMs: 600_000 }).register(first.consumer);
    one.start();
    await createTicket("Before the restart");
    await app.sequenced(t);
    await one.kick();
    await one.stop();
    const seen = await ticketCreatedSeqs();
    expect(first.handled).toEqual(seen);

    // Two instances of the same consumer (same name, same cursor) after a restart: together they hand
    // over exactly the events committed since, each once.
    const a = recorder("test.resumed");
    const b = recorder("test.resumed");
    const instances = [a, b].map((r) => new ConsumerDriver(app.database, log, { pollMs: 600_000 }).register(r.consumer));
    for (const d of instances) d.start();
    try {
      for (let i = 0; i < 4; i++) {
        await createTicket(`After the restart ${i}`);
        await app.sequenced(t);
        await Promise.all(instances.map((d) => d.kick()));
      }
      const now = await ticketCreatedSeqs();
      const fresh = now.filter((seq) => !seen.includes(seq));
      expect(fresh).toHaveLength(4);
      expect([...a.handled, ...b.handled].sort((x, y) => x - y)).toEqual(fresh);
    } finally {
      await Promise.all(instances.map((d) => d.stop()));
    }
  });

  it("offer a batch that keeps failing again smaller, one event at the least, so that a heavy backlog cannot stall them", async () => {
    // A transactional consumer that cannot take more than one event per transaction (think: a hundred
    // rules per event), handed a backlog of four.
    const sizes: number[] = [];
    const handled: number[] = [];
    const heavy: EventConsumer = {
      name: "test.heavy",
      types: ["TICKET_CREATED"],
      transactional: true,
      batchSize: 4,
      retryBaseMs: 20,
      retryCapMs: 40,
      async handle({ events }) {
        sizes.push(events.length);
        if (events.length > 1) throw Object.assign(new Error("too much for one transaction"), { code: "P2028" });
        handled.push(...events.map((e) => e.seq));
      },
    };
    const start = (await ticketCreatedSeqs()).at(-1) ?? 0;
    await app.database.prisma.eventConsumerCursor.upsert({
      where: { consumer_tenantId: { consumer: "test.heavy", tenantId: t.id } },
      create: { consumer: "test.heavy", tenantId: t.id, position: start },
      update: {},
    });
    for (let i = 0; i < 4; i++) await createTicket(`Heavy ${i}`);
    await app.sequenced(t);
    const driver = new ConsumerDriver(app.database, log, { pollMs: 600_000 }).register(heavy);
    driver.start();
    try {
      const fresh = (await ticketCreatedSeqs()).filter((seq) => seq > start);
      expect(fresh).toHaveLength(4);
      await until(() => handled.length === 4, 10_000, "the heavy backlog to get through");
      expect(handled).toEqual(fresh);
      // Four, then two after the first failure, then one at a time (the cursor's failures were cleared by the
      // first success, so the next pass offers the full size again and halves once more).
      expect(sizes.slice(0, 3)).toEqual([4, 2, 1]);
      expect(Math.max(...sizes.slice(3))).toBeLessThanOrEqual(4);
    } finally {
      await driver.stop();
    }
  });

  it("let a consumer stop early: the rest of its batch comes in the next call, each event once, and a stop outside the batch fails", async () => {
    const start = (await ticketCreatedSeqs()).at(-1) ?? 0;
    for (let i = 0; i < 5; i++) await createTicket(`Stopping ${i}`);
    await app.sequenced(t);
    const fresh = (await ticketCreatedSeqs()).filter((seq) => seq > start);
    expect(fresh).toHaveLength(5);
    // Two of each batch of four, in a transaction or not; one that names an event it was not handed.
    const stopper = (name: string, transactional: boolean, stopAt: (events: number[]) => number) => {
      const batches: number[][] = [];
      const consumer: EventConsumer = {
        name,
        types: ["TICKET_CREATED"],
        transactional,
        batchSize: 4,
        retryBaseMs: 600_000,
        async handle({ events }) {
          batches.push(events.map((e) => e.seq));
          return stopAt(events.map((e) => e.seq));
        },
      };
      return { consumer, batches };
    };
    const plain = stopper("test.stopping.plain", false, (seqs) => seqs[1] ?? seqs[0]!);
    const inTx = stopper("test.stopping.tx", true, (seqs) => seqs[1] ?? seqs[0]!);
    const wrong = stopper("test.stopping.wrong", false, (seqs) => seqs[0]! - 1);
    for (const { consumer } of [plain, inTx, wrong]) {
      await app.database.prisma.eventConsumerCursor.create({ data: { consumer: consumer.name, tenantId: t.id, position: start } });
    }
    const driver = new ConsumerDriver(app.database, log, { pollMs: 600_000 });
    for (const { consumer } of [plain, inTx, wrong]) driver.register(consumer);
    driver.start();
    try {
      await driver.kick();
      const [a, b, c, d, e] = fresh as [number, number, number, number, number];
      for (const { consumer, batches } of [plain, inTx]) {
        expect(batches).toEqual([[a, b, c, d], [c, d, e], [e]]);
        expect((await cursor(consumer.name))!.position).toBeGreaterThanOrEqual(e);
      }
      // Offered once, refused, and left where it was, with the reason, until its (distant) retry.
      expect(wrong.batches).toEqual([[a, b, c, d]]);
      expect(await cursor(wrong.consumer.name)).toMatchObject({ position: start, attempts: 1 });
      expect((await cursor(wrong.consumer.name))!.lastError).toMatch(/stopped at .*not at an event of its batch/);
    } finally {
      await driver.stop();
      await app.database.prisma.eventConsumerCursor.deleteMany({ where: { consumer: { startsWith: "test.stopping." } } });
    }
  });

  it("lease, read and move for every consumer at once in one statement each, each getting its own rows", async () => {
    for (let i = 0; i < 2; i++) await createTicket(`Batched ${i}`);
    await app.sequenced(t);
    const head = (await app.database.prisma.tenant.findUniqueOrThrow({ where: { id: t.id } })).eventSeq;
    const created = (await ticketCreatedSeqs()).filter((seq) => seq > head - 4);
    const names = ["test.batched.a", "test.batched.b"];
    for (const consumer of names)
      await app.database.prisma.eventConsumerCursor.create({ data: { consumer, tenantId: t.id, position: head - 4 } });
    const batches = new CursorBatches(app.database.prisma);
    const [tokenA, tokenB] = [randomUUID(), randomUUID()];
    const claim = (consumer: string, token: string) => ({ consumer, token, limit: 20, leaseUntil: new Date(Date.now() + 30_000) });

    let before = app.database.queryCount;
    const [a, b] = await Promise.all([batches.claim(claim(names[0]!, tokenA)), batches.claim(claim(names[1]!, tokenB))]);
    expect(app.database.queryCount - before).toBe(1);
    expect(a.filter((c) => c.tenantId === t.id)).toEqual([{ tenantId: t.id, position: head - 4, head, attempts: 0 }]);
    expect(b.filter((c) => c.tenantId === t.id)).toEqual([{ tenantId: t.id, position: head - 4, head, attempts: 0 }]);
    // Leased: a second claim finds nothing of these.
    expect((await batches.claim(claim(names[0]!, randomUUID()))).filter((c) => c.tenantId === t.id)).toEqual([]);

    before = app.database.queryCount;
    const [onlyCreated, firstTwo] = await Promise.all([
      batches.read({ tenantId: t.id, types: ["TICKET_CREATED"], position: head - 4, head, limit: 10 }),
      batches.read({ tenantId: t.id, types: ["TICKET_CREATED", "MESSAGE_ADDED"], position: head - 4, head, limit: 2 }),
    ]);
    expect(app.database.queryCount - before).toBe(1);
    expect(onlyCreated.map((e) => e.seq)).toEqual(created);
    expect(onlyCreated.every((e) => e.type === "TICKET_CREATED" && e.tenantId === t.id && e.createdAt instanceof Date)).toBe(true);
    expect(firstTwo.map((e) => e.seq)).toEqual([head - 3, head - 2]);

    // A move with a lease that is not the cursor's moves nothing and says so; the other moves.
    before = app.database.queryCount;
    const moved = await Promise.all([
      batches.move({ consumer: names[0]!, tenantId: t.id, token: tokenA, position: head, leaseUntil: null }),
      batches.move({ consumer: names[1]!, tenantId: t.id, token: randomUUID(), position: head, leaseUntil: null }),
    ]);
    expect(app.database.queryCount - before).toBe(1);
    expect(moved).toEqual([true, false]);
    expect(await cursor(names[0]!)).toMatchObject({ position: head, leaseToken: null, leaseUntil: null });
    expect(await cursor(names[1]!)).toMatchObject({ position: head - 4, leaseToken: tokenB });
    await app.database.prisma.eventConsumerCursor.deleteMany({ where: { consumer: { in: names } } });
  });

  it("refuse two consumers with one name and one that wants nothing", () => {
    const driver = new ConsumerDriver(app.database, log).register(recorder("test.twice").consumer);
    expect(() => driver.register(recorder("test.twice").consumer)).toThrow(/Two event consumers are named test.twice/);
    expect(() => driver.register({ ...recorder("test.nothing").consumer, types: [] })).toThrow(/wants no event type/);
  });
});
