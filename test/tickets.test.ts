import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const CREATE = `mutation($i: CreateTicketInput!) {
  createTicket(input: $i) {
    id number subject status priority channel
    requester { id name email phone }
    tags { name }
    messages(first: 10) { totalCount edges { node { body internal authorType authorContact { name } } } }
  }
}`;
const UPDATE = `mutation($id: ID!, $i: UpdateTicketInput!) { updateTicket(id: $id, input: $i) { id status solvedAt assignee { id } tags { name } subject priority } }`;
const ADD = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id body internal authorType ticket { status } } }`;

async function newTicket(extra: Record<string, unknown> = {}) {
  const r = await app.gql(
    CREATE,
    {
      i: {
        subject: "Printer on fire",
        body: "It is on fire.",
        requester: { name: "Ada", email: `ada${Math.random()}@example.com` },
        ...extra,
      },
    },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return r.data.createTicket;
}

describe("createTicket", () => {
  it("creates a ticket, its first message and a new requester, numbered per tenant", async () => {
    const a = await newTicket({ tags: ["Billing", "billing", "urgent"], priority: "HIGH", channel: "EMAIL" });
    const b = await newTicket();
    expect(a).toMatchObject({ subject: "Printer on fire", status: "NEW", priority: "HIGH", channel: "EMAIL" });
    expect(a.tags.map((x: any) => x.name)).toEqual(["billing", "urgent"]);
    expect(a.messages.totalCount).toBe(1);
    expect(a.messages.edges[0].node).toMatchObject({
      body: "It is on fire.",
      internal: false,
      authorType: "CONTACT",
      authorContact: { name: "Ada" },
    });
    expect(b.number).toBe(a.number + 1);
    // Another tenant starts its own numbering.
    const other = await app.tenant();
    const c = await app.gql(CREATE, { i: { subject: "x", body: "y", requester: { name: "Z" } } }, other.ownerToken);
    expect(c.data.createTicket.number).toBe(1);
  });

  it("uses an existing requester", async () => {
    const first = await newTicket();
    const r = await app.gql(CREATE, { i: { subject: "Again", body: "Me again", requesterId: first.requester.id } }, t.ownerToken);
    expect(r.data.createTicket.requester.id).toBe(first.requester.id);
  });

  it("numbers a tenant's concurrent creates one apart, each number once", async () => {
    const first = await newTicket();
    const requesterId = first.requester.id;
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) => app.gql(CREATE, { i: { subject: `Together ${i}`, body: "b", requesterId } }, t.ownerToken)),
    );
    for (const r of made) expect(r.errors).toBeUndefined();
    const numbers = made.map((r) => r.data.createTicket.number).sort((a: number, b: number) => a - b);
    expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => first.number + 1 + i));
  });

  it("refuses a requester that is restricted, erased, unknown or another tenant's, and takes no number for it", async () => {
    const first = await newTicket();
    const create = (requesterId: string) => app.gql(CREATE, { i: { subject: "Refused", body: "b", requesterId } }, t.ownerToken);
    const restricted = await newTicket();
    const restrict = `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "accuracy contested") { id } }`;
    expect((await app.gql(restrict, { c: restricted.requester.id }, t.ownerToken)).errors).toBeUndefined();
    const erased = await newTicket();
    const [, erasedId] = Buffer.from(erased.requester.id, "base64").toString().split(":");
    await app.database.prisma.contact.update({ where: { id: erasedId }, data: { erasedAt: new Date() } });
    const other = await app.tenant();
    const elsewhere = await app.gql(CREATE, { i: { subject: "x", body: "y", requester: { name: "Z" } } }, other.ownerToken);
    const unknown = Buffer.from("Contact:00000000-0000-4000-8000-000000000000").toString("base64");

    expect(codes(await create(restricted.requester.id))).toEqual(["PROCESSING_RESTRICTED"]);
    expect(codes(await create(erased.requester.id))).toEqual(["NOT_FOUND"]);
    expect(codes(await create(elsewhere.data.createTicket.requester.id))).toEqual(["NOT_FOUND"]);
    expect(codes(await create(unknown))).toEqual(["NOT_FOUND"]);
    const next = await create(first.requester.id);
    expect(next.errors).toBeUndefined();
    // None of the refused ones took a number: the next ticket follows the last one made.
    expect(next.data.createTicket.number).toBe(erased.number + 1);
  });

  it("refuses both or neither requester, and writes nothing", async () => {
    const before = await app.gql(`{ tickets { totalCount } }`, {}, t.ownerToken);
    const neither = await app.gql(CREATE, { i: { subject: "x", body: "y" } }, t.ownerToken);
    expect(codes(neither)).toEqual(["VALIDATION"]);
    const after = await app.gql(`{ tickets { totalCount } }`, {}, t.ownerToken);
    expect(after.data.tickets.totalCount).toBe(before.data.tickets.totalCount);
  });

  it("rolls back the new requester when the ticket cannot be created", async () => {
    const email = "rollback@example.com";
    const r = await app.gql(
      CREATE,
      {
        i: {
          subject: "x",
          body: "y",
          requester: { name: "Rolled Back", email },
          assigneeId: "QWdlbnQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",
        },
      },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["NOT_FOUND"]);
    const contacts = await app.gql(`query($e: String!) { contacts(filter: { email: $e }) { totalCount } }`, { e: email }, t.ownerToken);
    expect(contacts.data.contacts.totalCount).toBe(0);
  });
});

describe("status lifecycle", () => {
  it("follows the state machine and records solvedAt", async () => {
    const ticket = await newTicket();
    const solved = await app.gql(UPDATE, { id: ticket.id, i: { status: "SOLVED" } }, t.ownerToken);
    expect(solved.data.updateTicket.status).toBe("SOLVED");
    expect(solved.data.updateTicket.solvedAt).toBeTruthy();

    const back = await app.gql(UPDATE, { id: ticket.id, i: { status: "NEW" } }, t.ownerToken);
    expect(codes(back)).toEqual(["INVALID_TRANSITION"]);
    expect(back.errors![0]!.extensions!.allowed).toEqual(["OPEN", "CLOSED"]);

    const reopened = await app.gql(UPDATE, { id: ticket.id, i: { status: "OPEN" } }, t.ownerToken);
    expect(reopened.data.updateTicket).toMatchObject({ status: "OPEN", solvedAt: null });
  });

  it("keeps CLOSED final: no status change, no edit, no message", async () => {
    const ticket = await newTicket();
    await app.gql(UPDATE, { id: ticket.id, i: { status: "CLOSED" } }, t.ownerToken);
    expect(codes(await app.gql(UPDATE, { id: ticket.id, i: { status: "OPEN" } }, t.ownerToken))).toEqual(["TICKET_CLOSED"]);
    expect(codes(await app.gql(UPDATE, { id: ticket.id, i: { subject: "new" } }, t.ownerToken))).toEqual(["TICKET_CLOSED"]);
    expect(codes(await app.gql(ADD, { i: { ticketId: ticket.id, body: "hi" } }, t.ownerToken))).toEqual(["TICKET_CLOSED"]);
  });

  it("opens a NEW ticket on the first public reply, reopens SOLVED on a requester reply, leaves it on a note", async () => {
    const ticket = await newTicket();
    const reply = await app.gql(ADD, { i: { ticketId: ticket.id, body: "On it" } }, t.ownerToken);
    expect(reply.data.addMessage).toMatchObject({ authorType: "AGENT", internal: false, ticket: { status: "OPEN" } });

    await app.gql(UPDATE, { id: ticket.id, i: { status: "SOLVED" } }, t.ownerToken);
    const note = await app.gql(ADD, { i: { ticketId: ticket.id, body: "note to self", internal: true } }, t.ownerToken);
    expect(note.data.addMessage).toMatchObject({ internal: true, ticket: { status: "SOLVED" } });

    const fromRequester = await app.gql(ADD, { i: { ticketId: ticket.id, body: "Still broken", from: "REQUESTER" } }, t.ownerToken);
    expect(fromRequester.data.addMessage).toMatchObject({ authorType: "CONTACT", ticket: { status: "OPEN" } });

    const withStatus = await app.gql(ADD, { i: { ticketId: ticket.id, body: "Waiting for you", status: "PENDING" } }, t.ownerToken);
    expect(withStatus.data.addMessage.ticket.status).toBe("PENDING");
  });

  it("refuses an internal note from the requester", async () => {
    const ticket = await newTicket();
    const r = await app.gql(ADD, { i: { ticketId: ticket.id, body: "x", from: "REQUESTER", internal: true } }, t.ownerToken);
    expect(codes(r)).toEqual(["VALIDATION"]);
  });
});

describe("updateTicket", () => {
  it("assigns, unassigns, retags and renames", async () => {
    const ticket = await newTicket({ tags: ["a", "b"] });
    const agent = await app.agent(t, "AGENT");
    const assigned = await app.gql(
      UPDATE,
      { id: ticket.id, i: { assigneeId: agent.id, tags: ["b", "c"], subject: "Renamed", priority: "URGENT" } },
      t.ownerToken,
    );
    expect(assigned.data.updateTicket).toMatchObject({ assignee: { id: agent.id }, subject: "Renamed", priority: "URGENT" });
    expect(assigned.data.updateTicket.tags.map((x: any) => x.name)).toEqual(["b", "c"]);
    const unassigned = await app.gql(UPDATE, { id: ticket.id, i: { assigneeId: null } }, t.ownerToken);
    expect(unassigned.data.updateTicket.assignee).toBeNull();
  });

  it("refuses a disabled assignee", async () => {
    const ticket = await newTicket();
    const agent = await app.agent(t, "AGENT");
    await app.gql(`mutation($id: ID!) { disableAgent(id: $id) { disabled } }`, { id: agent.id }, t.ownerToken);
    const r = await app.gql(UPDATE, { id: ticket.id, i: { assigneeId: agent.id } }, t.ownerToken);
    expect(codes(r)).toEqual(["VALIDATION"]);
  });
});

describe("tickets query", () => {
  let own: TestTenant;
  beforeAll(async () => {
    own = await app.tenant();
    const org = await app.gql(`mutation { createOrganization(input: { name: "Initech" }) { id } }`, {}, own.ownerToken);
    const orgId = org.data.createOrganization.id;
    const mk = (subject: string, extra: Record<string, unknown>) =>
      app.gql(CREATE, { i: { subject, body: `body of ${subject}`, requester: { name: subject }, ...extra } }, own.ownerToken);
    await mk("alpha stapler", { tags: ["hardware"], priority: "LOW" });
    await mk("beta invoice", { tags: ["billing"], priority: "URGENT", requester: { name: "Peter", organizationId: orgId } });
    await mk("gamma login", { priority: "HIGH" });
  });

  const list = (filter: unknown, orderBy?: unknown, first = 10) =>
    app.gql(
      `query($f: TicketFilter, $o: TicketOrder, $n: Int) { tickets(first: $n, filter: $f, orderBy: $o) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { subject } } } }`,
      { f: filter, o: orderBy, n: first },
      own.ownerToken,
    );
  const subjects = (r: any) => r.data.tickets.edges.map((e: any) => e.node.subject);

  it("filters by tag, priority, text, organization and updatedSince", async () => {
    expect(subjects(await list({ tag: "billing" }))).toEqual(["beta invoice"]);
    expect(subjects(await list({ priority: ["LOW", "HIGH"] }, { field: "NUMBER", direction: "ASC" }))).toEqual([
      "alpha stapler",
      "gamma login",
    ]);
    expect(subjects(await list({ text: "INVOICE" }))).toEqual(["beta invoice"]);
    expect(subjects(await list({ text: "body of gamma" }))).toEqual(["gamma login"]);
    const orgs = await app.gql(`{ organizations(first: 5) { edges { node { id name } } } }`, {}, own.ownerToken);
    const orgId = orgs.data.organizations.edges[0].node.id;
    expect(subjects(await list({ organizationId: orgId }))).toEqual(["beta invoice"]);
    expect((await list({ updatedSince: new Date(Date.now() + 60_000).toISOString() })).data.tickets.totalCount).toBe(0);
    expect((await list({ status: ["NEW"], unassigned: true })).data.tickets.totalCount).toBe(3);
  });

  it("sorts by priority and pages with cursors and a total count", async () => {
    const page1 = await list(null, { field: "PRIORITY", direction: "DESC" }, 2);
    expect(page1.data.tickets.totalCount).toBe(3);
    expect(subjects(page1)).toEqual(["beta invoice", "gamma login"]);
    expect(page1.data.tickets.pageInfo.hasNextPage).toBe(true);
    const page2 = await app.gql(
      `query($a: String) { tickets(first: 2, after: $a, orderBy: { field: PRIORITY, direction: DESC }) { pageInfo { hasNextPage } edges { node { subject } } } }`,
      { a: page1.data.tickets.pageInfo.endCursor },
      own.ownerToken,
    );
    expect(subjects(page2)).toEqual(["alpha stapler"]);
    expect(page2.data.tickets.pageInfo.hasNextPage).toBe(false);
  });

  it("finds a ticket by number or global ID, and NOT_FOUND otherwise", async () => {
    const byNumber = await app.gql(`{ ticket(number: 2) { id subject } }`, {}, own.ownerToken);
    expect(byNumber.data.ticket.subject).toBe("beta invoice");
    const byId = await app.gql(
      `query($id: ID!) { ticket(id: $id) { number } node(id: $id) { id } }`,
      { id: byNumber.data.ticket.id },
      own.ownerToken,
    );
    expect(byId.data.ticket.number).toBe(2);
    expect(byId.data.node.id).toBe(byNumber.data.ticket.id);
    expect(codes(await app.gql(`{ ticket(number: 999) { id } }`, {}, own.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(codes(await app.gql(`{ ticket { id } }`, {}, own.ownerToken))).toEqual(["VALIDATION"]);
  });

  it("lists tags", async () => {
    const r = await app.gql(`{ tags { name } }`, {}, own.ownerToken);
    expect(r.data.tags.map((x: any) => x.name)).toEqual(["billing", "hardware"]);
  });
});
