import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id number requester { id } messages(first: 5) { edges { node { id } } } } }`;
const MERGE = `mutation($s: [ID!]!, $t: ID!) { mergeTickets(sourceIds: $s, targetId: $t) {
  id tags { name } followers { contact { name } } messages(first: 20) { totalCount edges { node { body } } } } }`;

let n = 0;
async function ticket(tenant = t, tags: string[] = []) {
  n++;
  const r = await app.gql(
    CREATE,
    {
      i: {
        subject: `Merge ${n}`,
        body: `first of ${n}`,
        requester: { name: `Person ${n}`, email: `p${n}-${Math.random()}@example.com` },
        tags,
      },
    },
    tenant.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return r.data.createTicket;
}
const reply = (ticketId: string, body: string) =>
  app.gql(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body } }, t.ownerToken);

describe("mergeTickets", () => {
  it("moves messages and tags, makes requesters followers, and leaves tombstones that say where they went", async () => {
    const target = await ticket(t, ["a"]);
    const s1 = await ticket(t, ["b"]);
    const s2 = await ticket();
    await reply(s1.id, "second of s1");
    const r = await app.gql(MERGE, { s: [s1.id, s2.id], t: target.id }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    const merged = r.data.mergeTickets;
    expect(merged.messages.totalCount).toBe(4);
    expect(merged.tags.map((x: any) => x.name)).toEqual(["a", "b"]);
    expect(merged.followers.map((f: any) => f.contact.name).sort()).toEqual([`Person ${n - 1}`, `Person ${n}`].sort());
    const tomb = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Ticket { status mergedAt mergedInto { id } messages(first: 1) { totalCount } } } }`,
      { id: s1.id },
      t.ownerToken,
    );
    expect(tomb.data.node).toMatchObject({ status: "CLOSED", mergedInto: { id: target.id }, messages: { totalCount: 0 } });
    expect(tomb.data.node.mergedAt).not.toBeNull();
    // Tombstones are not listed.
    const list = await app.gql(`{ tickets(first: 100) { edges { node { id } } } }`, {}, t.ownerToken);
    const ids = list.data.tickets.edges.map((e: any) => e.node.id);
    expect(ids).toContain(target.id);
    expect(ids).not.toContain(s1.id);
    await app.sequenced(t);
    const feed = await app.gql(
      `{ events(first: 100, filter: { types: [TICKET_MERGED] }) { edges { node { type ticketId } } } }`,
      {},
      t.ownerToken,
    );
    expect(feed.errors).toBeUndefined();
    expect(feed.data.events.edges.map((e: any) => e.node.ticketId).sort()).toEqual([s1.id, s2.id].sort());
  });

  it("refuses merging into itself, into or from a merged ticket, too many sources, and another tenant's tickets, writing nothing", async () => {
    const target = await ticket();
    const source = await ticket();
    const self = await app.gql(MERGE, { s: [target.id], t: target.id }, t.ownerToken);
    expect(codes(self)).toEqual(["VALIDATION"]);
    const other = await app.tenant();
    const foreign = await ticket(other);
    const across = await app.gql(MERGE, { s: [source.id, foreign.id], t: target.id }, t.ownerToken);
    expect(codes(across)).toEqual(["NOT_FOUND"]);
    const intoForeign = await app.gql(MERGE, { s: [source.id], t: foreign.id }, t.ownerToken);
    expect(codes(intoForeign)).toEqual(["NOT_FOUND"]);
    // Nothing was written by the refused merges: the source is still whole.
    const still = await app.gql(
      `query($id: ID!) { ticket(id: $id) { status mergedInto { id } messages(first: 1) { totalCount } } }`,
      { id: source.id },
      t.ownerToken,
    );
    expect(still.data.ticket).toEqual({ status: "NEW", mergedInto: null, messages: { totalCount: 1 } });
    const ok = await app.gql(MERGE, { s: [source.id], t: target.id }, t.ownerToken);
    expect(ok.errors).toBeUndefined();
    const again = await app.gql(MERGE, { s: [source.id], t: target.id }, t.ownerToken);
    expect(codes(again)).toEqual(["CONFLICT"]);
    const intoTomb = await app.gql(MERGE, { s: [target.id], t: source.id }, t.ownerToken);
    expect(codes(intoTomb)).toEqual(["CONFLICT"]);
    const many = await app.gql(MERGE, { s: Array.from({ length: 21 }, () => source.id), t: target.id }, t.ownerToken);
    expect(codes(many)).toEqual(["VALIDATION"]);
  });
});

describe("splitTicket", () => {
  const SPLIT = `mutation($m: ID!) { splitTicket(messageId: $m) { id number subject status requester { id } messages(first: 10) { edges { node { body } } } } }`;

  it("moves the message and every later one into a new ticket of the same requester", async () => {
    const original = await ticket();
    const second = await reply(original.id, "tangent starts");
    await reply(original.id, "tangent continues");
    const r = await app.gql(SPLIT, { m: second.data.addMessage.id }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    const split = r.data.splitTicket;
    expect(split.requester.id).toBe(original.requester.id);
    expect(split.subject).toBe(`Merge ${n} (split from #${original.number})`);
    expect(split.messages.edges.map((e: any) => e.node.body)).toEqual(["tangent starts", "tangent continues"]);
    const left = await app.gql(
      `query($id: ID!) { ticket(id: $id) { messages(first: 10) { edges { node { body } } } } }`,
      { id: original.id },
      t.ownerToken,
    );
    expect(left.data.ticket.messages.edges.map((e: any) => e.node.body)).toEqual([`first of ${n}`]);
  });

  it("refuses to split off the first message", async () => {
    const original = await ticket();
    const r = await app.gql(SPLIT, { m: original.messages.edges[0].node.id }, t.ownerToken);
    expect(codes(r)).toEqual(["VALIDATION"]);
  });
});
