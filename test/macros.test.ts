import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;
let agent: { token: string; id: string };

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  agent = await app.agent(t, "AGENT");
});
afterAll(() => app?.close());

const CREATE = `mutation($i: CreateMacroInput!) { createMacro(input: $i) { id title shared ownerId actions { type status tags } } }`;
const APPLY = `mutation($t: ID!, $m: ID!) { applyMacro(ticketId: $t, macroId: $m) { message { id body internal } ticket { id status tags { name } } } }`;

async function ticket(requesterName = "Ada <b>Lovelace</b>") {
  const r = await app.gql(
    `mutation($n: String!) { createTicket(input: { subject: "Printer", body: "It is on fire", requester: { name: $n, email: "ada-${Date.now()}@example.org" } }) { id number } }`,
    { n: requesterName },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return r.data.createTicket as { id: string; number: number };
}

async function macro(input: Record<string, unknown>, token = t.ownerToken) {
  const r = await app.gql(CREATE, { i: input }, token);
  expect(r.errors).toBeUndefined();
  return r.data.createMacro as { id: string };
}

describe("macros", () => {
  it("refuses unknown placeholders at save time, listing all of them, and writes nothing", async () => {
    const r = await app.gql(CREATE, { i: { title: "Bad", body: "Hi {{requester.nmae}}, see {{ticket.url}} {{agent.name}}" } }, agent.token);
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(r.errors![0]!.extensions!.unknownPlaceholders).toEqual(["requester.nmae", "ticket.url"]);
    expect(r.errors![0]!.message).toContain("requester.nmae, ticket.url");
    const unescaped = await app.gql(CREATE, { i: { title: "Raw", body: "{{{requester.name}}}" } }, agent.token);
    expect(codes(unescaped)).toEqual(["VALIDATION"]);
    const list = await app.gql(`{ macros { title } }`, {}, agent.token);
    expect(list.data.macros.map((m: any) => m.title)).not.toContain("Bad");
  });

  it("keeps personal macros to their owner and shared ones to agents:manage", async () => {
    const mine = await macro({ title: "Mine", body: "Hello {{requester.firstName}}" }, agent.token);
    const shared = await macro({ title: "Shared", body: "Hello", shared: true });
    const byAgent = await app.gql(CREATE, { i: { title: "Nope", body: "x", shared: true } }, agent.token);
    expect(codes(byAgent)).toEqual(["FORBIDDEN"]);
    const agentSees = (await app.gql(`{ macros { id } }`, {}, agent.token)).data.macros.map((m: any) => m.id);
    expect(agentSees).toEqual(expect.arrayContaining([mine.id, shared.id]));
    const ownerSees = (await app.gql(`{ macros { id } }`, {}, t.ownerToken)).data.macros.map((m: any) => m.id);
    expect(ownerSees).toContain(shared.id);
    expect(ownerSees).not.toContain(mine.id);
    // Another agent's personal macro is as missing as one that never existed.
    const tk = await ticket();
    expect(codes(await app.gql(APPLY, { t: tk.id, m: mine.id }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(codes(await app.gql(`mutation($id: ID!) { deleteMacro(id: $id) }`, { id: mine.id }, t.ownerToken))).toEqual(["NOT_FOUND"]);
  });

  it("previews with values HTML-escaped, and records the read of the requester's name", async () => {
    const tk = await ticket();
    const m = await macro({ title: "Greet", body: "Dear {{requester.name}}, ticket #{{ticket.number}}. {{agent.firstName}}" }, agent.token);
    const r = await app.gql(
      `query($t: ID!, $m: ID!) { previewMacro(ticketId: $t, macroId: $m) { body } }`,
      { t: tk.id, m: m.id },
      agent.token,
      { "X-Request-Id": "preview-macro-1" },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.previewMacro.body).toMatch(/^Dear Ada &lt;b&gt;Lovelace&lt;&#x2F;b&gt;, ticket #\d+\. \S+$/);
    await app.sequenced(t);
    const log = await app.gql(
      `query($f: AuditFilter) { auditLog(first: 10, filter: $f) { edges { node { action categories } } } }`,
      { f: { action: "personalData.read", requestId: "preview-macro-1" } },
      t.ownerToken,
    );
    expect(log.errors).toBeUndefined();
    expect(log.data.auditLog.edges.flatMap((e: any) => e.node.categories)).toContain("user.name");
    // A template being edited can be previewed too; its placeholders are checked the same way.
    const draft = await app.gql(`query($t: ID!) { previewMacro(ticketId: $t, body: "{{nope}}") { body } }`, { t: tk.id }, agent.token);
    expect(codes(draft)).toEqual(["VALIDATION"]);
  });

  it("applies the reply and the actions in one transaction", async () => {
    const tk = await ticket("Grace Hopper");
    const m = await macro({
      title: "Waiting",
      body: "Hi {{requester.firstName}}, we wait for your answer.",
      shared: true,
      actions: [
        { type: "SET_STATUS", status: "PENDING" },
        { type: "ADD_TAGS", tags: ["Waiting", "macro"] },
        { type: "ADD_NOTE", body: "Sent the waiting macro to {{requester.name}}" },
      ],
    });
    const r = await app.gql(APPLY, { t: tk.id, m: m.id }, agent.token);
    expect(r.errors).toBeUndefined();
    expect(r.data.applyMacro.message).toMatchObject({ body: "Hi Grace, we wait for your answer.", internal: false });
    expect(r.data.applyMacro.ticket.status).toBe("PENDING");
    expect(r.data.applyMacro.ticket.tags.map((x: any) => x.name).sort()).toEqual(["macro", "waiting"]);
    const messages = await app.gql(
      `query($id: ID!) { ticket(id: $id) { messages(first: 10) { edges { node { body internal } } } } }`,
      { id: tk.id },
      agent.token,
    );
    expect(messages.data.ticket.messages.edges.map((e: any) => e.node)).toEqual(
      expect.arrayContaining([{ body: "Sent the waiting macro to Grace Hopper", internal: true }]),
    );
  });

  it("writes nothing when an action fails: the reply is rolled back with it", async () => {
    const tk = await ticket();
    const m = await macro({ title: "Back to new", body: "Reply", actions: [{ type: "SET_STATUS", status: "NEW" }] }, agent.token);
    const r = await app.gql(APPLY, { t: tk.id, m: m.id }, agent.token);
    expect(codes(r)).toEqual(["INVALID_TRANSITION"]);
    const after = await app.gql(
      `query($id: ID!) { ticket(id: $id) { status messages(first: 10) { totalCount } } }`,
      { id: tk.id },
      agent.token,
    );
    expect(after.data.ticket).toMatchObject({ status: "NEW", messages: { totalCount: 1 } });
  });

  it("refuses actions a macro cannot carry and references that do not exist", async () => {
    const r = await app.gql(
      CREATE,
      { i: { title: "x", body: "y", actions: [{ type: "CALL_WEBHOOK" }, { type: "ADD_TAGS", tags: ["not ok!"] }] } },
      agent.token,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(r.errors![0]!.extensions!.fields).toHaveLength(2);
  });
});
