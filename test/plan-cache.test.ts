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

  it("are never shared between requests that differ in a value, such as another tenant", async () => {
    const other = await app.tenant();
    const theirs = await app.gql(PAGE, {}, other.ownerToken);
    expect(theirs.data.tickets.totalCount).toBe(0);
    const ours = await app.gql(PAGE, {}, t.ownerToken);
    expect(ours.data.tickets.totalCount).toBe(2);
  });
});
