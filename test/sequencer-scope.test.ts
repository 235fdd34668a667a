import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/audit/verify.js";
import { asSequencer } from "../src/sequencer/lock.js";
import { sealAudit } from "../src/audit/seal.js";
import { sealAuditEntries, sealIn, sealTenant } from "../src/sequencer/seal.js";
import { recordEvents } from "../src/events/outbox.js";
import { startApp, type TestApp } from "./support/app.js";
import { until } from "./support/webhooks.js";

/**
 * A sequencer run that numbers events only (the one a change's commit asks
 * for) and the full run that follows. Rows are written here without telling
 * the server's sequencer, whose safety poll is an hour away: the runs below
 * are the only ones.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startApp({ SEQUENCER_POLL_MS: "3600000" });
});
afterAll(() => app?.close());

describe("a sequencer run", () => {
  it("for events numbers them and leaves audit entries for a full run, which chains them after the ones before", async () => {
    const t = await app.tenant();
    await app.sequenced(t);
    const { prisma } = app.database;
    const before = await prisma.tenant.findUniqueOrThrow({ where: { id: t.id } });

    const entry = (action: string) => prisma.auditEntry.create({ data: { tenantId: t.id, actorType: "SYSTEM", action, categories: [] } });
    await entry("test.first");
    await prisma.event.create({ data: { tenantId: t.id, type: "TICKET_UPDATED" } });
    await entry("test.second");

    expect(await sealTenant(app.database, t.id, "events")).toEqual({ events: 1, eventSeq: before.eventSeq + 1 });
    const event = await prisma.event.findFirstOrThrow({ where: { tenantId: t.id, type: "TICKET_UPDATED" } });
    expect(event.seq).toBe(before.eventSeq + 1);
    const unsealed = await prisma.auditEntry.findMany({ where: { tenantId: t.id, seq: null } });
    expect(unsealed.map((e) => e.action).sort()).toEqual(["test.first", "test.second"]);
    expect(await prisma.tenant.findUniqueOrThrow({ where: { id: t.id } })).toMatchObject({
      auditSeq: before.auditSeq,
      auditHeadHash: before.auditHeadHash,
      eventSeq: before.eventSeq + 1,
    });

    expect(await sealTenant(app.database, t.id)).toEqual({ events: 0, eventSeq: before.eventSeq + 1 });
    const sealed = await prisma.auditEntry.findMany({ where: { tenantId: t.id, seq: { gt: before.auditSeq } }, orderBy: { seq: "asc" } });
    expect(sealed.map((e) => [e.seq, e.action])).toEqual([
      [before.auditSeq + 1, "test.first"],
      [before.auditSeq + 2, "test.second"],
    ]);
    expect(sealed[0]!.prevHash).toBe(before.auditHeadHash);
    expect(await verifyAuditChain(app.database, t.id)).toMatchObject({ valid: true, headSeq: before.auditSeq + 2 });
  });
});

describe("an event's time", () => {
  it("is when its row was written, in UTC: not when its transaction began, nor in the session's time zone", async () => {
    const t = await app.tenant();
    const { prisma } = app.database;
    const { began, after } = await prisma.$transaction(async (tx) => {
      // A session fourteen hours from UTC, and a transaction that began well before its events.
      await tx.$executeRaw`SET LOCAL TimeZone = 'Pacific/Kiritimati'`;
      await tx.$executeRaw`SELECT pg_sleep(0.05)`;
      // One event written by a statement of ours (the column's default), one through Prisma.
      await tx.$executeRaw`INSERT INTO "Event" ("id", "tenantId", "type") VALUES (gen_random_uuid(), ${t.id}::uuid, 'TICKET_UPDATED')`;
      await recordEvents(tx, t.id, [{ type: "TICKET_STATUS_CHANGED" }]);
      await tx.$executeRaw`SELECT pg_sleep(0.01)`;
      const [row] = await tx.$queryRaw<{ began: Date; after: Date }[]>`
        SELECT timezone('UTC', now()) AS began, timezone('UTC', clock_timestamp()) AS after`;
      return row!;
    });
    const events = await prisma.event.findMany({ where: { tenantId: t.id, type: { in: ["TICKET_UPDATED", "TICKET_STATUS_CHANGED"] } } });
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e.createdAt.getTime()).toBeGreaterThanOrEqual(began.getTime() + 50);
      expect(e.createdAt.getTime()).toBeLessThanOrEqual(after.getTime());
    }
    // Numbered after that, and the wait is counted from the write.
    const run = await sealTenant(app.database, t.id, "events");
    expect(run.events).toBe(2);
    const sealed = await prisma.event.findMany({ where: { id: { in: events.map((e) => e.id) } } });
    for (const e of sealed) expect(e.publishedAt!.getTime()).toBeGreaterThanOrEqual(e.createdAt.getTime());
  });
});

// Two sequencers at once need two connections: a PostgreSQL server.
describe.skipIf(!process.env.DATABASE_URL)("a run while another sequencer holds the tenant", () => {
  /** Resolves once a statement of this test's database waits for a lock. */
  const waitingForLock = () =>
    until(
      async () =>
        (
          await app.database.prisma.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
        )[0]!.n > 0,
      10_000,
      "a statement to wait for the lock",
    );

  /** Another instance's locked run: `work` runs under the lock, which is held until `release` is called. */
  function otherSequencer<T>(tenantId: string, work: Parameters<typeof asSequencer<T>>[2]) {
    let done!: () => void;
    let release!: () => void;
    const worked = new Promise<void>((resolve) => (done = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const run = asSequencer(app.database, tenantId, async (tx, heads, stored) => {
      const result = await work(tx, heads, stored);
      done();
      await released;
      return result;
    });
    return { worked, release, run };
  }

  it("for audit entries chains again from the head that one left, when it chained entries after this run read the head", async () => {
    const t = await app.tenant();
    await app.sequenced(t);
    const { prisma } = app.database;
    const { auditSeq: head } = await prisma.tenant.findUniqueOrThrow({ where: { id: t.id } });
    const entry = (action: string) => prisma.auditEntry.create({ data: { tenantId: t.id, actorType: "SYSTEM", action, categories: [] } });

    await entry("test.first");
    const other = otherSequencer(t.id, (tx, heads) => sealAudit(tx, t.id, heads));
    await other.worked;
    await entry("test.second");
    // This run reads the old head and both entries unsealed; storing them waits for the other's lock.
    const run = sealAuditEntries(app.database, t.id);
    await waitingForLock();
    other.release();
    expect(await other.run).toBe(1);
    expect(await run).toMatchObject({ sealed: 1, head: { seq: head + 2 } });
    const sealed = await prisma.auditEntry.findMany({ where: { tenantId: t.id, seq: { gt: head } }, orderBy: { seq: "asc" } });
    expect(sealed.map((e) => [e.seq, e.action])).toEqual([
      [head + 1, "test.first"],
      [head + 2, "test.second"],
    ]);
    expect(await verifyAuditChain(app.database, t.id)).toMatchObject({ valid: true, headSeq: head + 2 });
  });

  it("for events stands back when that one numbered events after its snapshot, and numbers the rest after them, gap-free", async () => {
    const t = await app.tenant();
    await app.sequenced(t);
    const { prisma } = app.database;
    const { eventSeq: head } = await prisma.tenant.findUniqueOrThrow({ where: { id: t.id } });
    const event = () => prisma.event.create({ data: { tenantId: t.id, type: "TICKET_UPDATED" } });

    const first = await event();
    // Another instance's run: it has numbered the first event and not committed yet.
    const other = otherSequencer(t.id, (tx, heads, stored) => sealIn(tx, t.id, heads, stored, "events"));
    await other.worked;
    const second = await event();
    // This run's snapshot has both events unnumbered; its statement waits for the other's lock.
    const run = sealTenant(app.database, t.id, "events");
    await waitingForLock();
    other.release();
    const others = await other.run;
    expect(others).toMatchObject({ events: 1, eventSeq: head + 1 });
    // The locked way reports how long its event waited too (for /metrics).
    expect(others.waitedSeconds).toHaveLength(1);
    expect(others.waitedSeconds[0]).toBeGreaterThanOrEqual(0);
    expect(await run).toEqual({ events: 1, eventSeq: head + 2 });
    const seqs = await prisma.event.findMany({ where: { id: { in: [first.id, second.id] } }, orderBy: { seq: "asc" } });
    expect(seqs.map((e) => [e.id, e.seq])).toEqual([
      [first.id, head + 1],
      [second.id, head + 2],
    ]);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: t.id } })).eventSeq).toBe(head + 2);
  });
});
