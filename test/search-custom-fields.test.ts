import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseQuery } from "../src/search/query.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

/** `key:value` in the search query language, on the tenant's ticket custom fields. */
let app: TestApp;
let t: TestTenant;
const ids: Record<string, string> = {};

const gql = (q: string, v: Record<string, unknown> = {}) => app.gql(q, v, t.ownerToken);
const SEARCH = `query($q: String!) { search(query: $q, first: 50) { totalCount backend edges { node { result { __typename ... on Ticket { id } ... on Message { ticket { id } } } } } } }`;

async function found(q: string) {
  const r = await gql(SEARCH, { q });
  if (r.errors) throw new Error(`${q}: ${JSON.stringify(r.errors)}`);
  return r.data.search.edges.map((e: any) => `${e.node.result.__typename}:${name(e.node.result.id ?? e.node.result.ticket.id)}`).sort();
}
const name = (id: string) => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? id;

async function refused(q: string) {
  const r = await gql(SEARCH, { q });
  expect(codes(r)).toEqual(["VALIDATION"]);
  return r.errors![0]!;
}

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  for (const i of [
    { key: "plan", label: "Plan", type: "SINGLE_SELECT", options: ["Free", "Pro", "Enterprise"] },
    { key: "addons", label: "Add-ons", type: "MULTI_SELECT", options: ["sso", "audit"] },
    { key: "seats", label: "Seats", type: "NUMBER" },
    { key: "renewal", label: "Renewal", type: "DATE" },
    { key: "trial", label: "Trial", type: "BOOLEAN" },
    { key: "order_ref", label: "Order", type: "TEXT" },
  ]) {
    const r = await gql(`mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { id } }`, { i: { entity: "TICKET", ...i } });
    expect(r.errors).toBeUndefined();
  }
  const ticket = async (key: string, subject: string, customFields: Record<string, unknown>[]) => {
    const r = await gql(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, {
      i: { subject, body: `${subject}, please`, requester: { name: "Pat", email: `${key}@acme.example` }, customFields },
    });
    expect(r.errors).toBeUndefined();
    ids[key] = r.data.createTicket.id;
  };
  await ticket("small", "Refund for the invoice", [
    { key: "plan", options: ["Free"] },
    { key: "seats", number: 3 },
    { key: "trial", boolean: true },
    { key: "order_ref", text: "A-1001" },
  ]);
  await ticket("big", "Invoice address wrong", [
    { key: "plan", options: ["Enterprise"] },
    { key: "addons", options: ["sso", "audit"] },
    { key: "seats", number: 250 },
    { key: "renewal", date: "2026-06-30" },
    { key: "trial", boolean: false },
  ]);
  await ticket("mid", "Cannot log in", [
    { key: "plan", options: ["Pro"] },
    { key: "addons", options: ["audit"] },
    { key: "seats", number: 10 },
    { key: "renewal", date: "2026-09-01" },
  ]);
});
afterAll(() => app?.close());

describe("search: custom fields", () => {
  it("parses names that are not built in as custom-field filters, for the service to type", () => {
    expect(parseQuery(`seats>=10 plan:pro,free invoice`).customFields).toEqual([
      { key: "seats", op: ">=", values: ["10"], pos: 0 },
      { key: "plan", op: ":", values: ["pro", "free"], pos: 10 },
    ]);
  });

  it("filters tickets, and the messages on them, by each type of field", async () => {
    expect(await found(`plan:pro`)).toEqual(["Message:mid", "Ticket:mid"]);
    // Options ignore case; a list is any of them.
    expect(await found(`plan:FREE,enterprise type:ticket`)).toEqual(["Ticket:big", "Ticket:small"]);
    expect(await found(`addons:audit type:ticket`)).toEqual(["Ticket:big", "Ticket:mid"]);
    expect(await found(`seats>=10 type:ticket`)).toEqual(["Ticket:big", "Ticket:mid"]);
    expect(await found(`seats:3 type:ticket`)).toEqual(["Ticket:small"]);
    expect(await found(`seats<10 seats>1 type:ticket`)).toEqual(["Ticket:small"]);
    expect(await found(`renewal<2026-07-01 type:ticket`)).toEqual(["Ticket:big"]);
    expect(await found(`renewal:2026-09-01 type:ticket`)).toEqual(["Ticket:mid"]);
    expect(await found(`trial:false type:ticket`)).toEqual(["Ticket:big"]);
    expect(await found(`order_ref:a-1001 type:ticket`)).toEqual(["Ticket:small"]);
    // With words: the tickets and messages that match them, on tickets with the value.
    expect(await found(`invoice seats>=100`)).toEqual(["Message:big", "Ticket:big"]);
    expect(await found(`invoice plan:free,pro`)).toEqual(["Message:small", "Ticket:small"]);
    const r = await gql(SEARCH, { q: "plan:pro" });
    expect(r.data.search.backend).toBe("postgres");
  });

  it("refuses unknown fields and values the field cannot hold, with the position", async () => {
    const unknown = await refused(`invoice colour:red`);
    expect(unknown.extensions).toMatchObject({ reason: "UNKNOWN_FIELD", field: "colour", position: 8 });
    expect(unknown.message).toMatch(/unknown filter "colour:"/);
    expect((await refused(`seats>many`)).message).toMatch(/seats is NUMBER: expected a number, not "many"/);
    expect((await refused(`renewal>2026-02-30`)).message).toMatch(/expected a date YYYY-MM-DD/);
    expect((await refused(`plan:gold`)).message).toMatch(/plan "gold" is not an option; use one of Free, Pro, Enterprise/);
    expect((await refused(`plan>pro`)).message).toMatch(/not a comparison/);
    expect((await refused(`trial:maybe`)).message).toMatch(/expected true or false/);
    // A deleted field is no longer a filter.
    const fields = await gql(`{ customFields(entity: TICKET) { id key } }`);
    const trial = fields.data.customFields.find((f: { key: string }) => f.key === "trial").id;
    expect((await gql(`mutation($id: ID!) { deleteCustomField(id: $id) { id } }`, { id: trial })).errors).toBeUndefined();
    expect((await refused(`trial:true`)).extensions).toMatchObject({ reason: "UNKNOWN_FIELD" });
  });
});
