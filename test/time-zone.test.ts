import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

const HOUR = 60 * 60 * 1000;

/**
 * A PostgreSQL server set to another time zone than UTC (initdb takes the host's: a server
 * in Germany is on Europe/Berlin). The times the database writes itself (column defaults,
 * now()) must be stored in UTC like those the server writes, or they read hours off.
 */
describe.skipIf(!process.env.DATABASE_URL)("on a database fourteen hours ahead of UTC", () => {
  const serverUrl = process.env.DATABASE_URL!;
  const name = `deskgraph_test_tz_${randomBytes(6).toString("hex")}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  let app: TestApp;
  let t: TestTenant;

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    await admin(`ALTER DATABASE ${name} SET timezone TO 'Pacific/Kiritimati'`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    app = await startApp({ DATABASE_URL: url.toString() });
    t = await app.tenant();
  });
  afterAll(async () => {
    await app?.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it("stores a new ticket's times and its events' in UTC, and its sessions run in UTC", async () => {
    const created = await app.gql(
      `mutation { createTicket(input: { subject: "Clock", body: "What time is it?", requester: { name: "Ada" } }) { id createdAt updatedAt } }`,
      {},
      t.ownerToken,
    );
    expect(created.errors).toBeUndefined();
    const now = Date.now();
    const ticket = created.data.createTicket;
    // Written by the insert's own statement: column defaults and now().
    expect(Math.abs(Date.parse(ticket.createdAt) - now)).toBeLessThan(HOUR);
    expect(Math.abs(Date.parse(ticket.updatedAt) - now)).toBeLessThan(HOUR);

    await app.sequenced(t);
    const events = await app.gql(`query { events(first: 10) { edges { node { type occurredAt } } } }`, {}, t.ownerToken);
    expect(events.errors).toBeUndefined();
    const nodes = events.data.events.edges.map((e: { node: { type: string; occurredAt: string } }) => e.node);
    expect(nodes.map((n: { type: string }) => n.type)).toEqual(["TICKET_CREATED", "MESSAGE_ADDED"]);
    for (const n of nodes) expect(Math.abs(Date.parse(n.occurredAt) - now)).toBeLessThan(HOUR);

    const [zone] = await app.database.prisma.$queryRaw<{ TimeZone: string }[]>`SHOW TimeZone`;
    expect(zone!.TimeZone).toBe("UTC");
  });
});
