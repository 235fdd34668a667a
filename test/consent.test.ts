import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

async function contactWithTicket(name = "Dana") {
  const r = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    { i: { subject: "Help", body: "Please", requester: { name, email: `${name.toLowerCase()}${Math.random()}@example.com` } } },
    t.ownerToken,
  );
  return { contactId: r.data.createTicket.requester.id as string, ticketId: r.data.createTicket.id as string };
}

const consentOf = async (contactId: string, purpose: string) => {
  const r = await app.gql(
    `query($id: ID!) { contact(id: $id) { consents { purpose status allowed since { action method policyVersion } } } }`,
    { id: contactId },
    t.ownerToken,
  );
  return r.data.contact.consents.find((c: any) => c.purpose === purpose);
};
const change = (name: string, contactId: string, purpose: string, extra: Record<string, unknown> = {}) =>
  app.gql(
    `mutation($i: ConsentInput!) { ${name}(input: $i) { id action method purpose policyVersion actorType } }`,
    { i: { contactId, purpose, ...extra } },
    t.ownerToken,
  );

describe("consent", () => {
  it("derives the current state from an append-only history", async () => {
    const { contactId } = await contactWithTicket();
    expect(await consentOf(contactId, "marketing")).toMatchObject({ status: "NOT_GIVEN", allowed: false, since: null });

    const granted = await change("grantConsent", contactId, "marketing", { method: "EMAIL_LINK", policyVersion: "2026-01" });
    expect(granted.data.grantConsent).toMatchObject({
      action: "GRANTED",
      method: "EMAIL_LINK",
      policyVersion: "2026-01",
      actorType: "AGENT",
    });
    expect(await consentOf(contactId, "marketing")).toMatchObject({ status: "GRANTED", allowed: true, since: { action: "GRANTED" } });

    await change("withdrawConsent", contactId, "marketing");
    expect(await consentOf(contactId, "marketing")).toMatchObject({
      status: "WITHDRAWN",
      allowed: false,
      since: { action: "WITHDRAWN", method: "API" },
    });

    const history = await app.gql(
      `query($id: ID!) { contact(id: $id) { consentHistory { totalCount edges { node { action } } } } }`,
      { id: contactId },
      t.ownerToken,
    );
    expect(history.data.contact.consentHistory.totalCount).toBe(2);
    expect(history.data.contact.consentHistory.edges.map((e: any) => e.node.action)).toEqual(["GRANTED", "WITHDRAWN"]);
  });

  it("keeps the history append-only in the database itself", async () => {
    const { contactId } = await contactWithTicket();
    await change("grantConsent", contactId, "marketing");
    const err = await app.database.prisma.$executeRawUnsafe(`UPDATE "ConsentEvent" SET "action" = 'WITHDRAWN'`).catch((e: Error) => e);
    expect(JSON.stringify({ message: String(err), meta: (err as { meta?: unknown }).meta })).toMatch(/append-only/);
  });

  it("accepts only what the purpose's legal basis allows", async () => {
    const { contactId } = await contactWithTicket();
    expect(codes(await change("grantConsent", contactId, "support"))).toEqual(["VALIDATION"]);
    expect(codes(await change("objectToProcessing", contactId, "marketing"))).toEqual(["VALIDATION"]);
    expect(codes(await change("grantConsent", contactId, "no.such.purpose"))).toEqual(["VALIDATION"]);
    const purposes = await app.gql(`{ processingPurposes { name legalBasis objectable } }`, {}, t.ownerToken);
    expect(purposes.data.processingPurposes).toContainEqual({ name: "support", legalBasis: "CONTRACT", objectable: false });
  });
});

