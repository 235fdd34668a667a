import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../src/retention/sweep.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { until } from "./support/webhooks.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const CREATE_RULE = `mutation($i: CreateAutomationRuleInput!) { createAutomationRule(input: $i) { id position enabled } }`;
const RUNS = `query($r: ID, $t: ID) { automationRuns(first: 50, ruleId: $r, ticketId: $t) { edges { node { rule { id } eventType depth outcome changes error } } } }`;
const TICKET = `query($id: ID!) { ticket(id: $id) { status priority tags { name } assignee { id } messages(first: 20) { edges { node { body internal } } } } }`;

async function rule(input: Record<string, unknown>) {
  const r = await app.gql(CREATE_RULE, { i: input }, t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.createAutomationRule as { id: string; position: number };
}

async function deleteAllRules() {
  const rules = await app.gql(`{ automationRules { id } }`, {}, t.ownerToken);
  for (const r of rules.data.automationRules) {
    const deleted = await app.gql(`mutation($id: ID!) { deleteAutomationRule(id: $id) }`, { id: r.id }, t.ownerToken);
    expect(deleted.errors).toBeUndefined();
  }
  expect((await app.gql(`{ automationRules { id } }`, {}, t.ownerToken)).data.automationRules).toEqual([]);
}

async function ticket(subject: string, email = `p-${Date.now()}-${Math.random()}@acme.example`) {
  const r = await app.gql(
    `mutation($s: String!, $e: String!) { createTicket(input: { subject: $s, body: "Hello", requester: { name: "Pat Doe", email: $e } }) { id } }`,
    { s: subject, e: email },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return r.data.createTicket.id as string;
}

const runsOf = async (vars: { r?: string; t?: string }) =>
  (await app.gql(RUNS, vars, t.ownerToken)).data.automationRuns.edges.map((e: any) => e.node);
/**
 * Waits until every consumer has handled every event of the tenant, a failed batch's retry
 * included: chains of automated changes have ended (a rule's change is an event too).
 */
async function settled() {
  await until(
    async () => {
      await app.consumed(t);
      const { eventSeq } = await app.database.prisma.tenant.findUniqueOrThrow({ where: { id: t.id } });
      const behind = await app.database.prisma.eventConsumerCursor.count({
        where: { tenantId: t.id, OR: [{ position: { lt: eventSeq } }, { attempts: { gt: 0 } }] },
      });
      // A rule's change committed during the pass is an event not numbered yet: one more round.
      const unnumbered = await app.database.prisma.event.count({ where: { tenantId: t.id, seq: null } });
      return behind === 0 && unnumbered === 0;
    },
    30_000,
    "every consumer to catch up",
  );
}

/** The database id inside a global ID. */
const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

const read = async (id: string) => (await app.gql(TICKET, { id }, t.ownerToken)).data.ticket;

describe("automation rules", () => {
  it("refuses bad rules with every problem named, and stores nothing", async () => {
    const r = await app.gql(
      CREATE_RULE,
      {
        i: {
          name: "Bad",
          trigger: "TICKET_CREATED",
          conditions: {
            all: [
              { field: "colour", op: "EQ", value: "red" },
              { field: "status", op: "CONTAINS", value: "OPEN" },
              { field: "body", op: "CONTAINS", value: "x" },
              { field: "priority", op: "IN", values: ["HIGH", "SOMETIMES"] },
              { field: "custom:plan", op: "EQ", value: "gold" },
            ],
          },
          actions: [{ type: "SET_PRIORITY", priority: "HIGH" }],
        },
      },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    const fields = r.errors![0]!.extensions!.fields as { path: (string | number)[] }[];
    expect(fields.map((f) => f.path.slice(2, 4))).toEqual([
      ["all", 0],
      ["all", 1],
      ["all", 2],
      ["all", 3],
      ["all", 4],
    ]);
    const timed = await app.gql(
      CREATE_RULE,
      { i: { name: "Later", trigger: "TIME_ELAPSED", actions: [{ type: "SET_STATUS", status: "SOLVED" }] } },
      t.ownerToken,
    );
    expect(codes(timed)).toEqual(["VALIDATION"]);
    expect(timed.errors![0]!.extensions!.fields).toEqual([{ path: ["input", "timer"], message: expect.stringContaining("needs a timer") }]);
    const noActions = await app.gql(CREATE_RULE, { i: { name: "Idle", trigger: "TICKET_CREATED", actions: [] } }, t.ownerToken);
    expect(codes(noActions)).toEqual(["VALIDATION"]);
    expect((await app.gql(`{ automationRules { id } }`, {}, t.ownerToken)).data.automationRules).toEqual([]);
  });

  it("runs after commit, in position order, and logs what each rule changed", async () => {
    const first = await rule({
      name: "Refunds to billing",
      trigger: "TICKET_CREATED",
      conditions: { all: [{ field: "subject", op: "CONTAINS", value: "refund" }], any: [] },
      actions: [
        { type: "ADD_TAGS", tags: ["billing"] },
        { type: "SET_PRIORITY", priority: "HIGH" },
        { type: "ADD_NOTE", body: "Routed to billing for {{requester.name}}" },
      ],
    });
    const second = await rule({
      name: "Billing and acme are urgent",
      trigger: "TICKET_CREATED",
      conditions: {
        all: [{ field: "tags", op: "CONTAINS", value: "billing" }],
        any: [
          { field: "requester.emailDomain", op: "EQ", value: "acme.example" },
          { field: "channel", op: "EQ", value: "SMS" },
        ],
      },
      actions: [{ type: "SET_PRIORITY", priority: "URGENT" }],
    });
    expect(second.position).toBe(first.position + 1);
    const id = await ticket("Refund please");
    const other = await ticket("Hello there");
    await until(async () => (await runsOf({ t: id })).length >= 2, 15_000, "both rules ran");
    const after = await read(id);
    // The second rule saw what the first did (the tag) in the same pass.
    expect(after.priority).toBe("URGENT");
    expect(after.tags.map((x: any) => x.name)).toEqual(["billing"]);
    expect(after.messages.edges.map((e: any) => e.node)).toContainEqual({ body: "Routed to billing for Pat Doe", internal: true });
    const runs = await runsOf({ t: id });
    expect(runs.map((r: any) => [r.rule.id, r.outcome, r.depth])).toEqual(
      expect.arrayContaining([
        [first.id, "APPLIED", 0],
        [second.id, "APPLIED", 0],
      ]),
    );
    expect(runs.find((r: any) => r.rule.id === first.id).changes.map((c: any) => c.action)).toEqual([
      "ADD_TAGS",
      "SET_PRIORITY",
      "ADD_NOTE",
    ]);
    await settled();
    expect((await read(other)).priority).toBe("NORMAL");
    expect(await runsOf({ t: other })).toEqual([]);
    await deleteAllRules();
  });

  it("works through a backlog 25 firing events a transaction, each once, the events no rule wants not counted", async () => {
    const backlog = await rule({
      name: "Backlog is high",
      trigger: "TICKET_CREATED",
      conditions: { all: [{ field: "subject", op: "CONTAINS", value: "Backlog" }], any: [] },
      actions: [{ type: "SET_PRIORITY", priority: "HIGH" }],
    });
    await settled();
    // Another instance's lease keeps this instance's consumer off the tenant while the backlog builds.
    const where = { consumer_tenantId: { consumer: "automations", tenantId: t.id } };
    const lease = { leaseToken: randomUUID(), leaseUntil: new Date(Date.now() + 600_000) };
    const { eventSeq } = await app.database.prisma.tenant.findUniqueOrThrow({ where: { id: t.id } });
    await app.database.prisma.eventConsumerCursor.upsert({
      where,
      create: { consumer: "automations", tenantId: t.id, position: eventSeq, ...lease },
      update: lease,
    });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(rawId(await ticket(`Backlog ${i}`)));
    // All 60 numbered: the consumer's lease, once given back, takes them as one backlog.
    await app.sequenced(t);
    await app.database.prisma.eventConsumerCursor.update({ where, data: { leaseToken: null, leaseUntil: null } });
    await settled();
    // 30 TICKET_CREATED among 60 events (each ticket's MESSAGE_ADDED too, which no rule wants): the rule
    // ran on 25 tickets in one transaction and on 5 in the next, as the run log's transaction ids show
    // (the log of a call is one INSERT at its end; the rules' own changes are under savepoints).
    const byTransaction = await app.database.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "AutomationRun" WHERE "ruleId" = ${rawId(backlog.id)}::uuid
      GROUP BY xmin::text ORDER BY min("eventSeq")`;
    expect(byTransaction.map((g) => g.n)).toEqual([25, 5]);
    const changed = await app.database.prisma.ticket.count({ where: { id: { in: ids }, priority: "HIGH" } });
    expect(changed).toBe(30);
    expect(await runsOf({ r: backlog.id })).toHaveLength(30);
    await deleteAllRules();
  });

  it("never re-fires a rule on the event its own change caused", async () => {
    const self = await rule({ name: "tag on update", trigger: "TICKET_UPDATED", actions: [{ type: "ADD_TAGS", tags: ["touched"] }] });
    const id = await ticket("Self");
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: HIGH }) { id } }`, { id }, t.ownerToken);
    await until(async () => (await runsOf({ t: id })).length >= 1, 15_000, "the rule ran");
    await settled();
    expect((await runsOf({ t: id })).map((r: any) => [r.rule.id, r.depth])).toEqual([[self.id, 0]]);
    await deleteAllRules();
  });

  it("stops rules that keep firing each other at the depth limit, and never re-fires a rule on its own change", async () => {
    await rule({
      name: "ping",
      trigger: "TICKET_UPDATED",
      conditions: { all: [{ field: "tags", op: "NOT_CONTAINS", value: "ping" }] },
      actions: [
        { type: "ADD_TAGS", tags: ["ping"] },
        { type: "REMOVE_TAGS", tags: ["pong"] },
      ],
    });
    await rule({
      name: "pong",
      trigger: "TICKET_UPDATED",
      conditions: { all: [{ field: "tags", op: "CONTAINS", value: "ping" }] },
      actions: [
        { type: "ADD_TAGS", tags: ["pong"] },
        { type: "REMOVE_TAGS", tags: ["ping"] },
      ],
    });
    const id = await ticket("Loop");
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: LOW }) { id } }`, { id }, t.ownerToken);
    await until(async () => (await runsOf({ t: id })).some((r: any) => r.outcome === "SKIPPED"), 20_000, "the depth limit");
    await settled();
    const runs = await runsOf({ t: id });
    const applied = runs.filter((r: any) => r.outcome === "APPLIED").map((r: any) => r.depth);
    // Later rules see what earlier ones changed: on the person's update ping ran, then pong (both depth 0);
    // from then on each automated change fired the other rule only, until the limit.
    expect(new Set(applied)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(runs.filter((r: any) => r.outcome === "SKIPPED").every((r: any) => r.depth === 5)).toBe(true);
    expect(runs.length).toBeLessThan(40);
    await deleteAllRules();
  });

  it("disables a rule whose agent is gone, with the reason, and goes on with the others", async () => {
    const helper = await app.agent(t, "AGENT");
    const broken = await rule({ name: "To helper", trigger: "TICKET_CREATED", actions: [{ type: "SET_ASSIGNEE", agentId: helper.id }] });
    const fine = await rule({ name: "Tag all", trigger: "TICKET_CREATED", actions: [{ type: "ADD_TAGS", tags: ["seen"] }] });
    const off = await app.gql(`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: helper.id }, t.ownerToken);
    expect(off.errors).toBeUndefined();
    const id = await ticket("Anyone?");
    await until(async () => (await runsOf({ t: id })).length >= 2, 15_000, "both rules ran");
    const runs = await runsOf({ t: id });
    expect(runs.find((r: any) => r.rule.id === broken.id)).toMatchObject({ outcome: "DISABLED" });
    expect(runs.find((r: any) => r.rule.id === fine.id)).toMatchObject({ outcome: "APPLIED" });
    const after = await read(id);
    expect(after.assignee).toBeNull();
    expect(after.tags.map((x: any) => x.name)).toEqual(["seen"]);
    const rules = (await app.gql(`{ automationRules { id enabled disabledReason } }`, {}, t.ownerToken)).data.automationRules;
    expect(rules.find((r: any) => r.id === broken.id)).toMatchObject({
      enabled: false,
      disabledReason: expect.stringContaining("disabled"),
    });
    // Saving it again runs the checks again: still refused while the agent is disabled.
    const again = await app.gql(
      `mutation($id: ID!) { updateAutomationRule(id: $id, input: { enabled: true }) { id } }`,
      { id: broken.id },
      t.ownerToken,
    );
    expect(codes(again)).toEqual(["VALIDATION"]);
    await deleteAllRules();
  });

  it("disables the rules that send a macro when the macro is deleted", async () => {
    const m = await app.gql(
      `mutation { createMacro(input: { title: "Ack", body: "Thanks {{requester.firstName}}", shared: true }) { id } }`,
      {},
      t.ownerToken,
    );
    const r = await rule({
      name: "Acknowledge",
      trigger: "TICKET_CREATED",
      actions: [{ type: "SEND_MACRO", macroId: m.data.createMacro.id }],
    });
    const id = await ticket("Ack me");
    await until(async () => (await runsOf({ t: id })).length >= 1, 15_000, "the rule ran");
    expect((await read(id)).messages.edges.map((e: any) => e.node)).toContainEqual({ body: "Thanks Pat", internal: false });
    await app.gql(`mutation($id: ID!) { deleteMacro(id: $id) }`, { id: m.data.createMacro.id }, t.ownerToken);
    const rules = (await app.gql(`{ automationRules { id enabled disabledReason } }`, {}, t.ownerToken)).data.automationRules;
    expect(rules.find((x: any) => x.id === r.id)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("deleted") });
    await deleteAllRules();
  });

  it("reorders all rules at once and refuses a partial order", async () => {
    const a = await rule({ name: "a", trigger: "MESSAGE_ADDED", actions: [{ type: "ADD_TAGS", tags: ["a"] }] });
    const b = await rule({ name: "b", trigger: "MESSAGE_ADDED", actions: [{ type: "ADD_TAGS", tags: ["b"] }] });
    const c = await rule({ name: "c", trigger: "MESSAGE_ADDED", actions: [{ type: "ADD_TAGS", tags: ["c"] }] });
    const REORDER = `mutation($ids: [ID!]!) { reorderAutomationRules(ids: $ids) { id position } }`;
    const r = await app.gql(REORDER, { ids: [c.id, a.id, b.id] }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.reorderAutomationRules.map((x: any) => x.id)).toEqual([c.id, a.id, b.id]);
    expect(codes(await app.gql(REORDER, { ids: [c.id, a.id] }, t.ownerToken))).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(REORDER, { ids: [c.id, a.id, b.id, b.id] }, t.ownerToken))).toEqual(["VALIDATION"]);
    const listed = (await app.gql(`{ automationRules { id } }`, {}, t.ownerToken)).data.automationRules.map((x: any) => x.id);
    expect(listed).toEqual([c.id, a.id, b.id]);
    await deleteAllRules();
  });

  it("testAutomation shows which rules match, condition by condition, and writes nothing", async () => {
    const id = await ticket("Invoice question");
    await settled();
    const match = await rule({
      name: "Invoices",
      trigger: "MESSAGE_ADDED",
      conditions: {
        all: [
          { field: "subject", op: "CONTAINS", value: "invoice" },
          { field: "message.author", op: "EQ", value: "CONTACT" },
        ],
      },
      actions: [{ type: "SET_STATUS", status: "PENDING" }],
    });
    const miss = await rule({
      name: "Urgent only",
      trigger: "TICKET_UPDATED",
      conditions: { all: [{ field: "priority", op: "EQ", value: "URGENT" }] },
      actions: [{ type: "ADD_TAGS", tags: ["x"] }],
    });
    const r = await app.gql(
      `query($t: ID!) { testAutomation(ticketId: $t) { rule { id } matched conditions { group holds condition { field } } actions { type status } } }`,
      { t: id },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
    const results = r.data.testAutomation;
    expect(results.find((x: any) => x.rule.id === match.id)).toMatchObject({
      matched: true,
      conditions: [
        { group: "all", holds: true, condition: { field: "subject" } },
        { group: "all", holds: true, condition: { field: "message.author" } },
      ],
      actions: [{ type: "SET_STATUS", status: "PENDING" }],
    });
    expect(results.find((x: any) => x.rule.id === miss.id)).toMatchObject({ matched: false, actions: [] });
    expect((await read(id)).status).toBe("NEW");
    expect(await runsOf({ t: id })).toEqual([]);
    await deleteAllRules();
  });

  it("compares and sets custom fields through the fields' rules; deleting a field disables the rules naming it", async () => {
    const field = async (i: Record<string, unknown>) => {
      const r = await app.gql(`mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { id } }`, { i }, t.ownerToken);
      expect(r.errors).toBeUndefined();
      return r.data.createCustomField.id as string;
    };
    const planId = await field({ entity: "TICKET", key: "plan", label: "Plan", type: "SINGLE_SELECT", options: ["free", "gold"] });
    await field({ entity: "TICKET", key: "score", label: "Score", type: "NUMBER", min: 0, max: 10 });
    await field({ entity: "CONTACT", key: "vip_since", label: "VIP since", type: "DATE" });

    const bad = await app.gql(
      CREATE_RULE,
      {
        i: {
          name: "Bad fields",
          trigger: "TICKET_UPDATED",
          conditions: {
            all: [
              { field: "custom:colour", op: "EQ", value: "red" },
              { field: "custom:vip_since", op: "IS_SET" },
            ],
          },
          actions: [
            { type: "SET_CUSTOM_FIELD", key: "plan", value: "platinum" },
            { type: "SET_CUSTOM_FIELD", key: "score", value: 42 },
            { type: "SET_CUSTOM_FIELD", key: "score", value: "nine" },
          ],
        },
      },
      t.ownerToken,
    );
    expect(codes(bad)).toEqual(["VALIDATION"]);
    expect(bad.errors![0]!.extensions!.fields.map((f: { path: (string | number)[] }) => f.path.join("."))).toEqual([
      "input.conditions.all.0.field",
      "input.conditions.all.1.field",
    ]);
    const badActions = await app.gql(
      CREATE_RULE,
      {
        i: {
          name: "Bad values",
          trigger: "TICKET_UPDATED",
          actions: [
            { type: "SET_CUSTOM_FIELD", key: "plan", value: "platinum" },
            { type: "SET_CUSTOM_FIELD", key: "score", value: 42 },
            { type: "SET_CUSTOM_FIELD", key: "score", value: "nine" },
            { type: "SET_CUSTOM_FIELD", key: "vip_since", value: "2026-01-01" },
          ],
        },
      },
      t.ownerToken,
    );
    expect(codes(badActions)).toEqual(["VALIDATION"]);
    const messages = badActions.errors![0]!.extensions!.fields.map((f: { path: (string | number)[]; message: string }) => [
      f.path.join("."),
      f.message,
    ]);
    expect(messages).toEqual([
      ["input.actions.0.value", "not an option: platinum"],
      ["input.actions.1.value", "must be at most 10"],
      ["input.actions.2.value", "score is NUMBER: give a number"],
      ["input.actions.3.value", "no ticket custom field with key vip_since"],
    ]);

    const gold = await rule({
      name: "Gold gets a score",
      trigger: "TICKET_UPDATED",
      conditions: { all: [{ field: "custom:plan", op: "EQ", value: "GOLD" }] },
      actions: [
        { type: "SET_CUSTOM_FIELD", key: "score", value: 9 },
        { type: "ADD_TAGS", tags: ["gold"] },
      ],
    });
    const other = await rule({
      name: "Scored",
      trigger: "TICKET_UPDATED",
      conditions: { all: [{ field: "custom:score", op: "EQ", value: "9" }] },
      actions: [{ type: "ADD_TAGS", tags: ["scored"] }],
    });
    const id = await ticket("Plans");
    const set = await app.gql(
      `mutation($id: ID!) { updateTicket(id: $id, input: { customFields: [{ key: "plan", options: ["gold"] }] }) { id } }`,
      { id },
      t.ownerToken,
    );
    expect(set.errors).toBeUndefined();
    await settled();
    const values = await app.gql(
      `query($id: ID!) { ticket(id: $id) { tags { name } customFields { key ... on NumberFieldValue { number } ... on SingleSelectFieldValue { option } } } }`,
      { id },
      t.ownerToken,
    );
    expect(values.data.ticket.customFields).toEqual(
      expect.arrayContaining([
        { key: "plan", option: "gold" },
        { key: "score", number: 9 },
      ]),
    );
    expect(values.data.ticket.tags.map((x: { name: string }) => x.name).sort()).toEqual(["gold", "scored"]);
    const goldRuns = await runsOf({ r: gold.id, t: id });
    expect(new Set(goldRuns.map((r: any) => r.outcome))).toEqual(new Set(["APPLIED"]));
    // The run log keeps the key, never the value.
    expect(goldRuns.flatMap((r: any) => r.changes)).toContainEqual({ action: "SET_CUSTOM_FIELD", key: "score" });

    const deleted = await app.gql(`mutation($id: ID!) { deleteCustomField(id: $id) { active } }`, { id: planId }, t.ownerToken);
    expect(deleted.errors).toBeUndefined();
    await settled();
    const rules = (await app.gql(`{ automationRules { id enabled disabledReason } }`, {}, t.ownerToken)).data.automationRules;
    expect(rules.find((r: any) => r.id === gold.id)).toEqual({
      id: gold.id,
      enabled: false,
      disabledReason: "custom field plan was deleted",
    });
    expect(rules.find((r: any) => r.id === other.id)).toMatchObject({ enabled: true, disabledReason: null });
    await deleteAllRules();
  });

  it("routes with SET_TEAM by the team's strategy, compares teams, and disables a rule whose team is gone", async () => {
    const member = await app.agent(t, "AGENT");
    const made = await app.gql(
      `mutation($m: [ID!]) { createTeam(input: { name: "Billing", strategy: ROUND_ROBIN, memberIds: $m }) { id } }`,
      { m: [member.id] },
      t.ownerToken,
    );
    expect(made.errors).toBeUndefined();
    const teamId = made.data.createTeam.id as string;
    const missingTeam = Buffer.from("Team:00000000-0000-4000-8000-000000000000").toString("base64");
    const bad = await app.gql(
      CREATE_RULE,
      {
        i: {
          name: "Nowhere",
          trigger: "TICKET_CREATED",
          conditions: { all: [{ field: "team", op: "EQ", value: missingTeam }] },
          actions: [{ type: "SET_TEAM", teamId: missingTeam }],
        },
      },
      t.ownerToken,
    );
    expect(codes(bad)).toEqual(["VALIDATION"]);
    const route = await rule({
      name: "Invoices to billing",
      trigger: "TICKET_CREATED",
      conditions: { all: [{ field: "subject", op: "CONTAINS", value: "invoice" }] },
      actions: [{ type: "SET_TEAM", teamId }],
    });
    const tag = await rule({
      name: "Billing's tickets",
      trigger: "TICKET_UPDATED",
      conditions: { all: [{ field: "team", op: "EQ", value: teamId }] },
      actions: [{ type: "ADD_TAGS", tags: ["billing"] }],
    });
    const listed = await app.gql(`{ automationRules { conditions { all { value } } actions { teamId } } }`, {}, t.ownerToken);
    expect(listed.data.automationRules.map((r: any) => r.actions[0].teamId ?? r.conditions.all[0].value)).toEqual([teamId, teamId]);

    const id = await ticket("Wrong invoice");
    await settled();
    const routed = await app.gql(`query($id: ID!) { ticket(id: $id) { team { id } assignee { id } tags { name } } }`, { id }, t.ownerToken);
    expect(routed.data.ticket).toEqual({ team: { id: teamId }, assignee: { id: member.id }, tags: [{ name: "billing" }] });
    expect((await runsOf({ r: tag.id, t: id })).map((r: any) => r.outcome)).toEqual(["APPLIED"]);

    const gone = await app.gql(`mutation($id: ID!) { deleteTeam(id: $id) }`, { id: teamId }, t.ownerToken);
    expect(gone.errors).toBeUndefined();
    const next = await ticket("Another invoice");
    await settled();
    const runs = await runsOf({ r: route.id, t: next });
    expect(runs.map((r: any) => r.outcome)).toEqual(["DISABLED"]);
    const after = (await app.gql(`{ automationRules { id enabled disabledReason } }`, {}, t.ownerToken)).data.automationRules;
    expect(after.find((r: any) => r.id === route.id)).toMatchObject({ enabled: false });
    expect(after.find((r: any) => r.id === route.id).disabledReason).toContain("no longer exists");
    await deleteAllRules();
  });

  it("keeps the run log for the tenant's AUTOMATION_RUNS period", async () => {
    const count = async () =>
      (await app.gql(`{ automationRuns { edges { node { outcome } } } }`, {}, t.ownerToken)).data.automationRuns.edges.length;
    expect(await count()).toBeGreaterThan(0);
    const rule = await app.gql(
      `mutation { setRetentionRule(target: AUTOMATION_RUNS, keepDays: 1, action: DELETE) { target } }`,
      {},
      t.ownerToken,
    );
    expect(rule.errors).toBeUndefined();
    await sweep(app.database, { tenantId: t.id, now: new Date() });
    expect(await count()).toBeGreaterThan(0);
    await sweep(app.database, { tenantId: t.id, now: new Date(Date.now() + 2 * 86_400_000) });
    expect(await count()).toBe(0);
  });
});
