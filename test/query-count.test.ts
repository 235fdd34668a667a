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
    await app.gql(
      `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "reply" }) { id } }`,
      { id: created.data.createTicket.id },
      t.ownerToken,
    );
  }
});
afterAll(() => app?.close());

/** A statement of the page: one that touches a table the page reads (the audit append touches none). */
const touchesPage = (sql: string) => /"(Ticket|TicketTag|Tag|Contact|Organization|Agent|Message)"/.test(sql);

/** `sent` minus one occurrence of each of `others`. */
function without(sent: string[], others: string[]): string[] {
  const rest = [...sent];
  for (const sql of others) {
    const at = rest.indexOf(sql);
    if (at >= 0) rest.splice(at, 1);
  }
  return rest;
}

/**
 * The statements one request sends. Background work (the webhook worker's idle
 * poll) shares the log, so the shortest of three runs is the request's own.
 */
async function statementsFor(
  query: string,
  variables: Record<string, unknown> | (() => Record<string, unknown>) = {},
  check: (data: any) => void = () => {},
): Promise<string[]> {
  let fewest: string[] | undefined;
  for (let i = 0; i < 3; i++) {
    const before = app.database.queryCount;
    const r = await app.gql(query, typeof variables === "function" ? variables() : variables, t.ownerToken);
    expect(r.errors).toBeUndefined();
    check(r.data);
    const sent = app.database.statementsSince(before);
    if (!fewest || sent.length < fewest.length) fewest = sent;
  }
  return fewest!;
}

/** One page's statements, all of them. */
const pageRequest = (first: number) =>
  statementsFor(PAGE, { n: first }, (data) => {
    expect(data.tickets.edges).toHaveLength(first);
    expect(data.tickets.totalCount).toBe(60);
  });

/** The page's own statements: what it sends minus what any request with the same token sends (the authentication lookup). */
async function pageStatements(first: number): Promise<string[]> {
  const authentication = await statementsFor(`{ __typename }`);
  return without(await pageRequest(first), authentication).filter(touchesPage);
}

describe("a page of tickets with requester, assignee, tags and last message", () => {
  it.each([5, 50])("reads its rows in one statement and counts them in another (first: %i)", async (first) => {
    const page = await pageStatements(first);
    const [rows, counts] = [page.filter((sql) => !sql.includes("COUNT(")), page.filter((sql) => sql.includes("COUNT("))];
    expect([rows.length, counts.length]).toEqual([1, 1]);
    // Every relation of the page, the last message and its author included, is a join of the rows statement.
    for (const table of ["Ticket", "Contact", "Organization", "Agent", "TicketTag", "Tag", "Message"])
      expect(rows[0]).toContain(`"public"."${table}"`);
    expect(counts[0]).toContain(`"public"."Ticket"`);
  });

  it("costs the same number of SQL statements, whatever the page size", async () => {
    const five = await pageRequest(5);
    const fifty = await pageRequest(50);
    expect(fifty.length).toBe(five.length);
    // The session comes from the credential cache, and the audit entry is numbered after the response
    // (background work, not counted): the page's rows, their count, and one insert of the access record.
    expect(fifty).toHaveLength(3);
    expect(fifty[2]).toMatch(/^\s*INSERT INTO "AuditEntry"/);
  });
});

