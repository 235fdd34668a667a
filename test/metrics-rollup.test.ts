// The metrics rollup (src/metrics/): its answers against the report straight
// from the tickets (the raw statement it falls back to), freshness, a time
// zone change, and two refreshers at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { PrismaClient } from "../src/generated/prisma/client.js";
import { refreshTenant } from "../src/metrics/refresh.js";
import { rawMetrics, type MetricsRow } from "../src/metrics/service.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let M: TestTenant;
const GROUPS = ["DAY", "WEEK", "MONTH", "CHANNEL", "PRIORITY", "TEAM", "AGENT"] as const;
const CHANNELS = ["EMAIL", "WEB", "API", "CHAT"] as const;
const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"] as const;
/** Ranges with edges inside local days, across both DST changes of 2025/26 in Amsterdam, and one inside a single day. */
const RANGES = [
  { from: "2025-10-14T13:30:00Z", to: "2026-04-20T07:15:00Z" },
  { from: "2025-09-30T22:00:00Z", to: "2026-03-31T22:00:00Z" },
  { from: "2026-01-10T03:00:00Z", to: "2026-01-10T20:00:00Z" },
];

/** A small deterministic generator (mulberry32): the data set is random but the same on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QUERY = `query($g: MetricsGroupBy!, $r: MetricsRange!) { metrics(range: $r, groupBy: $g) {
  key ticketsCreated ticketsSolved firstResponseMinutesMedian firstResponseMinutesAverage resolutionMinutesMedian
  resolutionMinutesAverage slaAttainment csat csatResponses } }`;

async function viaApi(group: string, range: { from: string; to: string }): Promise<MetricsRow[]> {
  const res = await app.gql(QUERY, { g: group, r: range }, M.ownerToken);
  expect(res.errors).toBeUndefined();
  return res.data.metrics;
}

async function fromTickets(group: (typeof GROUPS)[number], range: { from: string; to: string }): Promise<MetricsRow[]> {
  const rows = await rawMetrics(app.database.forTenant(M.id), M.id, { from: new Date(range.from), to: new Date(range.to) }, group);
  const typename = group === "TEAM" ? "Team" : group === "AGENT" ? "Agent" : null;
  return rows.map((r) => ({ ...r, key: r.key && typename ? encodeGlobalID(typename, r.key) : r.key }));
}

/**
 * Rollup answers equal raw ones: counts, averages, attainment and CSAT
 * exactly; medians within 1 % (plus the API's rounding to 0.01), exactly when
 * every first-response time is under 60 minutes, as in this data set.
 */
function expectSame(rollup: MetricsRow[], raw: MetricsRow[]) {
  expect(rollup.map(({ resolutionMinutesMedian: _, ...r }) => r)).toEqual(raw.map(({ resolutionMinutesMedian: _, ...r }) => r));
  rollup.forEach((r, i) => {
    const want = raw[i]!.resolutionMinutesMedian;
    if (want === null) expect(r.resolutionMinutesMedian).toBeNull();
    else expect(Math.abs(r.resolutionMinutesMedian! - want)).toBeLessThanOrEqual(want * 0.01 + 0.006);
  });
}

async function expectAllSame() {
  for (const range of RANGES) {
    for (const group of GROUPS) expectSame(await viaApi(group, range), await fromTickets(group, range));
  }
}

