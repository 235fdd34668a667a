import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { addBusinessTime } from "../src/calendars/business-time.js";
import { storedCalendar } from "../src/calendars/validate.js";
import { ELAPSED_KIND, elapsedJob } from "../src/automations/timers.js";
import { Scheduler } from "../src/scheduler/scheduler.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const gql = (q: string, v: Record<string, unknown> = {}) => app.gql(q, v, t.ownerToken);
const raw = (id: string) => Buffer.from(id, "base64").toString().split(":")[1]!;
const CREATE_RULE = `mutation($i: CreateAutomationRuleInput!) { createAutomationRule(input: $i) { id timer { minutes since status businessHours } } }`;

async function rule(input: Record<string, unknown>) {
  const r = await gql(CREATE_RULE, { i: input });
  expect(r.errors).toBeUndefined();
  return r.data.createAutomationRule as { id: string };
}

async function ticket(subject = "Where is my parcel") {
  const r = await gql(
    `mutation($s: String!, $e: String!) { createTicket(input: { subject: $s, body: "Hello", requester: { name: "Pat Doe", email: $e } }) { id } }`,
    { s: subject, e: `p-${Math.random()}@acme.example` },
  );
  expect(r.errors).toBeUndefined();
  return r.data.createTicket.id as string;
}

const setStatus = async (id: string, status: string) => {
  const r = await gql(`mutation($id: ID!, $s: TicketStatus!) { updateTicket(id: $id, input: { status: $s }) { id } }`, { id, s: status });
  expect(r.errors).toBeUndefined();
};

/** The rule's timer for the ticket (none, or one row), with when its clock started. */
const timers = async (ticketId: string, ruleId: string) =>
  (await app.database.prisma.scheduledJob.findMany({ where: { kind: ELAPSED_KIND, key: `${raw(ticketId)}:${raw(ruleId)}` } })).map((j) => ({
    ...j,
    anchor: Number((j.payload as { anchor: string }).anchor),
  }));

/** Time passes: the ticket's unfired timers are due; the scheduler fires them and the rules run. */
async function elapse(ticketId: string) {
  await app.database.prisma.$executeRaw`
    UPDATE "ScheduledJob" SET "dueAt" = (now() AT TIME ZONE 'UTC') - interval '1 second'
    WHERE "kind" = ${ELAPSED_KIND} AND "key" LIKE ${`${raw(ticketId)}:%`} AND "firedAt" IS NULL`;
  await app.server.scheduled();
  await app.consumed(t);
}

const runsOf = async (ruleId: string, ticketId: string) =>
  (
    await gql(`query($r: ID, $t: ID) { automationRuns(first: 50, ruleId: $r, ticketId: $t) { edges { node { eventType outcome } } } }`, {
      r: ruleId,
      t: ticketId,
    })
  ).data.automationRuns.edges.map((e: { node: unknown }) => e.node);

const tagsOf = async (id: string) =>
  (await gql(`query($id: ID!) { ticket(id: $id) { tags { name } } }`, { id })).data.ticket.tags.map((x: { name: string }) => x.name);

const deleteRule = async (id: string) =>
  expect((await gql(`mutation($id: ID!) { deleteAutomationRule(id: $id) }`, { id })).errors).toBeUndefined();

