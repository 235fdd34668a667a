import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const FIELD = `mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { id key type options active requiredOnSolve personalData } }`;
const VALUES = `customFields { key __typename
  ... on TextFieldValue { text } ... on NumberFieldValue { number } ... on DateFieldValue { date }
  ... on BooleanFieldValue { boolean } ... on SingleSelectFieldValue { option } ... on MultiSelectFieldValue { options } }`;
const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id number ${VALUES} } }`;
const UPDATE = `mutation($id: ID!, $i: UpdateTicketInput!) { updateTicket(id: $id, input: $i) { id status ${VALUES} } }`;

async function field(i: Record<string, unknown>, tenant = t) {
  const r = await app.gql(FIELD, { i }, tenant.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.createCustomField;
}

let contactId: string;
async function ticket(customFields: unknown[] = [], subject = "Broken") {
  const r = await app.gql(CREATE, { i: { subject, body: "x", requesterId: contactId, customFields } }, t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.createTicket;
}

beforeAll(async () => {
  const c = await app.gql(`mutation { createContact(input: { name: "Cf Person", email: "cf@example.com" }) { id } }`, {}, t.ownerToken);
  contactId = c.data.createContact.id;
  await field({ entity: "TICKET", key: "order_no", label: "Order", type: "TEXT", pattern: "[A-Z]{2}-[0-9]+" });
  await field({ entity: "TICKET", key: "score", label: "Score", type: "NUMBER", min: 0, max: 10 });
  await field({ entity: "TICKET", key: "due", label: "Due", type: "DATE" });
  await field({ entity: "TICKET", key: "vip", label: "VIP", type: "BOOLEAN" });
  await field({ entity: "TICKET", key: "plan", label: "Plan", type: "SINGLE_SELECT", options: ["free", "pro"] });
  await field({ entity: "TICKET", key: "areas", label: "Areas", type: "MULTI_SELECT", options: ["billing", "login", "api"] });
});

describe("custom field values", () => {
  it("stores typed values and reads them back as typed objects", async () => {
    const created = await ticket([
      { key: "order_no", text: "AB-12" },
      { key: "score", number: 7.5 },
      { key: "due", date: "2026-03-01" },
      { key: "vip", boolean: true },
      { key: "plan", options: ["pro"] },
      { key: "areas", options: ["login", "api"] },
    ]);
    const byKey = Object.fromEntries(created.customFields.map((v: any) => [v.key, v]));
    expect(byKey.order_no).toEqual({ key: "order_no", __typename: "TextFieldValue", text: "AB-12" });
    expect(byKey.score).toMatchObject({ __typename: "NumberFieldValue", number: 7.5 });
    expect(byKey.due).toMatchObject({ __typename: "DateFieldValue", date: "2026-03-01" });
    expect(byKey.vip).toMatchObject({ __typename: "BooleanFieldValue", boolean: true });
    expect(byKey.plan).toMatchObject({ __typename: "SingleSelectFieldValue", option: "pro" });
    expect(byKey.areas).toMatchObject({ __typename: "MultiSelectFieldValue", options: ["login", "api"] });
  });

  it("refuses bad values with every problem at its path, and writes nothing (no ticket number used)", async () => {
    const before = await ticket();
    const r = await app.gql(
      CREATE,
      {
        i: {
          subject: "bad",
          body: "x",
          requesterId: contactId,
          customFields: [
            { key: "order_no", text: "nope" },
            { key: "score", number: 11 },
            { key: "due", date: "2026-02-30" },
            { key: "plan", options: ["enterprise"] },
            { key: "vip", text: "yes" },
            { key: "ghost", text: "x" },
          ],
        },
      },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    const paths = r.errors![0]!.extensions!.fields.map((f: any) => f.path.join("."));
    expect(paths).toEqual([
      "input.customFields.0",
      "input.customFields.1",
      "input.customFields.2",
      "input.customFields.3",
      "input.customFields.4",
      "input.customFields.5.key",
    ]);
    const after = await ticket();
    expect(after.number).toBe(before.number + 1);
  });

  it("updates and removes single values, keeping the others", async () => {
    const created = await ticket([
      { key: "score", number: 1 },
      { key: "vip", boolean: false },
    ]);
    const r = await app.gql(UPDATE, { id: created.id, i: { customFields: [{ key: "score", number: 2 }, { key: "vip" }] } }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.updateTicket.customFields).toEqual([{ key: "score", __typename: "NumberFieldValue", number: 2 }]);
  });

  it("sets contact and organisation values on create and update", async () => {
    await field({ entity: "CONTACT", key: "shoe_size", label: "Shoe size", type: "NUMBER" });
    await field({ entity: "ORGANIZATION", key: "tier", label: "Tier", type: "SINGLE_SELECT", options: ["gold", "silver"] });
    const org = await app.gql(
      `mutation { createOrganization(input: { name: "Cf Org", customFields: [{ key: "tier", options: ["gold"] }] }) { id customFields { key ... on SingleSelectFieldValue { option } } } }`,
      {},
      t.ownerToken,
    );
    expect(org.data.createOrganization.customFields).toEqual([{ key: "tier", option: "gold" }]);
    const c = await app.gql(
      `mutation { createContact(input: { name: "Sized", customFields: [{ key: "shoe_size", number: 42 }] }) { id } }`,
      {},
      t.ownerToken,
    );
    const u = await app.gql(
      `mutation($id: ID!) { updateContact(id: $id, input: { customFields: [{ key: "shoe_size", number: 43 }] }) { customFields { ... on NumberFieldValue { number } } } }`,
      { id: c.data.createContact.id },
      t.ownerToken,
    );
    expect(u.data.updateContact.customFields).toEqual([{ number: 43 }]);
    // A ticket key is not a contact key.
    const wrong = await app.gql(
      `mutation($id: ID!) { updateContact(id: $id, input: { customFields: [{ key: "score", number: 1 }] }) { id } }`,
      { id: c.data.createContact.id },
      t.ownerToken,
    );
    expect(codes(wrong)).toEqual(["VALIDATION"]);
  });
});

describe("tickets filter and order by custom fields", () => {
  const LIST = `query($f: TicketFilter, $o: TicketOrder, $first: Int, $after: String) {
    tickets(filter: $f, orderBy: $o, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { subject } } }
  }`;
  beforeAll(async () => {
    await ticket(
      [
        { key: "score", number: 3 },
        { key: "areas", options: ["billing"] },
        { key: "due", date: "2026-05-01" },
      ],
      "sort-c",
    );
    await ticket(
      [
        { key: "score", number: 9 },
        { key: "areas", options: ["billing", "api"] },
        { key: "due", date: "2026-01-01" },
      ],
      "sort-a",
    );
    await ticket([{ key: "score", number: 5 }], "sort-b");
    await ticket([], "sort-none");
  });
  const subjects = (r: any) => r.data.tickets.edges.map((e: any) => e.node.subject);

  it("filters with equals, in, gt, lt and isSet, comparing numbers and dates by value", async () => {
    const text = { text: "sort-" };
    const gt = await app.gql(LIST, { f: { ...text, customFields: [{ key: "score", gt: "4" }] } }, t.ownerToken);
    expect(subjects(gt).sort()).toEqual(["sort-a", "sort-b"]);
    expect(gt.data.tickets.totalCount).toBe(2);
    const has = await app.gql(LIST, { f: { ...text, customFields: [{ key: "areas", equals: "api" }] } }, t.ownerToken);
    expect(subjects(has)).toEqual(["sort-a"]);
    const before = await app.gql(LIST, { f: { ...text, customFields: [{ key: "due", lt: "2026-03-01" }] } }, t.ownerToken);
    expect(subjects(before)).toEqual(["sort-a"]);
    const unset = await app.gql(LIST, { f: { ...text, customFields: [{ key: "score", isSet: false }] } }, t.ownerToken);
    expect(subjects(unset)).toEqual(["sort-none"]);
    const anyOf = await app.gql(LIST, { f: { ...text, customFields: [{ key: "score", in: ["3", "5"] }] } }, t.ownerToken);
    expect(subjects(anyOf).sort()).toEqual(["sort-b", "sort-c"]);
  });

  it("refuses operands that are not of the field's type, and unknown keys", async () => {
    const r = await app.gql(
      LIST,
      {
        f: {
          customFields: [
            { key: "score", gt: "lots" },
            { key: "vip", gt: "true" },
            { key: "nope", isSet: true },
          ],
        },
      },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(r.errors![0]!.extensions!.fields.map((f: any) => f.path.join("."))).toEqual([
      "filter.customFields.0.gt",
      "filter.customFields.1.gt",
      "filter.customFields.2.key",
    ]);
  });

  it("orders by a custom field, values first, and pages through that order", async () => {
    const o = { field: "CUSTOM_FIELD", customField: "score", direction: "DESC" };
    const first = await app.gql(LIST, { f: { text: "sort-" }, o, first: 2 }, t.ownerToken);
    expect(first.errors).toBeUndefined();
    expect(subjects(first)).toEqual(["sort-a", "sort-b"]);
    expect(first.data.tickets.pageInfo.hasNextPage).toBe(true);
    const next = await app.gql(LIST, { f: { text: "sort-" }, o, first: 2, after: first.data.tickets.pageInfo.endCursor }, t.ownerToken);
    expect(subjects(next)).toEqual(["sort-c", "sort-none"]);
    expect(next.data.tickets.pageInfo.hasNextPage).toBe(false);
    const asc = await app.gql(LIST, { f: { text: "sort-" }, o: { ...o, direction: "ASC" }, first: 4 }, t.ownerToken);
    expect(subjects(asc)).toEqual(["sort-c", "sort-b", "sort-a", "sort-none"]);
  });
});

describe("requiredOnSolve", () => {
  it("refuses to solve without the field, pointing at it, and solves once it is given in the same update", async () => {
    await field({
      entity: "TICKET",
      key: "resolution",
      label: "Resolution",
      type: "SINGLE_SELECT",
      options: ["fixed", "wontfix"],
      requiredOnSolve: true,
    });
    const created = await ticket();
    const refused = await app.gql(UPDATE, { id: created.id, i: { status: "SOLVED" } }, t.ownerToken);
    expect(codes(refused)).toEqual(["VALIDATION"]);
    expect(refused.errors![0]!.extensions!.fields).toEqual([
      { path: ["input", "customFields", "resolution"], message: "required to solve the ticket" },
    ]);
    const viaReply = await app.gql(
      `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
      { i: { ticketId: created.id, body: "done", status: "SOLVED" } },
      t.ownerToken,
    );
    expect(codes(viaReply)).toEqual(["VALIDATION"]);
    const solved = await app.gql(
      UPDATE,
      { id: created.id, i: { status: "SOLVED", customFields: [{ key: "resolution", options: ["fixed"] }] } },
      t.ownerToken,
    );
    expect(solved.errors).toBeUndefined();
    expect(solved.data.updateTicket.status).toBe("SOLVED");
    // Later tickets of this file need not fill it in.
    const defs = await app.gql(`{ customFields(entity: TICKET) { id key } }`, {}, t.ownerToken);
    const id = defs.data.customFields.find((f: any) => f.key === "resolution").id;
    await app.gql(`mutation($id: ID!) { deleteCustomField(id: $id) { id } }`, { id }, t.ownerToken);
  });
});

