import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;
let agent: { token: string; id: string };

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  agent = await app.agent(t, "AGENT");
  await app.gql(
    `mutation { createCustomField(input: { entity: TICKET, key: "points", label: "Points", type: NUMBER }) { id } }`,
    {},
    t.ownerToken,
  );
  for (const [subject, points] of [
    ["view-a", 1],
    ["view-b", 8],
    ["view-c", 5],
  ] as const) {
    const r = await app.gql(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
      { i: { subject, body: "x", requester: { name: subject }, priority: "HIGH", customFields: [{ key: "points", number: points }] } },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
  }
});
afterAll(() => app?.close());

const CREATE = `mutation($i: CreateViewInput!) { createView(input: $i) { id name sharing filter orderBy columns missingFields } }`;
const VIEW = `query($id: ID!, $after: String) { view(id: $id) { name missingFields tickets(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { subject } } } } }`;

describe("saved views", () => {
  it("lists the tickets of its filter in its order, paged like tickets", async () => {
    const r = await app.gql(
      CREATE,
      {
        i: {
          name: "Big ones",
          filter: { text: "view-", customFields: [{ key: "points", gt: "2" }] },
          orderBy: { field: "CUSTOM_FIELD", customField: "points", direction: "DESC" },
          columns: ["number", "subject", "cf:points"],
        },
      },
      agent.token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.createView).toMatchObject({
      name: "Big ones",
      sharing: "PERSONAL",
      columns: ["number", "subject", "cf:points"],
      missingFields: [],
    });
    const v = await app.gql(VIEW, { id: r.data.createView.id }, agent.token);
    expect(v.data.view.tickets.totalCount).toBe(2);
    expect(v.data.view.tickets.edges.map((e: any) => e.node.subject)).toEqual(["view-b", "view-c"]);
    // Personal: another agent does not see it, as if it did not exist.
    const other = await app.agent(t, "AGENT");
    expect(codes(await app.gql(VIEW, { id: r.data.createView.id }, other.token))).toEqual(["NOT_FOUND"]);
    const list = await app.gql(`{ views { name } }`, {}, other.token);
    expect(list.data.views).toEqual([]);
  });

  it("refuses a filter tickets would refuse, and sharing without fields:manage", async () => {
    const bad = await app.gql(CREATE, { i: { name: "Bad", filter: { customFields: [{ key: "nope", isSet: true }] } } }, agent.token);
    expect(codes(bad)).toEqual(["VALIDATION"]);
    expect(bad.errors![0]!.extensions!.fields[0].path).toEqual(["input", "filter", "customFields", 0, "key"]);
    const shared = await app.gql(CREATE, { i: { name: "All", sharing: "EVERYONE" } }, agent.token);
    expect(codes(shared)).toEqual(["FORBIDDEN"]);
    const team = await app.gql(CREATE, { i: { name: "Team", sharing: "TEAM" } }, t.ownerToken);
    expect(codes(team)).toEqual(["VALIDATION"]);
  });

  it("shared views reach every agent; only the owner or a manager changes them", async () => {
    const r = await app.gql(
      CREATE,
      { i: { name: "High", sharing: "EVERYONE", filter: { priority: ["HIGH"], text: "view-" } } },
      t.ownerToken,
    );
    const id = r.data.createView.id;
    const seen = await app.gql(VIEW, { id }, agent.token);
    expect(seen.data.view.tickets.totalCount).toBe(3);
    const change = await app.gql(`mutation($id: ID!) { updateView(id: $id, input: { name: "Mine now" }) { name } }`, { id }, agent.token);
    expect(codes(change)).toEqual(["FORBIDDEN"]);
    const del = await app.gql(`mutation($id: ID!) { deleteView(id: $id) }`, { id }, agent.token);
    expect(codes(del)).toEqual(["FORBIDDEN"]);
    const ok = await app.gql(`mutation($id: ID!) { deleteView(id: $id) }`, { id }, t.ownerToken);
    expect(ok.data.deleteView).toBe(id);
  });

  it("TEAM views reach the team's members; a team of nowhere is NOT_FOUND; a deleted team leaves the view to its owner", async () => {
    const outsider = await app.agent(t, "AGENT");
    const made = await app.gql(
      `mutation($m: [ID!]) { createTeam(input: { name: "Views", memberIds: $m }) { id } }`,
      { m: [agent.id] },
      t.ownerToken,
    );
    expect(made.errors).toBeUndefined();
    const teamId = made.data.createTeam.id as string;
    const nowhere = Buffer.from("Team:00000000-0000-4000-8000-000000000000").toString("base64");
    const missing = await app.gql(CREATE, { i: { name: "Nowhere", sharing: "TEAM", teamId: nowhere } }, t.ownerToken);
    expect(codes(missing)).toEqual(["NOT_FOUND"]);
    expect(missing.errors![0]!.extensions!.fields).toEqual([{ path: ["input", "teamId"], message: "no such team" }]);
    // Another tenant's team is missing too.
    const u = await app.tenant();
    const theirs = await app.gql(`mutation { createTeam(input: { name: "Theirs" }) { id } }`, {}, u.ownerToken);
    const foreign = await app.gql(CREATE, { i: { name: "Foreign", sharing: "TEAM", teamId: theirs.data.createTeam.id } }, t.ownerToken);
    expect(codes(foreign)).toEqual(["NOT_FOUND"]);

    const r = await app.gql(
      `mutation($i: CreateViewInput!) { createView(input: $i) { id teamId team { name } } }`,
      { i: { name: "Team's", sharing: "TEAM", teamId, filter: { text: "view-" } } },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.createView).toMatchObject({ teamId, team: { name: "Views" } });
    const id = r.data.createView.id;
    const member = await app.gql(VIEW, { id }, agent.token);
    expect(member.data.view.tickets.totalCount).toBe(3);
    expect((await app.gql(`{ views { name } }`, {}, agent.token)).data.views).toContainEqual({ name: "Team's" });
    expect(codes(await app.gql(VIEW, { id }, outsider.token))).toEqual(["NOT_FOUND"]);
    expect((await app.gql(`{ views { name } }`, {}, outsider.token)).data.views).not.toContainEqual({ name: "Team's" });
    const moved = await app.gql(
      `mutation($id: ID!, $t: ID) { updateView(id: $id, input: { teamId: $t }) { id } }`,
      { id, t: nowhere },
      t.ownerToken,
    );
    expect(codes(moved)).toEqual(["NOT_FOUND"]);

    await app.gql(`mutation($id: ID!) { deleteTeam(id: $id) }`, { id: teamId }, t.ownerToken);
    expect(codes(await app.gql(VIEW, { id }, agent.token))).toEqual(["NOT_FOUND"]);
    const owner = await app.gql(`query($id: ID!) { view(id: $id) { sharing teamId } }`, { id }, t.ownerToken);
    expect(owner.data.view).toEqual({ sharing: "TEAM", teamId: null });
  });

  it("reports a deleted custom field in its filter instead of failing", async () => {
    const f = await app.gql(
      `mutation { createCustomField(input: { entity: TICKET, key: "gone", label: "Gone", type: BOOLEAN }) { id } }`,
      {},
      t.ownerToken,
    );
    const r = await app.gql(
      CREATE,
      { i: { name: "Gone", filter: { text: "view-", customFields: [{ key: "gone", equals: "true" }] } } },
      agent.token,
    );
    expect(r.errors).toBeUndefined();
    const before = await app.gql(VIEW, { id: r.data.createView.id }, agent.token);
    expect(before.data.view.tickets.totalCount).toBe(0);
    await app.gql(`mutation($id: ID!) { deleteCustomField(id: $id) { id } }`, { id: f.data.createCustomField.id }, t.ownerToken);
    const after = await app.gql(VIEW, { id: r.data.createView.id }, agent.token);
    expect(after.errors).toBeUndefined();
    expect(after.data.view.missingFields).toEqual(["gone"]);
    expect(after.data.view.tickets.totalCount).toBe(3);
  });
});