describe("the page's count", () => {
  /** The COUNT statements and the rows statements one request of the page sends. */
  async function countsAndRows(query: string, variables: Record<string, unknown>, check: (data: any) => void) {
    const sent = (await statementsFor(query, variables, check)).filter(touchesPage);
    return [sent.filter((sql) => sql.includes("COUNT(")).length, sent.filter((sql) => !sql.includes("COUNT(")).length];
  }

  it("is sent with the rows only when the page asks for totalCount, directly, through a fragment or not skipped", async () => {
    const edges = (data: any) => expect(data.tickets.edges).toHaveLength(5);
    const counted = (data: any) => {
      edges(data);
      expect(data.tickets.totalCount).toBe(60);
    };
    const skippable = `query($s: Boolean!) { tickets(first: 5) { totalCount @skip(if: $s) edges { node { id } } } }`;
    const fragment = `query { tickets(first: 5) { ...Counted edges { node { id } } } } fragment Counted on QueryTicketsConnection { totalCount }`;
    expect(await countsAndRows(`{ tickets(first: 5) { edges { node { id } } } }`, {}, edges)).toEqual([0, 1]);
    expect(await countsAndRows(skippable, { s: true }, edges)).toEqual([0, 1]);
    expect(await countsAndRows(skippable, { s: false }, counted)).toEqual([1, 1]);
    expect(await countsAndRows(fragment, {}, counted)).toEqual([1, 1]);
    // Only the count: no rows at all.
    expect(await countsAndRows(`{ tickets(first: 5) { totalCount } }`, {}, (data) => expect(data.tickets.totalCount).toBe(60))).toEqual([
      1, 0,
    ]);
  });

  it("counts what the filter selects, whatever the page's cursor", async () => {
    // Tags t0…t4 go round the 60 tickets: 12 carry t1.
    const first = await app.gql(`{ tickets(first: 5, filter: { tag: "t1" }) { totalCount edges { cursor } } }`, {}, t.ownerToken);
    expect(first.data.tickets.totalCount).toBe(12);
    const after = first.data.tickets.edges.at(-1).cursor;
    const next = await app.gql(
      `query($a: String!) { tickets(first: 5, after: $a, filter: { tag: "t1" }) { totalCount edges { node { id } } } }`,
      { a: after },
      t.ownerToken,
    );
    expect(next.errors).toBeUndefined();
    expect(next.data.tickets.totalCount).toBe(12);
    expect(next.data.tickets.edges).toHaveLength(5);
  });
});

describe("createTicket", () => {
  it("writes the ticket, its first message, their events and its number in one statement, without a transaction or a tenant lock", async () => {
    const contact = await app.gql(`{ contacts(first: 1) { edges { node { id } } } }`, {}, t.ownerToken);
    const requesterId = contact.data.contacts.edges[0].node.id;
    let n = 0;
    const sent = await statementsFor(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id number subject status requester { name } } }`,
      () => ({
        i: { subject: `Counted ${n++}`, body: "b", requesterId },
      }),
    );
    // The one insert (which checks the requester itself), the payload's read-back and the audit entry's insert.
    expect(sent, sent.join("\n---\n")).toHaveLength(3);
    expect(sent.filter((sql) => /^\s*(BEGIN|COMMIT)/.test(sql))).toEqual([]);
    // The insert is deskgraph_insert_ticket's statement (migration 0043), the only one that writes:
    // the tenant's next number, the ticket, its first message and both events, in their order.
    expect(sent.filter((sql) => /deskgraph_insert_ticket\(/.test(sql))).toHaveLength(1);
    expect(sent.some((sql) => /"Tenant"/.test(sql) && /UPDATE|FOR (NO KEY )?UPDATE/.test(sql))).toBe(false);
    const { prisma } = app.database;
    const last = await prisma.ticket.findFirstOrThrow({
      where: { tenantId: t.id, subject: `Counted ${n - 1}` },
      include: { messages: true },
    });
    expect(last.number).toBe((await prisma.ticketCounter.findUniqueOrThrow({ where: { tenantId: t.id } })).last);
    expect(last.messages.map((m) => m.body)).toEqual(["b"]);
    const events = await prisma.event.findMany({ where: { tenantId: t.id, ticketId: last.id }, orderBy: { appendOrder: "asc" } });
    expect(events.map((e) => [e.type, e.messageId])).toEqual([
      ["TICKET_CREATED", null],
      ["MESSAGE_ADDED", last.messages[0]!.id],
    ]);
  });

  it("with a new requester and tags, sends one transaction", async () => {
    let n = 0;
    const sent = await statementsFor(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id number } }`, () => ({
      i: { subject: `Tagged ${n}`, body: "b", requester: { name: `New ${n}`, email: `new${n++}@example.com` }, tags: ["x", "y"] },
    }));
    expect(sent.filter((sql) => /COMMIT/.test(sql))).toHaveLength(1);
    expect(sent.some((sql) => /"Tenant"/.test(sql) && /UPDATE|FOR (NO KEY )?UPDATE/.test(sql))).toBe(false);
    // Both tags in two statements: the missing ones made, then the ticket's links. In all: the number,
    // the email's check and the new contact, the ticket, the two for tags, COMMIT, the read-back, the audit entry.
    expect(sent.filter((sql) => /"Tag"/.test(sql))).toHaveLength(2);
    expect(sent, sent.join("\n---\n")).toHaveLength(9);
  });
});
