import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planCacheContents, planCacheCounters } from "../src/db/plan-cache.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

const PAGE = `{ tickets(first: 20) { totalCount edges { node { number subject requester { name } tags { name } lastMessage { body } } } } }`;
const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id number } }`;

beforeAll(async () => {
  app = await startApp({ EVENT_POLL_MS: "600000" });
  t = await app.tenant();
  await app.gql(
    CREATE,
    { i: { subject: "First", body: "b", requester: { name: "Ann", email: "ann@example.com" }, tags: ["a"] } },
    t.ownerToken,
  );
});
afterAll(() => app?.close());

describe("query plans of reads", () => {
  it("are compiled once for a request sent again, and still read the rows as they are now", async () => {
    const first = await app.gql(PAGE, {}, t.ownerToken);
    expect(first.data.tickets.totalCount).toBe(1);

    const before = planCacheCounters();
    const again = await app.gql(PAGE, {}, t.ownerToken);
    const after = planCacheCounters();
    expect(again.data).toEqual(first.data);
    // The page's rows and count come from plans compiled for the first request.
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(2);

    // A cached plan holds no rows: a ticket created since is on the next page, the new tag too.
    await app.gql(
      CREATE,
      { i: { subject: "Second", body: "c", requester: { name: "Bo", email: "bo@example.com" }, tags: ["b"] } },
      t.ownerToken,
    );
    const later = await app.gql(PAGE, {}, t.ownerToken);
    expect(later.data.tickets.totalCount).toBe(2);
    expect(later.data.tickets.edges.map((e: any) => [e.node.subject, e.node.requester.name, e.node.tags[0].name]).sort()).toEqual([
      ["First", "Ann", "a"],
      ["Second", "Bo", "b"],
    ]);
  });

  it("are shared by requests that differ only in ids, such as another tenant's, each reading its own rows", async () => {
    const other = await app.tenant();
    const before = planCacheCounters();
    const theirs = await app.gql(PAGE, {}, other.ownerToken);
    // The other tenant's page reuses the plans compiled for ours, with its own tenant id in them.
    expect(planCacheCounters().reused - before.reused).toBeGreaterThanOrEqual(2);
    expect(theirs.data.tickets.totalCount).toBe(0);
    const ours = await app.gql(PAGE, {}, t.ownerToken);
    expect(ours.data.tickets.totalCount).toBe(2);
  });

  it("read each request's own record when only the id differs", async () => {
    const TICKET = `query($id: ID!) { ticket(id: $id) { subject requester { name } } }`;
    const ids = (await app.gql(`{ tickets(first: 2) { edges { node { id subject } } } }`, {}, t.ownerToken)).data.tickets.edges.map(
      (e: any) => [e.node.id, e.node.subject],
    );
    await app.gql(TICKET, { id: ids[0][0] }, t.ownerToken);
    // Reads of the background work the tickets' events started would be counted too.
    await app.consumed();
    const before = planCacheCounters();
    const second = await app.gql(TICKET, { id: ids[1][0] }, t.ownerToken);
    expect(planCacheCounters().compiled - before.compiled).toBe(0);
    expect(second.data.ticket.subject).toBe(ids[1][1]);
    const first = await app.gql(TICKET, { id: ids[0][0] }, t.ownerToken);
    expect(first.data.ticket.subject).toBe(ids[0][1]);
  });

  it("are not shared between requests that differ in a value other than an id", async () => {
    await app.gql(`{ tickets(first: 1) { edges { node { id } } } }`, {}, t.ownerToken);
    await app.consumed();
    const before = planCacheCounters();
    const two = await app.gql(`{ tickets(first: 2) { edges { node { id } } } }`, {}, t.ownerToken);
    expect(planCacheCounters().compiled - before.compiled).toBeGreaterThanOrEqual(1);
    expect(two.data.tickets.edges).toHaveLength(2);
  });
});

describe("raw statements", () => {
  it("sent again with other values of the same types reuse the plan and run with their own values", async () => {
    const requester = (await app.gql(`mutation { createContact(input: { name: "Raw" }) { id } }`, {}, t.ownerToken)).data.createContact.id;
    const create = (subject: string) =>
      app.gql(
        `mutation($i: CreateTicketInput!) { createTicket(input: $i) { number subject requester { name } } }`,
        { i: { subject, body: `body of ${subject}`, requesterId: requester } },
        t.ownerToken,
      );
    await create("warm");
    await app.consumed();
    const before = planCacheCounters();
    const [one, two] = [await create("one"), await create("two")];
    const after = planCacheCounters();
    // createTicket's insert (raw SQL, one statement) and its audit entry came from kept plans.
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(4);
    expect(one.data.createTicket.subject).toBe("one");
    expect(two.data.createTicket.subject).toBe("two");
    expect(two.data.createTicket.number).toBe(one.data.createTicket.number + 1);
    const rows = await app.database.prisma.message.findMany({
      where: { ticket: { subject: { in: ["one", "two"] }, tenantId: t.id } },
      select: { body: true, ticket: { select: { subject: true } } },
    });
    expect(rows.map((m) => [m.ticket.subject, m.body]).sort()).toEqual([
      ["one", "body of one"],
      ["two", "body of two"],
    ]);
  });

  it("are kept without their values, which may be personal data", async () => {
    const requester = (await app.gql(`mutation { createContact(input: { name: "Kept" }) { id } }`, {}, t.ownerToken)).data.createContact.id;
    for (const n of [1, 2]) {
      const r = await app.gql(
        `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
        { i: { subject: `Private subject ${n}`, body: `Private body ${n}`, requesterId: requester } },
        t.ownerToken,
      );
      expect(r.errors).toBeUndefined();
    }
    await app.consumed();
    // A statement kept for the first time here, from these very values.
    for (const n of [1, 2]) await app.database.prisma.$queryRawUnsafe("SELECT length($1::text) AS kept_values_probe", `Private note ${n}`);
    const kept = planCacheContents();
    // Kept as a plan (its SQL), not as a statement to compile every time.
    expect(kept).toContain('"sql":"SELECT length($1::text) AS kept_values_probe"');
    expect(kept).toContain("INSERT INTO");
    expect(kept).not.toContain("Private");
    expect(kept).not.toContain(Buffer.from(requester, "base64").toString().split(":")[1]);
  });

  it("are told apart by the types of their values: null, text, numbers, lists, dates", async () => {
    const db = app.database.prisma;
    const run = (v: unknown) => db.$queryRawUnsafe<{ v: string | null }[]>("SELECT $1::text AS v", v);
    const values: unknown[] = [null, "text", 7, 2 ** 40, 1.5, new Date("2026-01-02T03:04:05Z")];
    const first = await Promise.all(values.map(async (v) => (await run(v))[0]!.v));
    const again = await Promise.all(values.map(async (v) => (await run(v))[0]!.v));
    expect(again).toEqual(first);
    expect(first.slice(0, 5)).toEqual([null, "text", "7", String(2 ** 40), "1.5"]);
    expect(first[5]).toMatch(/^2026-01-02/);
    // The same statement with a null in one place, then in two: a plan for each, each value of its own type.
    const three = (a: string | null, b: string | null, c: string | null) =>
      db.$queryRawUnsafe<{ a: string | null; b: string | null; c: string | null }[]>(
        "SELECT $1::text AS a, $2::text AS b, $3::text AS c -- three_probe",
        a,
        b,
        c,
      );
    expect(await three(null, "x", "x")).toEqual([{ a: null, b: "x", c: "x" }]);
    expect(await three(null, null, "y")).toEqual([{ a: null, b: null, c: "y" }]);
    expect(planCacheContents().match(/-- three_probe",\{/g)).toHaveLength(2);
    const list = (v: unknown[]) => db.$queryRawUnsafe<{ n: number }[]>("SELECT cardinality($1::text[]) AS n", v);
    expect(Number((await list(["a"]))[0]!.n)).toBe(1);
    expect(Number((await list(["a", "b", "c"]))[0]!.n)).toBe(3);
  });
});

