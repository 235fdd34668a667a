import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { closeSubscribers, ticketCreatedEvents } from "./support/ticket-events.js";
import { until } from "./support/webhooks.js";

/**
 * The ticket, message or attachment an event names is read once per tick for
 * all the subscribers whose reads are alike (src/tickets/event-rows.ts).
 * Who may see what is covered by test/realtime.test.ts (notes, portal
 * contacts, other tenants), which runs through the same code.
 */

afterAll(closeSubscribers);

/** The statements that read tickets for many callers at once. */
const sharedTicketReads = (sent: string[]) => sent.filter((s) => s.includes(`FROM "public"."Ticket"`) && s.includes(`"id" IN (`));

describe("the rows events name", () => {
  let app: TestApp;
  let T: TestTenant;
  beforeAll(async () => {
    app = await startApp();
    T = await app.tenant();
  });
  afterAll(async () => app?.close());

  it("are read in one statement for the subscribers whose reads are alike, each answered with its own selection", async () => {
    const [one, two] = [await app.apiKey(T, ["TICKETS_READ"]), await app.apiKey(T, ["TICKETS_READ", "NOTES_READ"])];
    const bySubject = [one, one, one, two].map((key) => ticketCreatedEvents(app, key, "ticket { subject }"));
    const byStatus = ticketCreatedEvents(app, one, "ticket { status priority }");
    const all = [...bySubject, byStatus];
    // Every stream is open once the first event reached all of them.
    await app.gql(`mutation { createTicket(input: { subject: "warm-up", body: "b", requester: { name: "R" } }) { id } }`, {}, T.ownerToken);
    await until(() => all.every((r) => r.length === 1), 10_000, "the warm-up event");

    const before = app.database.queryCount;
    const created = await app.gql(
      `mutation { createTicket(input: { subject: "Printer on fire", body: "b", priority: HIGH, requester: { name: "R" } }) { id } }`,
      {},
      T.ownerToken,
    );
    expect(created.errors).toBeUndefined();
    await until(() => all.every((r) => r.length === 2), 10_000, "the event, to every subscriber");

    for (const r of bySubject) expect(r[1].data.ticketEvents.ticket).toEqual({ subject: "Printer on fire" });
    expect(byStatus[1].data.ticketEvents.ticket).toEqual({ status: "NEW", priority: "HIGH" });
    // Three kinds of alike reads (key one's subject, key two's subject, the status): three statements
    // when every delivery runs in the same tick, as they do unless a stream stops to check its
    // credential again (every 2 s); never one per subscriber.
    const reads = sharedTicketReads(app.database.statementsSince(before));
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.length).toBeLessThan(all.length);
  });

  it("reads the events of one events(after:) page in one statement", async () => {
    const before = app.database.queryCount;
    const page = await app.gql(`{ events(first: 10) { edges { node { seq ticket { subject } } } } }`, {}, T.ownerToken);
    expect(page.errors).toBeUndefined();
    const subjects = page.data.events.edges.map((e: any) => e.node.ticket?.subject).filter(Boolean);
    expect(subjects).toEqual(expect.arrayContaining(["warm-up", "Printer on fire"]));
    expect(sharedTicketReads(app.database.statementsSince(before))).toHaveLength(1);
  });
});
