import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { subscribeFromStart } from "./support/ticket-events.js";
import { until } from "./support/webhooks.js";

/** What a subscriber's deliveries read is recorded like a query's reads, one record per window of deliveries. */

const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

async function createTicket(app: TestApp, t: TestTenant, name: string) {
  const r = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    { i: { subject: `about ${name}`, body: "hello", requester: { name } } },
    t.ownerToken,
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return rawId(r.data.createTicket.requester.id as string);
}

const READS = `subscription($after: String) { ticketEvents(after: $after, filter: { types: [TICKET_CREATED] }) { seq ticket { subject requester { id name } } } }`;

async function readRecords(app: TestApp, t: TestTenant) {
  await app.sequenced(t);
  const r = await app.gql(
    `{ auditLog(first: 50, filter: { action: "personalData.read" }) { edges { node { actorType actorId subjectId categories details requestId } } } }`,
    {},
    t.ownerToken,
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return (r.data.auditLog.edges as { node: any }[]).map((e) => e.node);
}

describe("a subscription's reads of personal data, with a short window", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ SUBSCRIPTION_READS_WINDOW_MS: "300" });
  });
  afterAll(async () => app?.close());

  it("writes one access record for the deliveries of a window, with every subject, under the subscriber's key", async () => {
    const T = await app.tenant();
    const key = await app.apiKey(T, ["TICKETS_READ"]);
    const keyId = (await app.database.prisma.apiKey.findFirstOrThrow({ where: { tenantId: T.id } })).id;
    const sub = subscribeFromStart(app, key, READS);
    // Both tickets are created at once, so that both events usually fall into one window; two windows are fine too.
    const [rita, tom] = await Promise.all([createTicket(app, T, "Rita"), createTicket(app, T, "Tom")]);
    await until(() => sub.received.length === 2, 10_000, "both events delivered");
    await until(
      async () => (await readRecords(app, T)).flatMap((r) => Object.keys(r.details.subjects)).length === 2,
      10_000,
      "the records",
    );

    const records = await readRecords(app, T);
    for (const r of records) {
      expect(r).toMatchObject({ actorType: "API_KEY", actorId: keyId });
      expect(r.details).toMatchObject({ rootFields: ["ticketEvents"], subscription: true });
      expect(Date.parse(r.details.from)).toBeLessThanOrEqual(Date.parse(r.details.to));
    }
    expect(records.reduce((n, r) => n + r.details.deliveries, 0)).toBe(2);
    // The same subscription: one request id for all its records.
    expect(new Set(records.map((r) => r.requestId)).size).toBe(1);
    const subjects = Object.assign({}, ...records.map((r) => r.details.subjects));
    expect(subjects).toEqual({
      [rita]: { type: "Contact", categories: ["user.content.message", "user.name"] },
      [tom]: { type: "Contact", categories: ["user.content.message", "user.name"] },
    });
    // Found by subject, as a query's reads are.
    const bySubject = await app.gql(
      `query($s: ID!) { auditLog(filter: { subjectId: $s, action: "personalData.read" }) { totalCount } }`,
      {
        s: Buffer.from(`Contact:${tom}`).toString("base64"),
      },
      T.ownerToken,
    );
    expect(bySubject.data?.auditLog.totalCount).toBe(1);

    // A window closes and the next delivery opens another: one more record, for Mia only.
    const mia = await createTicket(app, T, "Mia");
    await until(async () => (await readRecords(app, T)).some((r) => r.details.subjects[mia]), 10_000, "Mia's record");
    const last = (await readRecords(app, T)).find((r) => r.details.subjects[mia]);
    expect(Object.keys(last.details.subjects)).toEqual([mia]);
    expect(last.details.deliveries).toBe(1);
    await sub.client.dispose();
  });

  it("writes a record for each of alike subscriptions, which share their deliveries' execution", async () => {
    const T = await app.tenant();
    const key = await app.apiKey(T, ["TICKETS_READ"]);
    // The same key, document and variables: an event is executed once for both (src/graphql/engine.ts).
    const subs = [subscribeFromStart(app, key, READS), subscribeFromStart(app, key, READS)];
    const rita = await createTicket(app, T, "Rita");
    await until(() => subs.every((s) => s.received.length === 1), 10_000, "the event, to both");
    await until(async () => (await readRecords(app, T)).length === 2, 10_000, "both records");
    const records = await readRecords(app, T);
    expect(new Set(records.map((r) => r.requestId)).size).toBe(2);
    for (const r of records) expect(Object.keys(r.details.subjects)).toEqual([rita]);
    for (const s of subs) await s.client.dispose();
  });

  it("writes nothing for a subscription that reads no personal data", async () => {
    const T = await app.tenant();
    const key = await app.apiKey(T, ["TICKETS_READ"]);
    const sub = subscribeFromStart(app, key, `subscription($after: String) { ticketEvents(after: $after) { seq type ticketId } }`);
    await createTicket(app, T, "Rita");
    await until(() => sub.received.length >= 1, 10_000, "the events");
    await sub.client.dispose();
    // The creation's own answer read no one's data either (its requester's id only).
    expect(await readRecords(app, T)).toEqual([]);
  });
});

describe("a subscription's reads of personal data, with a long window", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ SUBSCRIPTION_READS_WINDOW_MS: "3600000" });
  });
  afterAll(async () => app?.close());

  it("writes the window's record when the subscriber leaves", async () => {
    const T = await app.tenant();
    const key = await app.apiKey(T, ["TICKETS_READ"]);
    const sub = subscribeFromStart(app, key, READS);
    const rita = await createTicket(app, T, "Rita");
    await until(() => sub.received.length === 1, 10_000, "the event");
    expect(await readRecords(app, T)).toEqual([]);
    await sub.client.dispose();
    await until(async () => (await readRecords(app, T)).length === 1, 10_000, "the record");
    expect(Object.keys((await readRecords(app, T))[0].details.subjects)).toEqual([rita]);
  });

  it("writes an open subscription's record when the server shuts down", async () => {
    const T = await app.tenant();
    const key = await app.apiKey(T, ["TICKETS_READ"]);
    const sub = subscribeFromStart(app, key, READS);
    const rita = await createTicket(app, T, "Rita");
    await until(() => sub.received.length === 1, 10_000, "the event");
    await app.server.close();
    // The app's close() closes the database later; its server is closed already.
    (app.server as { close: () => Promise<void> }).close = async () => {};
    const rows = await app.database.prisma.auditEntry.findMany({ where: { tenantId: T.id, action: "personalData.read" } });
    expect(rows.map((r) => r.subjectIds)).toEqual([[rita]]);
    await sub.client.dispose();
  });
});