describe("TIME_ELAPSED rules", () => {
  it("need a timer that makes sense, and only they take one", async () => {
    const paths = async (i: Record<string, unknown>) => {
      const r = await gql(CREATE_RULE, { i: { name: "Timed", actions: [{ type: "ADD_TAGS", tags: ["x"] }], ...i } });
      expect(codes(r)).toEqual(["VALIDATION"]);
      return r.errors![0]!.extensions!.fields.map((f: { path: string[] }) => f.path.join("."));
    };
    expect(await paths({ trigger: "TIME_ELAPSED" })).toEqual(["input.timer"]);
    expect(await paths({ trigger: "TIME_ELAPSED", timer: { minutes: 0, since: "STATUS" } })).toEqual([
      "input.timer.minutes",
      "input.timer.status",
    ]);
    expect(await paths({ trigger: "TIME_ELAPSED", timer: { minutes: 5, since: "CREATED", status: "OPEN" } })).toEqual([
      "input.timer.status",
    ]);
    expect(await paths({ trigger: "TICKET_CREATED", timer: { minutes: 5, since: "CREATED" } })).toEqual(["input.timer"]);
    expect((await gql(`{ automationRules { id } }`)).data.automationRules).toEqual([]);

    const ok = await gql(CREATE_RULE, {
      i: {
        name: "Pending 3 days",
        trigger: "TIME_ELAPSED",
        timer: { minutes: 4320, since: "STATUS", status: "PENDING" },
        actions: [{ type: "ADD_TAGS", tags: ["x"] }],
      },
    });
    expect(ok.data.createAutomationRule.timer).toEqual({ minutes: 4320, since: "STATUS", status: "PENDING", businessHours: false });
    await deleteRule(ok.data.createAutomationRule.id);
  });

  it("fires once when a ticket stays in a status long enough; leaving the status cancels, entering again starts anew", async () => {
    const r = await rule({
      name: "Nudge pending",
      trigger: "TIME_ELAPSED",
      timer: { minutes: 4320, since: "STATUS", status: "PENDING" },
      actions: [{ type: "ADD_TAGS", tags: ["nudged"] }],
    });
    const id = await ticket();
    await app.consumed(t);
    expect(await timers(id, r.id)).toEqual([]);

    await setStatus(id, "PENDING");
    await app.consumed(t);
    const [first] = await timers(id, r.id);
    expect(first!.dueAt.getTime() - first!.anchor).toBe(4320 * 60_000);

    // Back to OPEN before the time is up: the timer goes. PENDING again: a new one from then.
    await setStatus(id, "OPEN");
    await app.consumed(t);
    expect(await timers(id, r.id)).toEqual([]);
    await setStatus(id, "PENDING");
    await app.consumed(t);
    const [second] = await timers(id, r.id);
    expect(second!.anchor).toBeGreaterThan(first!.anchor);

    await elapse(id);
    expect(await tagsOf(id)).toEqual(["nudged"]);
    expect(await runsOf(r.id, id)).toEqual([{ eventType: "TIME_ELAPSED", outcome: "APPLIED" }]);
    // Once: the fired timer stays fired, and the rule's own change does not start another.
    await app.server.scheduled();
    await app.consumed(t);
    expect(await runsOf(r.id, id)).toHaveLength(1);
    expect((await timers(id, r.id)).map((j) => [j.anchor, j.firedAt !== null])).toEqual([[second!.anchor, true]]);
    // Out of PENDING and back: a new start of the clock, which fires again.
    await setStatus(id, "OPEN");
    await setStatus(id, "PENDING");
    await app.consumed(t);
    expect((await timers(id, r.id)).map((j) => j.firedAt)).toEqual([null]);
    await elapse(id);
    expect(await runsOf(r.id, id)).toHaveLength(2);
    await deleteRule(r.id);
  });

  it("re-checks the conditions when the time is up, and drops a timer that fired as the ticket moved on", async () => {
    const r = await rule({
      name: "Escalate waiting",
      trigger: "TIME_ELAPSED",
      timer: { minutes: 60, since: "STATUS", status: "PENDING" },
      conditions: { all: [{ field: "tags", op: "NOT_CONTAINS", value: "vip" }] },
      actions: [{ type: "SET_PRIORITY", priority: "HIGH" }],
    });
    const vip = await ticket();
    await setStatus(vip, "PENDING");
    await app.consumed(t);
    await gql(`mutation($id: ID!) { updateTicket(id: $id, input: { tags: ["vip"] }) { id } }`, { id: vip });
    await app.consumed(t);
    // Tagging is a change, but not of the status: the clock runs on.
    expect(await timers(vip, r.id)).toHaveLength(1);
    await elapse(vip);
    // The time was up (the event is there), but the ticket no longer meets the conditions.
    expect(await app.database.prisma.event.count({ where: { ticketId: raw(vip), type: "TIME_ELAPSED" } })).toBe(1);
    expect(await runsOf(r.id, vip)).toEqual([]);

    // The timer comes due and the ticket leaves PENDING in the same moment: the change was first, so the rule does not run.
    // The change commits before the timer is made due: the scheduler (it polls every second) could otherwise fire it
    // first, and then the rule rightly runs. Whether the consumer then cancels the timer before the scheduler fires it
    // or drops the fired one, the rule does not run.
    const moved = await ticket();
    await setStatus(moved, "PENDING");
    await app.consumed(t);
    await setStatus(moved, "OPEN");
    await app.database.prisma.$executeRaw`
      UPDATE "ScheduledJob" SET "dueAt" = (now() AT TIME ZONE 'UTC') - interval '1 second'
      WHERE "kind" = ${ELAPSED_KIND} AND "key" LIKE ${`${raw(moved)}:%`}`;
    await app.server.scheduled();
    await app.consumed(t);
    expect(await runsOf(r.id, moved)).toEqual([]);
    expect((await gql(`query($id: ID!) { ticket(id: $id) { priority } }`, { id: moved })).data.ticket.priority).toBe("NORMAL");
    await deleteRule(r.id);
  });

  it("counts business hours in the default calendar, since the last change, and fires on one instance only", async () => {
    const cal = await gql(
      `mutation { createCalendar(input: { name: "Office", timeZone: "Europe/Amsterdam",
        hours: [{ weekday: 1, from: "09:00", to: "17:00" }, { weekday: 3, from: "09:00", to: "12:00" }] }) { id } }`,
    );
    expect(cal.errors).toBeUndefined();
    const r = await rule({
      name: "Stale",
      trigger: "TIME_ELAPSED",
      timer: { minutes: 240, since: "LAST_UPDATE", businessHours: true },
      actions: [
        { type: "ADD_NOTE", body: "No news for 4 business hours" },
        { type: "ADD_TAGS", tags: ["stale"] },
      ],
    });
    const id = await ticket();
    await app.consumed(t);
    const [created] = await timers(id, r.id);
    const calendar = storedCalendar((await app.database.prisma.calendar.findFirstOrThrow({ where: { tenantId: t.id, isDefault: true } }))!);
    const anchor = new Date(created!.anchor);
    expect(created!.dueAt.toISOString()).toBe(addBusinessTime(calendar, anchor, 240).toISOString());

    await gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: LOW }) { id } }`, { id });
    await app.consumed(t);
    const [updated] = await timers(id, r.id);
    expect(updated!.anchor).toBeGreaterThan(anchor.getTime());

    // Two more instances race the server's own scheduler for the due timer.
    await app.database.prisma.$executeRaw`
      UPDATE "ScheduledJob" SET "dueAt" = (now() AT TIME ZONE 'UTC') - interval '1 second'
      WHERE "kind" = ${ELAPSED_KIND} AND "key" LIKE ${`${raw(id)}:%`}`;
    const log = pino({ level: "silent" });
    const a = new Scheduler(app.database, log).register(elapsedJob);
    const b = new Scheduler(app.database, log).register(elapsedJob);
    await Promise.all([a.kick(), b.kick(), app.server.scheduled()]);
    await Promise.all([a.stop(), b.stop()]);
    await app.consumed(t);
    expect(await app.database.prisma.event.count({ where: { ticketId: raw(id), type: "TIME_ELAPSED" } })).toBe(1);
    expect(await runsOf(r.id, id)).toEqual([{ eventType: "TIME_ELAPSED", outcome: "APPLIED" }]);
    expect(await tagsOf(id)).toEqual(["stale"]);
    // The note and the tag are the rule's own changes: its clock does not start again.
    expect((await timers(id, r.id)).map((j) => j.firedAt !== null)).toEqual([true]);

    // A person's change starts it again; deleting the rule cancels it.
    await gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: HIGH }) { id } }`, { id });
    await app.consumed(t);
    expect((await timers(id, r.id)).map((j) => j.firedAt)).toEqual([null]);
    await deleteRule(r.id);
    expect(await timers(id, r.id)).toEqual([]);
  });
});
