import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planCacheCounters } from "../src/db/plan-cache.js";
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