describe("@consent fields", () => {
  const SUMMARY = `query($id: ID!) { contact(id: $id) { name supportSummary { ticketCount openTicketCount } } }`;

  it("resolve to null with CONSENT_REQUIRED after an objection, leaving the rest of the response", async () => {
    const { contactId } = await contactWithTicket("Olaf");
    const before = await app.gql(SUMMARY, { id: contactId }, t.ownerToken);
    expect(before.data.contact.supportSummary).toEqual({ ticketCount: 1, openTicketCount: 1 });

    await change("objectToProcessing", contactId, "analytics");
    const after = await app.gql(SUMMARY, { id: contactId }, t.ownerToken);
    expect(after.data.contact).toEqual({ name: "Olaf", supportSummary: null });
    expect(after.errors).toHaveLength(1);
    expect(after.errors![0]).toMatchObject({
      path: ["contact", "supportSummary"],
      extensions: { code: "CONSENT_REQUIRED", purpose: "analytics" },
    });

    await change("withdrawObjection", contactId, "analytics");
    expect((await app.gql(SUMMARY, { id: contactId }, t.ownerToken)).data.contact.supportSummary.ticketCount).toBe(1);
  });

  it("decide per subject within one list", async () => {
    const a = await contactWithTicket("Ann");
    const b = await contactWithTicket("Ben");
    await change("objectToProcessing", b.contactId, "analytics");
    const r = await app.gql(
      `query($a: ID!, $b: ID!) { a: contact(id: $a) { supportSummary { ticketCount } } b: contact(id: $b) { supportSummary { ticketCount } } }`,
      { a: a.contactId, b: b.contactId },
      t.ownerToken,
    );
    expect(r.data.a.supportSummary.ticketCount).toBe(1);
    expect(r.data.b.supportSummary).toBeNull();
    expect(codes(r)).toEqual(["CONSENT_REQUIRED"]);
  });
});

describe("restriction of processing", () => {
  it("keeps the data, refuses changes to the contact and its tickets, until lifted", async () => {
    const { contactId, ticketId } = await contactWithTicket("Rita");
    const restricted = await app.gql(
      `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "accuracy contested") { restricted restrictionReason } }`,
      { c: contactId },
      t.ownerToken,
    );
    expect(restricted.data.restrictProcessing).toEqual({ restricted: true, restrictionReason: "accuracy contested" });

    const read = await app.gql(
      `query($id: ID!) { contact(id: $id) { name supportSummary { ticketCount } } }`,
      { id: contactId },
      t.ownerToken,
    );
    expect(read.data.contact.name).toBe("Rita");
    expect(codes(read)).toEqual(["PROCESSING_RESTRICTED"]);

    const refusals = await Promise.all([
      app.gql(`mutation($c: ID!) { updateContact(id: $c, input: { name: "Changed" }) { id } }`, { c: contactId }, t.ownerToken),
      app.gql(
        `mutation($c: ID!) { createTicket(input: { subject: "x", body: "y", requesterId: $c }) { id } }`,
        { c: contactId },
        t.ownerToken,
      ),
      app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`, { id: ticketId }, t.ownerToken),
      app.gql(`mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "hello" }) { id } }`, { id: ticketId }, t.ownerToken),
    ]);
    for (const r of refusals) expect(codes(r)).toEqual(["PROCESSING_RESTRICTED"]);
    const ticket = await app.gql(`query($id: ID!) { ticket(id: $id) { status messages { totalCount } } }`, { id: ticketId }, t.ownerToken);
    expect(ticket.data.ticket).toEqual({ status: "NEW", messages: { totalCount: 1 } });

    const lifted = await app.gql(`mutation($c: ID!) { liftRestriction(contactId: $c) { restricted } }`, { c: contactId }, t.ownerToken);
    expect(lifted.data.liftRestriction.restricted).toBe(false);
    const now = await app.gql(
      `mutation($c: ID!) { updateContact(id: $c, input: { name: "Changed" }) { name } }`,
      { c: contactId },
      t.ownerToken,
    );
    expect(now.data.updateContact.name).toBe("Changed");
  });

  it("is managed by owners and admins only", async () => {
    const { contactId } = await contactWithTicket();
    const agent = await app.agent(t, "AGENT");
    for (const op of [
      `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "r") { id } }`,
      `mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "r") { id } }`,
    ]) {
      expect(codes(await app.gql(op, { c: contactId }, agent.token))).toEqual(["FORBIDDEN"]);
    }
    const admin = await app.agent(t, "ADMIN");
    const held = await app.gql(
      `mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "litigation 2026-17") { legalHold legalHoldReason } }`,
      { c: contactId },
      admin.token,
    );
    expect(held.data.placeLegalHold).toEqual({ legalHold: true, legalHoldReason: "litigation 2026-17" });
    expect(
      codes(await app.gql(`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "again") { id } }`, { c: contactId }, admin.token)),
    ).toEqual(["CONFLICT"]);
    expect(
      codes(await app.gql(`mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "  ") { id } }`, { c: contactId }, admin.token)),
    ).toEqual(["VALIDATION"]);
  });
});
