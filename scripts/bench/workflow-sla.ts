// The SLA scheduler under load: N open tickets, each with a running resolution
// target whose breach timer comes due at once (or spread over --sla-spread
// seconds). The server's own scheduler fires them as it would in production
// (FOR UPDATE SKIP LOCKED batches of 500, each recording SLA_BREACHED and
// marking the ticket breached); the figures are how fast it drains them and
// how late each fired.
import type { Database } from "../../src/db/database.js";

export interface SlaFigures {
  tickets: number;
  spreadSeconds: number;
  seedMs: number;
  fired: number;
  breachEvents: number;
  eventsPerSecond: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  sequencedAfterMs: number | null;
}

const UTC_NOW = "(now() AT TIME ZONE 'UTC')";

/**
 * Seeds the tickets, their SLA state and breach timers in three set-based
 * statements (generate_series), the timers a day away so that nothing fires
 * while seeding.
 */
async function seed(database: Database, tenantId: string, tickets: number): Promise<void> {
  const db = database.prisma;
  const contact = await db.contact.create({ data: { tenantId, name: "Bench requester" } });
  const policy = await db.slaPolicy.create({ data: { tenantId, name: "Bench resolution", position: 1, resolutionMinutes: 60 } });
  await db.$executeRawUnsafe(
    `INSERT INTO "Ticket" ("id", "tenantId", "number", "subject", "status", "priority", "channel", "requesterId", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), $1::uuid, g, 'Bench ticket', 'OPEN', 'URGENT', 'WEB', $2::uuid,
       ${UTC_NOW} - interval '1 hour', ${UTC_NOW}
     FROM generate_series(1, $3::int) AS g`,
    tenantId,
    contact.id,
    tickets,
  );
  await db.$executeRawUnsafe(
    `INSERT INTO "TicketSla" ("ticketId", "tenantId", "policyId", "resolutionDueAt", "dueAt", "updatedAt")
     SELECT t."id", t."tenantId", $2::uuid, ${UTC_NOW} + interval '1 day', ${UTC_NOW} + interval '1 day', ${UTC_NOW}
     FROM "Ticket" t WHERE t."tenantId" = $1::uuid`,
    tenantId,
    policy.id,
  );
  await db.$executeRawUnsafe(
    `INSERT INTO "ScheduledJob" ("id", "tenantId", "kind", "key", "dueAt", "payload")
     SELECT gen_random_uuid(), t."tenantId", 'sla.breach', t."id"::text || ':RESOLUTION:1', ${UTC_NOW} + interval '1 day',
       jsonb_build_object('ticketId', t."id", 'target', 'RESOLUTION', 'dueAt', to_char(${UTC_NOW} + interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
     FROM "Ticket" t WHERE t."tenantId" = $1::uuid`,
    tenantId,
  );
  await db.$executeRawUnsafe(`ANALYZE "Ticket", "TicketSla", "ScheduledJob"`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchSlaScheduler(database: Database, tenantId: string, tickets: number, spreadSeconds: number): Promise<SlaFigures> {
  const db = database.prisma;
  const seeding = performance.now();
  await seed(database, tenantId, tickets);
  const seedMs = performance.now() - seeding;
  // Time comes: the timers fall due 2 s from now, in the order of their keys, over the spread.
  await db.$executeRawUnsafe(
    `UPDATE "ScheduledJob" j SET "dueAt" = ${UTC_NOW} + interval '2 seconds' + (o.n::float8 / $2::float8) * ($3::float8 * interval '1 second')
     FROM (SELECT "id", row_number() OVER (ORDER BY "key") - 1 AS n FROM "ScheduledJob" WHERE "tenantId" = $1::uuid) o
     WHERE j."id" = o."id"`,
    tenantId,
    tickets,
    spreadSeconds,
  );
  const unfired = async () =>
    Number(
      (
        await db.$queryRawUnsafe<{ n: bigint }[]>(
          `SELECT count(*) AS n FROM "ScheduledJob" WHERE "tenantId" = $1::uuid AND "firedAt" IS NULL`,
          tenantId,
        )
      )[0]!.n,
    );
  while ((await unfired()) > 0) await sleep(100);
  const firedAt = performance.now();
  const [stats] = await db.$queryRawUnsafe<{ fired: bigint; seconds: number; p50: number; p99: number; max: number; events: bigint }[]>(
    `SELECT count(*) AS fired,
       extract(epoch FROM max("firedAt") - min("dueAt"))::float8 AS seconds,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "firedAt" - "dueAt")) * 1000)::float8 AS p50,
       (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "firedAt" - "dueAt")) * 1000)::float8 AS p99,
       (max(extract(epoch FROM "firedAt" - "dueAt")) * 1000)::float8 AS max,
       (SELECT count(*) FROM "Event" e WHERE e."tenantId" = $1::uuid AND e."type" = 'SLA_BREACHED') AS events
     FROM "ScheduledJob" WHERE "tenantId" = $1::uuid`,
    tenantId,
  );
  // The events then go to the tenant's sequencer, which numbers them for the feed.
  let sequencedAfterMs: number | null = null;
  for (let waited = 0; waited < 120_000; waited += 100) {
    const pending = await db.event.count({ where: { tenantId, seq: null } });
    if (pending === 0) {
      sequencedAfterMs = performance.now() - firedAt;
      break;
    }
    await sleep(100);
  }
  const fired = Number(stats!.fired);
  return {
    tickets,
    spreadSeconds,
    seedMs,
    fired,
    breachEvents: Number(stats!.events),
    eventsPerSecond: stats!.seconds > 0 ? fired / stats!.seconds : fired,
    lagP50Ms: stats!.p50,
    lagP99Ms: stats!.p99,
    lagMaxMs: stats!.max,
    sequencedAfterMs,
  };
}

export function slaTable(f: SlaFigures): string {
  const ms = (v: number) => `${Math.round(v).toLocaleString("en")} ms`;
  return [
    `\n${f.tickets.toLocaleString("en")} open tickets, one breach timer each, due ${f.spreadSeconds ? `over ${f.spreadSeconds} s` : "at once"} (seeded in ${ms(f.seedMs)})\n`,
    "| SLA scheduler | value |",
    "| --- | ---: |",
    `| timers fired | ${f.fired.toLocaleString("en")} |`,
    `| SLA_BREACHED events recorded | ${f.breachEvents.toLocaleString("en")} |`,
    `| events per second (first due to last fired) | ${Math.round(f.eventsPerSecond).toLocaleString("en")} |`,
    `| lag after due time p50 | ${ms(f.lagP50Ms)} |`,
    `| lag after due time p99 | ${ms(f.lagP99Ms)} |`,
    `| lag after due time max | ${ms(f.lagMaxMs)} |`,
    `| all events sequenced after the last fired | ${f.sequencedAfterMs === null ? "not within 120 s" : ms(f.sequencedAfterMs)} |`,
  ].join("\n");
}