describe("changing and deleting definitions", () => {
  const UPDATE_FIELD = `mutation($id: ID!, $i: UpdateCustomFieldInput!) { updateCustomField(id: $id, input: $i) { key type options active } }`;

  it("converts values when every one converts, and refuses (changing nothing) when one does not", async () => {
    const other = await app.tenant();
    const mk = await app.gql(FIELD, { i: { entity: "TICKET", key: "code", label: "Code", type: "TEXT" } }, other.ownerToken);
    const id = mk.data.createCustomField.id;
    const c = await app.gql(`mutation { createContact(input: { name: "Conv" }) { id } }`, {}, other.ownerToken);
    const mkTicket = (text: string) =>
      app.gql(
        `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
        {
          i: { subject: "c", body: "b", requesterId: c.data.createContact.id, customFields: [{ key: "code", text }] },
        },
        other.ownerToken,
      );
    const one = await mkTicket("a");
    await mkTicket("b");
    const refused = await app.gql(UPDATE_FIELD, { id, i: { type: "SINGLE_SELECT", options: ["a"] } }, other.ownerToken);
    expect(codes(refused)).toEqual(["CONFLICT"]);
    expect(refused.errors![0]!.extensions!.blockingValues).toBe(1);
    const still = await app.gql(`{ customFields { type options } }`, {}, other.ownerToken);
    expect(still.data.customFields).toEqual([{ type: "TEXT", options: [] }]);
    const ok = await app.gql(UPDATE_FIELD, { id, i: { type: "SINGLE_SELECT", options: ["a", "b"] } }, other.ownerToken);
    expect(ok.data.updateCustomField).toMatchObject({ type: "SINGLE_SELECT", options: ["a", "b"] });
    const multi = await app.gql(UPDATE_FIELD, { id, i: { type: "MULTI_SELECT" } }, other.ownerToken);
    expect(multi.errors).toBeUndefined();
    const read = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Ticket { customFields { ... on MultiSelectFieldValue { options } } } } }`,
      { id: one.data.createTicket.id },
      other.ownerToken,
    );
    expect(read.data.node.customFields).toEqual([{ options: ["a"] }]);
    // Removing an option still chosen is refused too.
    const drop = await app.gql(UPDATE_FIELD, { id, i: { options: ["b"] } }, other.ownerToken);
    expect(codes(drop)).toEqual(["CONFLICT"]);
    // Anything becomes text.
    const text = await app.gql(UPDATE_FIELD, { id, i: { type: "TEXT" } }, other.ownerToken);
    expect(text.data.updateCustomField).toMatchObject({ type: "TEXT", options: [] });
  });

  it("deleting deactivates: values disappear from reads, filters on the key are refused, the key stays reserved", async () => {
    const mk = await field({ entity: "TICKET", key: "temp", label: "Temp", type: "NUMBER" });
    const created = await ticket([{ key: "temp", number: 1 }]);
    const del = await app.gql(`mutation($id: ID!) { deleteCustomField(id: $id) { active } }`, { id: mk.id }, t.ownerToken);
    expect(del.data.deleteCustomField.active).toBe(false);
    const read = await app.gql(`query($id: ID!) { ticket(id: $id) { customFields { key } } }`, { id: created.id }, t.ownerToken);
    expect(read.data.ticket.customFields.map((v: any) => v.key)).not.toContain("temp");
    const filter = await app.gql(`{ tickets(filter: { customFields: [{ key: "temp", isSet: true }] }) { totalCount } }`, {}, t.ownerToken);
    expect(codes(filter)).toEqual(["VALIDATION"]);
    const again = await app.gql(FIELD, { i: { entity: "TICKET", key: "temp", label: "Temp", type: "TEXT" } }, t.ownerToken);
    expect(codes(again)).toEqual(["CONFLICT"]);
    const listed = await app.gql(`{ customFields(includeDeleted: true) { key active } }`, {}, t.ownerToken);
    expect(listed.data.customFields).toContainEqual({ key: "temp", active: false });
  });

  it("refuses inconsistent definitions", async () => {
    const r = await app.gql(
      FIELD,
      { i: { entity: "ORGANIZATION", key: "x_sel", label: "X", type: "SINGLE_SELECT", personalData: true, requiredOnSolve: true } },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(r.errors![0]!.extensions!.fields.map((f: any) => f.path.join("."))).toEqual([
      "input.options",
      "input.personalData",
      "input.requiredOnSolve",
    ]);
    const reserved = await app.gql(FIELD, { i: { entity: "TICKET", key: "status", label: "S", type: "TEXT" } }, t.ownerToken);
    expect(codes(reserved)).toEqual(["VALIDATION"]);
  });

  it("needs fields:manage to define fields", async () => {
    const agent = await app.agent(t, "AGENT");
    const r = await app.gql(FIELD, { i: { entity: "TICKET", key: "nope2", label: "N", type: "TEXT" } }, agent.token);
    expect(codes(r)).toEqual(["FORBIDDEN"]);
  });
});
