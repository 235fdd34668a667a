import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { closeSubscribers, ticketCreatedEvents } from "./support/ticket-events.js";
import { until } from "./support/webhooks.js";

/**
 * Alike subscriptions (the same credential, document and variables) share
 * each event's execution (src/graphql/engine.ts); each still gets what its
 * own credential may see. How often an event executes is in
 * test/subscription-sharing.test.ts; that each still records its own reads,
 * in test/subscription-reads.test.ts.
 */

afterAll(closeSubscribers);

describe("alike subscriptions", () => {
  let app: TestApp;
  let T: TestTenant;
  let requesterId: string;
  beforeAll(async () => {
    app = await startApp();
    T = await app.tenant();
    const r = await app.gql(`mutation { createContact(input: { name: "Pia", email: "pia@example.com" }) { id } }`, {}, T.ownerToken);
    requesterId = r.data.createContact.id;
  });
  afterAll(async () => app?.close());

  /** Creates a ticket for Pia and waits until every stream has its event. */
  async function ticketFor(streams: any[][], subject: string) {
    const created = await app.gql(
      `mutation($r: ID!, $s: String!) { createTicket(input: { subject: $s, body: "b", requesterId: $r }) { id } }`,
      { r: requesterId, s: subject },
      T.ownerToken,
    );
    expect(created.errors).toBeUndefined();
    await until(() => streams.every((r) => r.some((d) => d.data?.ticketEvents.ticket?.subject === subject)), 10_000, subject);
  }

  it("each get the event, through a portal contact's confined reads too", async () => {
    const portal = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: requesterId }, T.ownerToken);
    const token = portal.data.issuePortalToken.token as string;
    const streams = [1, 2, 3].map(() => ticketCreatedEvents(app, token, "ticket { subject requester { email } }"));
    await ticketFor(streams, "for Pia");
    for (const r of streams) {
      const delivery = r.find((d) => d.data?.ticketEvents.ticket?.subject === "for Pia");
      expect(delivery.errors).toBeUndefined();
      expect(delivery.data.ticketEvents.ticket.requester).toEqual({ email: "pia@example.com" });
    }
  });

  it("of different credentials are not shared: each gets what its own may see", async () => {
    const [tickets, contacts] = [await app.apiKey(T, ["TICKETS_READ"]), await app.apiKey(T, ["TICKETS_READ", "CONTACTS_READ"])];
    const selection = "ticket { subject requester { name email } }";
    const withoutEmail = [ticketCreatedEvents(app, tickets, selection), ticketCreatedEvents(app, tickets, selection)];
    const withEmail = [ticketCreatedEvents(app, contacts, selection), ticketCreatedEvents(app, contacts, selection)];
    await until(() => [...withoutEmail, ...withEmail].every((r) => r.length >= 1), 10_000, "the replays");

    await ticketFor([...withoutEmail, ...withEmail], "who sees the email");
    const last = (r: any[]) => r.find((d) => d.data?.ticketEvents.ticket?.subject === "who sees the email");
    for (const r of withEmail) {
      expect(last(r).errors).toBeUndefined();
      expect(last(r).data.ticketEvents.ticket.requester).toEqual({ name: "Pia", email: "pia@example.com" });
    }
    for (const r of withoutEmail) {
      expect(JSON.stringify(last(r).errors)).toContain("FORBIDDEN");
      expect(JSON.stringify(last(r).data)).not.toContain("pia@example.com");
    }
  });
});
