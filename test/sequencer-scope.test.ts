import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/audit/verify.js";
import { asSequencer } from "../src/sequencer/lock.js";
import { sealIn, sealTenant } from "../src/sequencer/seal.js";
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

// Two sequencers at once need two connections: a PostgreSQL server.
describe.skipIf(!process.env.DATABASE_URL)("a run for events while another sequencer holds the tenant", () => {
  it("stands back when that one numbered events after its snapshot, and numbers the rest after them, gap-free", async () => {
    const t = await app.tenant();
    await app.sequenced(t);
    const { prisma } = app.database;
    const { eventSeq: head } = await prisma.tenant.findUniqueOrThrow({ where: { id: t.id } });
    const event = () => prisma.event.create({ data: { tenantId: t.id, type: "TICKET_UPDATED" } });

    const first = await event();
    let numbered!: () => void;
    let release!: () => void;
    const numberedFirst = new Promise<void>((resolve) => (numbered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // Another instance's run: it has numbered the first event and not committed yet.
    const other = asSequencer(app.database, t.id, async (tx, heads, stored) => {
      const run = await sealIn(tx, t.id, heads, stored, "events");
      numbered();
      await released;
      return run;
    });
    await numberedFirst;
    const second = await event();
    // This run's snapshot has both events unnumbered; its statement waits for the other's lock.
    const run = sealTenant(app.database, t.id, "events");
    await until(
      async () =>
        (
          await prisma.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
        )[0]!.n > 0,
      10_000,
      "the run to wait for the lock",
    );
    release();
    expect(await other).toEqual({ events: 1, eventSeq: head + 1 });
    expect(await run).toEqual({ events: 1, eventSeq: head + 2 });
    const seqs = await prisma.event.findMany({ where: { id: { in: [first.id, second.id] } }, orderBy: { seq: "asc" } });
    expect(seqs.map((e) => [e.id, e.seq])).toEqual([
      [first.id, head + 1],
      [second.id, head + 2],
    ]);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: t.id } })).eventSeq).toBe(head + 2);
  });
});