const count = async (table: string) =>
  Number(
    (
      await app.database.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "${table}" WHERE "tenantId" = $1::uuid`, M.id)
    )[0]!.n,
  );

beforeAll(async () => {
  app = await startApp();
  M = await app.tenant("metrics-rollup");
  const db = app.database.prisma;
  const next = random(17);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  await db.calendar.create({
    data: { tenantId: M.id, name: "Amsterdam", timeZone: "Europe/Amsterdam", isDefault: true, hours: [] },
  });
  const contact = await db.contact.create({ data: { tenantId: M.id, name: "C" } });
  const policy = await db.slaPolicy.create({ data: { tenantId: M.id, name: "P", position: 1, resolutionMinutes: 60 } });
  const teams = await Promise.all([1, 2, 3].map((i) => db.team.create({ data: { tenantId: M.id, name: `Team ${i}` } })));
  const agents = Array.from({ length: 4 }, () => randomUUID());
  const start = Date.UTC(2025, 8, 20);
  const tickets = Array.from({ length: 800 }, (_, i) => {
    const createdAt = new Date(start + next() * 220 * 86_400_000);
    const solved = next() < 0.7;
    return {
      id: randomUUID(),
      tenantId: M.id,
      number: i + 1,
      subject: "s",
      requesterId: contact.id,
      channel: pick(CHANNELS),
      priority: pick(PRIORITIES),
      teamId: next() < 0.2 ? null : pick(teams).id,
      assigneeId: null,
      createdAt,
      solvedAt: solved ? new Date(createdAt.getTime() + next() * 5 * 86_400_000) : null,
      status: solved ? ("SOLVED" as const) : ("OPEN" as const),
    };
  });
  await db.ticket.createMany({ data: tickets });
  await db.ticketSla.createMany({
    data: tickets.map((t) => ({
      tenantId: M.id,
      ticketId: t.id,
      policyId: next() < 0.8 ? policy.id : null,
      breached: next() < 0.3,
      firstResponseMinutes: next() < 0.9 ? Math.floor(next() * 60) : null,
      resolutionMinutes: t.solvedAt ? Math.floor(next() ** 3 * 5000) : null,
    })),
  });
  await db.satisfactionResponse.createMany({
    data: tickets
      .filter((t) => t.solvedAt && next() < 0.4)
      .map((t) => ({
        tenantId: M.id,
        ticketId: t.id,
        contactId: contact.id,
        rating: 1 + Math.floor(next() * 5),
        scale: "FIVE_POINT",
        assigneeId: next() < 0.2 ? null : pick(agents),
        createdAt: new Date(t.solvedAt!.getTime() + next() * 86_400_000),
      })),
  });
});
afterAll(() => app?.close());

describe("metrics rollup", () => {
  it("answers like the tickets before the rollup is built, from the tickets", async () => {
    expect(await count("MetricsRollup")).toBe(0);
    for (const group of GROUPS) expect(await viaApi(group, RANGES[0]!)).toEqual(await fromTickets(group, RANGES[0]!));
  });

  it("answers like the tickets for every groupBy once built", async () => {
    await app.server.metricsRefreshed();
    const [rollup] = await app.database.prisma.$queryRaw<{ timeZone: string }[]>`
      SELECT "timeZone" FROM "MetricsRollup" WHERE "tenantId" = ${M.id}::uuid`;
    expect(rollup?.timeZone).toBe("Europe/Amsterdam");
    expect(await count("MetricsChange")).toBe(0);
    // Every ticket counted once in the ALL rows of days and of months.
    const [sums] = await app.database.prisma.$queryRaw<{ days: bigint; months: bigint; tickets: bigint }[]>`
      SELECT (SELECT sum("created") FROM "MetricsDay" WHERE "tenantId" = ${M.id}::uuid AND "kind" = 'ALL') AS days,
        (SELECT sum("created") FROM "MetricsMonth" WHERE "tenantId" = ${M.id}::uuid AND "kind" = 'ALL') AS months,
        (SELECT count(*) FROM "Ticket" WHERE "tenantId" = ${M.id}::uuid) AS tickets`;
    expect(Number(sums!.days)).toBe(800);
    expect(Number(sums!.months)).toBe(800);
    await expectAllSame();
    // The answers come from the rollup: a month row (of a month inside the range) and a day row shift them.
    const db = app.database.prisma;
    const shift = (by: number) =>
      Promise.all([
        db.$executeRaw`UPDATE "MetricsMonth" SET "created" = "created" + ${by} WHERE "tenantId" = ${M.id}::uuid AND "kind" = 'ALL' AND "month" = '2025-11-01'`,
        db.$executeRaw`UPDATE "MetricsDay" SET "created" = "created" + ${by} WHERE "tenantId" = ${M.id}::uuid AND "kind" = 'ALL' AND "day" = '2025-11-03'`,
      ]);
    await shift(1000);
    const month = (await viaApi("MONTH", RANGES[1]!)).find((r) => r.key === "2025-11")!;
    const day = (await viaApi("DAY", RANGES[1]!)).find((r) => r.key === "2025-11-03")!;
    await shift(-1000);
    expect(month.ticketsCreated).toBe((await fromTickets("MONTH", RANGES[1]!)).find((r) => r.key === "2025-11")!.ticketsCreated + 1000);
    expect(day.ticketsCreated).toBe((await fromTickets("DAY", RANGES[1]!)).find((r) => r.key === "2025-11-03")!.ticketsCreated + 1000);
  });

  it("shows a write in the very next report, before the refresher ran", async () => {
    const db = app.database.prisma;
    const contact = await db.contact.findFirstOrThrow({ where: { tenantId: M.id } });
    const before = await viaApi("DAY", RANGES[1]!);
    const day = before.find((r) => r.key === "2026-01-15")!;
    const ticket = await db.ticket.create({
      data: {
        tenantId: M.id,
        number: 10_001,
        subject: "new",
        requesterId: contact.id,
        channel: "SMS",
        createdAt: new Date("2026-01-15T10:00:00Z"),
        solvedAt: new Date("2026-01-15T12:00:00Z"),
        status: "SOLVED",
      },
    });
    await db.ticketSla.create({ data: { tenantId: M.id, ticketId: ticket.id, firstResponseMinutes: 5, resolutionMinutes: 100 } });
    expect(await count("MetricsChange")).toBeGreaterThan(0);
    const after = (await viaApi("DAY", RANGES[1]!)).find((r) => r.key === "2026-01-15")!;
    expect(after.ticketsCreated).toBe(day.ticketsCreated + 1);
    expect(after.ticketsSolved).toBe(day.ticketsSolved + 1);
    // Moving a rated ticket to another channel moves its rating; deleting one takes it out.
    const rated = await db.satisfactionResponse.findFirstOrThrow({
      where: { tenantId: M.id, createdAt: { gte: new Date("2025-11-01"), lt: new Date("2026-03-01") } },
    });
    await db.ticket.update({ where: { id: rated.ticketId }, data: { channel: "PHONE", priority: "URGENT" } });
    const gone = await db.ticket.findFirstOrThrow({ where: { tenantId: M.id, solvedAt: { gte: new Date("2025-12-01") } } });
    await db.ticket.delete({ where: { id: gone.id } });
    await db.ticketSla.updateMany({
      where: { tenantId: M.id, firstResponseMinutes: 7 },
      data: { breached: true, firstResponseMinutes: 8 },
    });
    await expectAllSame();
    expect((await viaApi("CHANNEL", RANGES[1]!)).find((r) => r.key === "PHONE")!.csatResponses).toBe(1);
    // The refresher recounts the touched days: same answers, no change rows left.
    await app.server.metricsRefreshed();
    expect(await count("MetricsChange")).toBe(0);
    await expectAllSame();
  });

  it("never gives days of the old time zone after the default calendar's zone changed", async () => {
    await app.database.prisma.calendar.updateMany({ where: { tenantId: M.id, isDefault: true }, data: { timeZone: "America/New_York" } });
    await expectAllSame();
    await app.server.metricsRefreshed();
    const [rollup] = await app.database.prisma.$queryRaw<{ timeZone: string }[]>`
      SELECT "timeZone" FROM "MetricsRollup" WHERE "tenantId" = ${M.id}::uuid`;
    expect(rollup?.timeZone).toBe("America/New_York");
    await expectAllSame();
  });

  it("counts once when two refreshers on two database clients run at once", async () => {
    const url = process.env.DATABASE_URL;
    // On PostgreSQL a second pool, as another instance has; embedded, the one client twice (its transactions take turns).
    let other = app.database.prisma;
    if (url) {
      const [{ name }] = (await app.database.prisma.$queryRaw<{ name: string }[]>`SELECT current_database()::text AS name`) as [
        { name: string },
      ];
      const u = new URL(url);
      u.pathname = `/${name}`;
      other = new PrismaClient({ adapter: new PrismaPg({ connectionString: u.toString() }) });
    }
    try {
      const db = app.database.prisma;
      const contact = await db.contact.findFirstOrThrow({ where: { tenantId: M.id } });
      for (let round = 0; round < 3; round++) {
        const writes = Array.from({ length: 5 }, (_, i) =>
          db.ticket.create({
            data: {
              tenantId: M.id,
              number: 20_000 + round * 10 + i,
              subject: "race",
              requesterId: contact.id,
              createdAt: new Date(Date.UTC(2026, 1, 2 + i, 11)),
            },
          }),
        );
        const results = await Promise.all([refreshTenant(db, M.id), refreshTenant(other, M.id), ...writes]);
        // Whichever got the tenant counted; the other saw the lock and left it.
        expect(results.slice(0, 2).filter((r) => r !== null).length).toBeGreaterThanOrEqual(1);
      }
      await Promise.all([refreshTenant(db, M.id), refreshTenant(other, M.id)]);
      await expectAllSame();
      const [sums] = await db.$queryRaw<{ days: bigint; tickets: bigint }[]>`
        SELECT (SELECT sum("created") FROM "MetricsDay" WHERE "tenantId" = ${M.id}::uuid AND "kind" = 'ALL') AS days,
          (SELECT count(*) FROM "Ticket" WHERE "tenantId" = ${M.id}::uuid) AS tickets`;
      expect(Number(sums!.days)).toBe(Number(sums!.tickets));
    } finally {
      if (other !== app.database.prisma) await other.$disconnect();
    }
  });

  it("leaves no rollup row of a day whose tickets are gone", async () => {
    const db = app.database.prisma;
    // 2 February 2026 in New York (the zone since the test above).
    const day = { gte: new Date("2026-02-02T05:00:00Z"), lt: new Date("2026-02-03T05:00:00Z") };
    await db.ticket.deleteMany({ where: { tenantId: M.id, OR: [{ createdAt: day }, { solvedAt: day }] } });
    await db.satisfactionResponse.deleteMany({ where: { tenantId: M.id, createdAt: day } });
    await app.server.metricsRefreshed();
    const rows = await db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM "MetricsDay" WHERE "tenantId" = ${M.id}::uuid AND "day" = '2026-02-02'::date`;
    expect(Number(rows[0]!.n)).toBe(0);
    await expectAllSame();
  });
});