describe("writes through the query builder", () => {
  const UPDATE = `mutation($id: ID!, $s: String!, $st: TicketStatus) { updateTicket(id: $id, input: { subject: $s, status: $st }) { subject status updatedAt } }`;
  let requesterId: string;
  beforeAll(async () => {
    requesterId = (await app.gql(`mutation { createContact(input: { name: "Wendy" }) { id } }`, {}, t.ownerToken)).data.createContact.id;
  });
  const ticket = async (subject: string) => {
    const r = await app.gql(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
      { i: { subject, body: "b", requesterId } },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
    return r.data.createTicket.id as string;
  };
  const rowId = (id: string) => decodeGlobalID(id).id;

  it("sent again with other values reuse the plan of their shape, each writing its own values and generated ones", async () => {
    const [a, b, c] = [await ticket("write a"), await ticket("write b"), await ticket("write c")];
    await app.gql(UPDATE, { id: c, s: "write c", st: "OPEN" }, t.ownerToken);
    // A shape's plan is kept the second time it comes.
    await app.gql(UPDATE, { id: a, s: "Secret subject one", st: "PENDING" }, t.ownerToken);
    await app.gql(UPDATE, { id: b, s: "Secret subject two", st: "PENDING" }, t.ownerToken);
    await app.consumed();
    const before = planCacheCounters();
    const third = await app.gql(UPDATE, { id: c, s: "Secret subject three", st: "PENDING" }, t.ownerToken);
    await app.consumed();
    // Nothing compiled: the ticket's update and its event rows, and the work that followed.
    const after = planCacheCounters();
    expect([after.compiled - before.compiled, after.uncached - before.uncached]).toEqual([0, 0]);
    expect(third.data.updateTicket).toMatchObject({ subject: "Secret subject three", status: "PENDING" });

    const ids = [rowId(a), rowId(b), rowId(c)];
    const rows = await app.database.prisma.ticket.findMany({ where: { id: { in: ids } }, orderBy: { subject: "asc" } });
    expect(rows.map((r) => [r.id, r.subject, r.status])).toEqual([
      [ids[0], "Secret subject one", "PENDING"],
      [ids[2], "Secret subject three", "PENDING"],
      [ids[1], "Secret subject two", "PENDING"],
    ]);
    // Each event row has its own generated id, and its own Json data.
    const events = await app.database.prisma.event.findMany({
      where: { ticketId: { in: ids }, type: "TICKET_STATUS_CHANGED" },
      select: { id: true, ticketId: true, data: true },
    });
    expect(events.map((e) => [e.ticketId, e.data]).sort()).toEqual(
      [
        [ids[0], { from: "NEW", to: "PENDING" }],
        [ids[1], { from: "NEW", to: "PENDING" }],
        [ids[2], { from: "NEW", to: "OPEN" }],
        [ids[2], { from: "OPEN", to: "PENDING" }],
      ].sort(),
    );
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    // The shapes are kept, not the values: no subject, no tenant.
    const kept = planCacheContents();
    expect(kept).toContain('UPDATE \\"public\\".\\"Ticket\\" SET \\"subject\\"');
    expect(kept).not.toContain("Secret subject");
    expect(kept).not.toContain(t.id);
  });

  it("generate what the schema generates each time they run: ids and timestamps", async () => {
    const id = await ticket("messages");
    const add = (body: string) =>
      app.gql(
        `mutation($id: ID!, $b: String!) { addMessage(input: { ticketId: $id, body: $b }) { id body createdAt } }`,
        { id, b: body },
        t.ownerToken,
      );
    // The first reply also opens the ticket (another update, another event): the later ones are
    // alike, and their shapes kept from the second of them.
    await add("first");
    await add("second");
    await add("third");
    await app.consumed();
    const before = planCacheCounters();
    const [two, three] = [(await add("fourth")).data.addMessage, (await add("fifth")).data.addMessage];
    await app.consumed();
    // Nothing compiled: the message, the ticket's update and the event rows, and what followed them.
    const after = planCacheCounters();
    expect([after.compiled - before.compiled, after.uncached - before.uncached]).toEqual([0, 0]);
    expect([two.body, three.body]).toEqual(["fourth", "fifth"]);
    expect(two.id).not.toBe(three.id);
    expect(Date.parse(three.createdAt)).toBeGreaterThanOrEqual(Date.parse(two.createdAt));
  });

  it("are told apart by null and by the types of their values", async () => {
    const [a, b] = [await ticket("null a"), await ticket("null b")];
    const agent = encodeGlobalID("Agent", t.ownerId);
    const assign = (id: string, assigneeId: string | null) =>
      app.gql(
        `mutation($id: ID!, $a: ID) { updateTicket(id: $id, input: { assigneeId: $a }) { assignee { id } } }`,
        { id, a: assigneeId },
        t.ownerToken,
      );
    expect((await assign(a, agent)).data.updateTicket.assignee).toEqual({ id: agent });
    expect((await assign(b, null)).data.updateTicket.assignee).toBeNull();
    expect((await assign(b, agent)).data.updateTicket.assignee).toEqual({ id: agent });
    expect((await assign(a, null)).data.updateTicket.assignee).toBeNull();
  });

  it("whose values the compiler rewrites are compiled every time", async () => {
    const db = app.database.prisma;
    const [a, b] = [await ticket("pattern alpha"), await ticket("pattern beta")];
    const solve = (word: string) =>
      db.ticket.updateMany({ where: { tenantId: t.id, subject: { contains: word } }, data: { priority: "HIGH" } });
    expect((await solve("alpha")).count).toBe(1);
    expect((await solve("alpha")).count).toBe(1);
    const before = planCacheCounters();
    expect((await solve("beta")).count).toBe(1);
    expect(planCacheCounters().uncached - before.uncached).toBe(1);
    expect(planCacheContents()).not.toContain("alpha");
    const rows = await db.ticket.findMany({ where: { id: { in: [rowId(a), rowId(b)] } }, select: { priority: true } });
    expect(rows.map((r) => r.priority)).toEqual(["HIGH", "HIGH"]);
  });
});
