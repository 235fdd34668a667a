import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type GraphQLResponse, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");
const MISSING_UUID = "00000000-0000-4000-8000-000000000000";

const CREATE_TICKET = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id number requester { id } } }`;
const CREATE_CONTACT = `mutation($i: ContactInput!) { createContact(input: $i) { id name email phone locale } }`;
const UPDATE_CONTACT = `mutation($id: ID!, $i: UpdateContactInput!) { updateContact(id: $id, input: $i) { id name email phone locale } }`;
const MERGE = `mutation($s: ID!, $t: ID!) { mergeContacts(sourceId: $s, targetId: $t) { id name email phone locale tickets { totalCount } } }`;
const CONTACT = `query($id: ID!) { contact(id: $id) { id name email phone locale tickets(first: 10) { totalCount edges { node { id } } } } }`;

/** The paths named in a VALIDATION error's extensions.fields. */
const fieldPaths = (r: GraphQLResponse) => (r.errors ?? []).flatMap((e) => (e.extensions?.fields ?? []).map((f: any) => f.path));
const unique = () => Math.random().toString(36).slice(2, 10);
const contact = async (input: Record<string, unknown>) => {
  const r = await app.gql(CREATE_CONTACT, { i: input }, t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.createContact;
};

describe("documents the schema does not accept", () => {
  it("malformed GraphQL is GRAPHQL_PARSE_FAILED", async () => {
    const r = await app.gql(`{ tickets { totalCount `, {}, t.ownerToken);
    expect(codes(r)).toEqual(["GRAPHQL_PARSE_FAILED"]);
    expect(r.data ?? null).toBeNull();
  });

  it("an unknown field is GRAPHQL_VALIDATION_FAILED", async () => {
    const r = await app.gql(`{ tickets { totalCount nonsense } }`, {}, t.ownerToken);
    expect(codes(r)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(r.errors![0]!.message).toContain("nonsense");
  });

  it("an unknown enum value in the variables is VALIDATION", async () => {
    const r = await app.gql(
      `query($f: TicketFilter) { tickets(filter: $f) { totalCount } }`,
      { f: { status: ["OPEN", "MAYBE"] } },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(r.errors![0]!.message).toContain("MAYBE");
  });
});

describe("global IDs", () => {
  const TICKET = `query($id: ID!) { ticket(id: $id) { id } }`;

  it("a malformed ID is VALIDATION, in arguments and in node()", async () => {
    for (const id of [
      "not an id!",
      "",
      Buffer.from("no colon").toString("base64"),
      globalId("Ticket", "42"),
      globalId("Ticket", "'; drop table"),
    ]) {
      expect(codes(await app.gql(TICKET, { id }, t.ownerToken)), id).toEqual(["VALIDATION"]);
      const node = await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, t.ownerToken);
      expect(codes(node), id).toEqual(["VALIDATION"]);
      expect(node.data?.node ?? null).toBeNull();
    }
  });

  it("an ID of another type is VALIDATION", async () => {
    const { id } = await contact({ name: "Not a ticket" });
    const r = await app.gql(TICKET, { id }, t.ownerToken);
    expect(codes(r)).toEqual(["VALIDATION"]);
    const update = await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "x" }) { id } }`, { id }, t.ownerToken);
    expect(codes(update)).toEqual(["VALIDATION"]);
  });

  it("a well-formed ID that does not exist is NOT_FOUND", async () => {
    expect(codes(await app.gql(TICKET, { id: globalId("Ticket", MISSING_UUID) }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(codes(await app.gql(CONTACT, { id: globalId("Contact", MISSING_UUID) }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    const update = await app.gql(UPDATE_CONTACT, { id: globalId("Contact", MISSING_UUID), i: { name: "x" } }, t.ownerToken);
    expect(codes(update)).toEqual(["NOT_FOUND"]);
  });
});

describe("input limits", () => {
  const ticket = (i: Record<string, unknown>) =>
    app.gql(CREATE_TICKET, { i: { subject: "s", body: "b", requester: { name: `Limits ${unique()}` }, ...i } }, t.ownerToken);

  it("subject up to 250 characters, body up to 65536", async () => {
    expect(codes(await ticket({ subject: "s".repeat(250), body: "b".repeat(65_536) }))).toEqual([]);

    const subject = await ticket({ subject: "s".repeat(251) });
    expect(codes(subject)).toEqual(["VALIDATION"]);
    expect(fieldPaths(subject)).toEqual([["input", "subject"]]);

    const body = await ticket({ body: "b".repeat(65_537) });
    expect(codes(body)).toEqual(["VALIDATION"]);
    expect(fieldPaths(body)).toEqual([["input", "body"]]);

    const reply = await app.gql(
      `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
      { i: { ticketId: (await ticket({})).data.createTicket.id, body: "b".repeat(65_537) } },
      t.ownerToken,
    );
    expect(fieldPaths(reply)).toEqual([["input", "body"]]);
  });

  it("names up to 200 characters, on contacts and on a ticket's new requester", async () => {
    expect((await contact({ name: "n".repeat(200) })).name).toHaveLength(200);
    const long = await app.gql(CREATE_CONTACT, { i: { name: "n".repeat(201) } }, t.ownerToken);
    expect(codes(long)).toEqual(["VALIDATION"]);
    expect(fieldPaths(long)).toEqual([["input", "name"]]);
    const requester = await ticket({ requester: { name: "n".repeat(201) } });
    expect(fieldPaths(requester)).toEqual([["input", "requester", "name"]]);
  });

  it("refuses an empty name and a malformed locale", async () => {
    for (const [input, path] of [
      [{ name: "   " }, ["input", "name"]],
      [{ name: "Locale", locale: "English" }, ["input", "locale"]],
    ] as const) {
      const r = await app.gql(CREATE_CONTACT, { i: input }, t.ownerToken);
      expect(codes(r)).toEqual(["VALIDATION"]);
      expect(fieldPaths(r)).toEqual([path]);
    }
  });
});

describe("emails and phone numbers", () => {
  it("refuses an invalid email and an invalid phone number", async () => {
    for (const email of ["plainaddress", "a@b", "two@@example.com", `${"x".repeat(250)}@example.com`]) {
      const r = await app.gql(CREATE_CONTACT, { i: { name: "Bad Email", email } }, t.ownerToken);
      expect(codes(r), email).toEqual(["VALIDATION"]);
      expect(fieldPaths(r), email).toEqual([["input", "email"]]);
    }
    for (const phone of ["12", "+1 000", "call me maybe", "+33 6 12"]) {
      const r = await app.gql(CREATE_CONTACT, { i: { name: "Bad Phone", phone } }, t.ownerToken);
      expect(codes(r), phone).toEqual(["VALIDATION"]);
      expect(fieldPaths(r), phone).toEqual([["input", "phone"]]);
    }
  });

  it("stores phone numbers written in any international notation as E.164", async () => {
    const cases: [string, string][] = [
      ["+33 6 12 34 56 78", "+33612345678"],
      ["+49 (030) 1234567", "+49301234567"],
      ["+1-202-555-0143", "+12025550143"],
      ["  +44 20 7946 0958 ", "+442079460958"],
    ];
    for (const [written, stored] of cases) {
      expect((await contact({ name: `Phone ${unique()}`, phone: written })).phone, written).toBe(stored);
    }
  });

  it("lowercases emails", async () => {
    expect((await contact({ name: "Caps", email: "  Caps.Lock@Example.COM " })).email).toBe("caps.lock@example.com");
  });

  it("refuses a second contact with the same email or phone, in any notation", async () => {
    const existing = await contact({ name: "First", email: `dup-${unique()}@example.com`, phone: "+33 6 98 76 54 32" });
    const sameEmail = await app.gql(CREATE_CONTACT, { i: { name: "Second", email: existing.email.toUpperCase() } }, t.ownerToken);
    expect(codes(sameEmail)).toEqual(["CONFLICT"]);
    expect(fieldPaths(sameEmail)).toEqual([["input", "email"]]);
    // The existing contact comes back by its global ID, which node(id:) takes.
    expect(sameEmail.errors![0]!.extensions!.existingContactId).toBe(existing.id);
    const samePhone = await app.gql(CREATE_CONTACT, { i: { name: "Second", phone: "+33698765432" } }, t.ownerToken);
    expect(codes(samePhone)).toEqual(["CONFLICT"]);
    expect(fieldPaths(samePhone)).toEqual([["input", "phone"]]);

    const other = await contact({ name: "Other" });
    const update = await app.gql(UPDATE_CONTACT, { id: other.id, i: { email: existing.email } }, t.ownerToken);
    expect(codes(update)).toEqual(["CONFLICT"]);
    expect(fieldPaths(update)).toEqual([["input", "email"]]);
    expect((await app.gql(CONTACT, { id: other.id }, t.ownerToken)).data.contact.email).toBeNull();
  });
});

describe("every invalid field at once", () => {
  it("a contact's invalid name, email, phone and locale are reported in one error", async () => {
    const r = await app.gql(CREATE_CONTACT, { i: { name: "n".repeat(201), email: "nope", phone: "12", locale: "English" } }, t.ownerToken);
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(fieldPaths(r)).toEqual([
      ["input", "name"],
      ["input", "email"],
      ["input", "phone"],
      ["input", "locale"],
    ]);
    // The message names them all too.
    for (const field of ["name", "email", "phone", "locale"]) expect(r.errors![0]!.message).toContain(`input.${field}`);
  });

  it("createTicket reports its own fields, its new requester's and each bad tag", async () => {
    const r = await app.gql(
      CREATE_TICKET,
      { i: { subject: " ", body: "b".repeat(65_537), requester: { name: "", email: "a@b" }, tags: ["ok", "not ok!", "fine", "bad tag"] } },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(new Set(fieldPaths(r).map((p: string[]) => p.join(".")))).toEqual(
      new Set(["input.subject", "input.body", "input.requester.name", "input.requester.email", "input.tags.1", "input.tags.3"]),
    );
  });

  it("separate arguments are reported together", async () => {
    const r = await app.gql(`mutation { signIn(tenant: "", email: "not an email", password: "") { token } }`, {});
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(fieldPaths(r)).toEqual([["tenant"], ["email"], ["password"]]);
  });

  it("valid input still reaches the mutation, transformed", async () => {
    const r = await app.gql(
      CREATE_CONTACT,
      { i: { name: " Trim Me ", email: ` All-${unique()}@Example.COM `, phone: "+33 6 12 00 00 01" } },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.createContact).toMatchObject({ name: "Trim Me", phone: "+33612000001" });
    expect(r.data.createContact.email).toMatch(/^all-[a-z0-9]+@example\.com$/);
  });
});

describe("conflicts", () => {
  it("a ticket's new requester whose email and phone exist points at input.requester and names the contact by global ID", async () => {
    const existing = await contact({ name: "Known", email: `known-${unique()}@example.com`, phone: "+33 6 55 44 33 22" });
    const r = await app.gql(
      CREATE_TICKET,
      { i: { subject: "s", body: "b", requester: { name: "Known again", email: existing.email, phone: "+33655443322" } } },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["CONFLICT"]);
    expect(fieldPaths(r)).toEqual([
      ["input", "requester", "email"],
      ["input", "requester", "phone"],
    ]);
    const id = r.errors![0]!.extensions!.existingContactId;
    expect(id).toBe(existing.id);
    const node = await app.gql(`query($id: ID!) { node(id: $id) { ... on Contact { name } } }`, { id }, t.ownerToken);
    expect(node.data.node).toEqual({ name: "Known" });
  });

  it("an organization name already in use names the organization by global ID", async () => {
    const ORG = `mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }`;
    const name = `Org ${unique()}`;
    const first = await app.gql(ORG, { i: { name } }, t.ownerToken);
    const again = await app.gql(ORG, { i: { name } }, t.ownerToken);
    expect(codes(again)).toEqual(["CONFLICT"]);
    expect(fieldPaths(again)).toEqual([["input", "name"]]);
    expect(again.errors![0]!.extensions!.existingOrganizationId).toBe(first.data.createOrganization.id);
  });
});

describe("query limits", () => {
  let limited: TestApp;
  let lt: TestTenant;
  beforeAll(async () => {
    limited = await startApp({ MAX_QUERY_DEPTH: "6", MAX_QUERY_COMPLEXITY: "400" });
    lt = await limited.tenant();
  });
  afterAll(() => limited?.close());

  it("refuses a query deeper than MAX_QUERY_DEPTH", async () => {
    const ok = await limited.gql(`{ tickets(first: 1) { edges { node { requester { name } } } } }`, {}, lt.ownerToken);
    expect(codes(ok)).toEqual([]);
    const deep = await limited.gql(
      `{ tickets(first: 1) { edges { node { requester { tickets(first: 1) { edges { node { id } } } } } } } }`,
      {},
      lt.ownerToken,
    );
    expect(codes(deep)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(deep.errors![0]!.extensions).toMatchObject({ kind: "DEPTH", max: 6 });
    expect(deep.data ?? null).toBeNull();
  });

  it("refuses a query costlier than MAX_QUERY_COMPLEXITY", async () => {
    const cheap = await limited.gql(`{ tickets(first: 5) { edges { node { id subject tags { name } } } } }`, {}, lt.ownerToken);
    expect(codes(cheap)).toEqual([]);
    const costly = await limited.gql(`{ tickets(first: 100) { edges { node { id subject tags { name } } } } }`, {}, lt.ownerToken);
    expect(codes(costly)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(costly.errors![0]!.extensions).toMatchObject({ kind: "COMPLEXITY", max: 400 });
    expect(costly.errors![0]!.extensions!.actual).toBeGreaterThan(400);
  });

  it("counts page sizes given in variables too", async () => {
    const q = `query($n: Int) { tickets(first: $n) { edges { node { id subject tags { name } } } } }`;
    expect(codes(await limited.gql(q, { n: 5 }, lt.ownerToken))).toEqual([]);
    expect(codes(await limited.gql(q, { n: 100 }, lt.ownerToken))).toEqual(["QUERY_TOO_COMPLEX"]);
  });
});

describe("failed mutations write nothing", () => {
  it("mergeContacts into a missing target leaves the source and its tickets alone", async () => {
    const source = await contact({ name: "Source", email: `source-${unique()}@example.com` });
    const ticket = (await app.gql(CREATE_TICKET, { i: { subject: "Mine", body: "b", requesterId: source.id } }, t.ownerToken)).data
      .createTicket;
    const r = await app.gql(MERGE, { s: source.id, t: globalId("Contact", MISSING_UUID) }, t.ownerToken);
    expect(codes(r)).toEqual(["NOT_FOUND"]);
    const after = await app.gql(CONTACT, { id: source.id }, t.ownerToken);
    expect(after.data.contact).toMatchObject({
      id: source.id,
      email: source.email,
      tickets: { totalCount: 1, edges: [{ node: { id: ticket.id } }] },
    });
  });

  it("createTicket with a bad assignee creates no contact and uses no ticket number", async () => {
    const first = (await app.gql(CREATE_TICKET, { i: { subject: "a", body: "b", requester: { name: `Seq ${unique()}` } } }, t.ownerToken))
      .data.createTicket;
    const email = `ghost-${unique()}@example.com`;
    const cases: [string, string][] = [
      [globalId("Agent", MISSING_UUID), "NOT_FOUND"],
      [(await disabledAgent()).id, "VALIDATION"],
    ];
    for (const [assigneeId, code] of cases) {
      const r = await app.gql(
        CREATE_TICKET,
        { i: { subject: "x", body: "y", requester: { name: "Ghost", email }, assigneeId } },
        t.ownerToken,
      );
      expect(codes(r)).toEqual([code]);
      expect(r.data).toBeNull();
    }
    const found = await app.gql(`query($e: String!) { contacts(filter: { email: $e }) { totalCount } }`, { e: email }, t.ownerToken);
    expect(found.data.contacts.totalCount).toBe(0);
    const next = (await app.gql(CREATE_TICKET, { i: { subject: "c", body: "d", requester: { name: "Ghost", email } } }, t.ownerToken)).data
      .createTicket;
    expect(next.number).toBe(first.number + 1);
  });

  async function disabledAgent() {
    const agent = await app.agent(t, "AGENT");
    await app.gql(`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: agent.id }, t.ownerToken);
    return agent;
  }
});

describe("x-request-id", () => {
  it("is on every response, unique per request", async () => {
    const responses = [
      await app.gql(`{ viewer { kind } }`, {}, t.ownerToken),
      await app.gql(`{ tickets {`, {}, t.ownerToken),
      await app.gql(`{ tickets { totalCount } }`),
      await app.gql(`{ viewer { kind } }`, {}, t.ownerToken),
    ];
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    for (const id of ids) expect(id).toMatch(/^[\w.:-]{8,100}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("echoes a valid one the client sent, and replaces an invalid one", async () => {
    const mine = await app.gql(`{ viewer { kind } }`, {}, t.ownerToken, { "x-request-id": "frontend:42.retry-1" });
    expect(mine.headers.get("x-request-id")).toBe("frontend:42.retry-1");
    for (const bad of ["has spaces in it", "x".repeat(101), "new\\nline"]) {
      const r = await app.gql(`{ viewer { kind } }`, {}, t.ownerToken, { "x-request-id": bad });
      expect(r.headers.get("x-request-id")).not.toBe(bad);
      expect(r.headers.get("x-request-id")).toMatch(/^[\w.:-]{8,100}$/);
    }
  });
});

describe("contacts", () => {
  it("creates, reads, lists and updates a contact; null clears a field, omitted keeps it", async () => {
    const email = `grace-${unique()}@example.com`;
    const created = await contact({ name: "Grace Hopper", email, phone: "+1 202 555 0199", locale: "en" });
    expect(created).toMatchObject({ name: "Grace Hopper", email, phone: "+12025550199", locale: "en" });
    expect((await app.gql(CONTACT, { id: created.id }, t.ownerToken)).data.contact).toMatchObject({
      name: "Grace Hopper",
      email,
      tickets: { totalCount: 0 },
    });
    const listed = await app.gql(
      `query($e: String!) { contacts(filter: { text: $e }) { totalCount edges { node { id } } } }`,
      { e: email.toUpperCase() },
      t.ownerToken,
    );
    expect(listed.data.contacts.edges.map((e: any) => e.node.id)).toEqual([created.id]);

    const renamed = await app.gql(
      UPDATE_CONTACT,
      { id: created.id, i: { name: "Admiral Hopper", phone: null, locale: "fr-BE" } },
      t.ownerToken,
    );
    expect(renamed.data.updateContact).toEqual({ id: created.id, name: "Admiral Hopper", email, phone: null, locale: "fr-BE" });
    const bad = await app.gql(UPDATE_CONTACT, { id: created.id, i: { phone: "nope" } }, t.ownerToken);
    expect(fieldPaths(bad)).toEqual([["input", "phone"]]);
  });

  it("mergeContacts moves tickets and messages, fills the target's missing details and deletes the source", async () => {
    const sourceEmail = `old-${unique()}@example.com`;
    const source = await contact({ name: "Old Me", email: sourceEmail, phone: "+33 6 11 22 33 44", locale: "fr" });
    const target = await contact({ name: "New Me", locale: "en" });
    const ticket = (await app.gql(CREATE_TICKET, { i: { subject: "Help", body: "from the source", requesterId: source.id } }, t.ownerToken))
      .data.createTicket;
    await app.gql(
      `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
      { i: { ticketId: ticket.id, body: "again", from: "REQUESTER" } },
      t.ownerToken,
    );

    const merged = await app.gql(MERGE, { s: source.id, t: target.id }, t.ownerToken);
    expect(merged.errors).toBeUndefined();
    // The target keeps its own name and locale and gains the email and phone it lacked.
    expect(merged.data.mergeContacts).toEqual({
      id: target.id,
      name: "New Me",
      email: sourceEmail,
      phone: "+33611223344",
      locale: "en",
      tickets: { totalCount: 1 },
    });

    const moved = await app.gql(
      `query($id: ID!) { ticket(id: $id) { requester { id } messages { edges { node { authorType authorContact { id } } } } } }`,
      { id: ticket.id },
      t.ownerToken,
    );
    expect(moved.data.ticket.requester.id).toBe(target.id);
    expect(moved.data.ticket.messages.edges.map((e: any) => e.node.authorContact?.id)).toEqual([target.id, target.id]);

    expect(codes(await app.gql(CONTACT, { id: source.id }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(codes(await app.gql(MERGE, { s: source.id, t: target.id }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    const byEmail = await app.gql(
      `query($e: String!) { contacts(filter: { email: $e }) { edges { node { id } } } }`,
      { e: sourceEmail },
      t.ownerToken,
    );
    expect(byEmail.data.contacts.edges).toEqual([{ node: { id: target.id } }]);
  });

  it("refuses to merge a contact into itself", async () => {
    const c = await contact({ name: "Solo" });
    const r = await app.gql(MERGE, { s: c.id, t: c.id }, t.ownerToken);
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect((await app.gql(CONTACT, { id: c.id }, t.ownerToken)).data.contact.name).toBe("Solo");
  });
});
