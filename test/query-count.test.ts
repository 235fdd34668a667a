import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

const PAGE = `query($n: Int!) {
  tickets(first: $n) {
    totalCount
    edges { node { id number subject requester { name email organization { name } } assignee { name } tags { name } lastMessage { body authorAgent { name } } } }
  }
}`;

beforeAll(async () => {
  // No background polling: only this request's statements are counted.
  app = await startApp({ EVENT_POLL_MS: "600000" });
  t = await app.tenant();
  const agents = [await app.agent(t, "AGENT"), await app.agent(t, "AGENT")];
  const org = await app.gql(`mutation { createOrganization(input: { name: "Big Co" }) { id } }`, {}, t.ownerToken);
  for (let i = 0; i < 60; i++) {
    const created = await app.gql(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
      {
        i: {
          subject: `Ticket ${i}`,
          body: "first",
          requester: { name: `Person ${i}`, email: `p${i}@example.com`, organizationId: i % 2 ? org.data.createOrganization.id : null },
          assigneeId: agents[i % 2]!.id,
          tags: [`t${i % 5}`, `u${i % 3}`],
        },
      },
      t.ownerToken,
    );
    await app.gql(`mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "reply" }) { id } }`, { id: created.data.createTicket.id }, t.ownerToken);
  }
});
afterAll(() => app?.close());

/**
 * The statements one request sends. Background work (the webhook worker's idle
 * poll) shares the counter, so the fewest of three runs is the request's own.
 */
async function statementsFor(first: number): Promise<number> {
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = app.database.queryCount;
    const r = await app.gql(PAGE, { n: first }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.tickets.edges).toHaveLength(first);
    counts.push(app.database.queryCount - before);
  }
  return Math.min(...counts);
}

describe("a page of tickets with requester, assignee, tags and last message", () => {
  it("costs a bounded number of SQL statements, whatever the page size", async () => {
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);
    expect(fifty).toBe(five);
    // (the session is served from the credential cache: no look-up) tickets, count, requesters, organizations, assignees, ticket tags, tags, last messages, their authors,
    // and one audit append for the requesters' data read (lock the head, insert, move the head, commit)
    expect(fifty).toBeLessThanOrEqual(16);
  });
});
