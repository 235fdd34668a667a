import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;
let me: { contactId: string; ticketId: string; token: string };
let otherTicketId: string;

const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  const mine = await app.gql(
    CREATE,
    { i: { subject: "My printer", body: "It jams", requester: { name: "Pia Portal", email: "pia@example.com" } } },
    t.ownerToken,
  );
  const other = await app.gql(
    CREATE,
    { i: { subject: "Someone else's", body: "private", requester: { name: "Otto Other", email: "otto@example.com" } } },
    t.ownerToken,
  );
  otherTicketId = other.data.createTicket.id;
  const ticketId = mine.data.createTicket.id;
  await app.gql(
    `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "internal: customer seems annoyed", internal: true }) { id } }`,
    { id: ticketId },
    t.ownerToken,
  );
  await app.gql(
    `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "We are looking into it", status: SOLVED }) { id } }`,
    { id: ticketId },
    t.ownerToken,
  );
  const contactId = mine.data.createTicket.requester.id;
  const issued = await app.gql(
    `mutation($c: ID!) { issuePortalToken(contactId: $c, validForDays: 7) { token expiresAt contact { name } } }`,
    { c: contactId },
    t.ownerToken,
  );
  expect(issued.data.issuePortalToken.contact.name).toBe("Pia Portal");
  me = { contactId, ticketId, token: issued.data.issuePortalToken.token };
});
afterAll(() => app?.close());

describe("a contact with a portal token", () => {
  it("is a CONTACT viewer who sees their own profile", async () => {
    const r = await app.gql(`{ viewer { kind permissions contact { id name email } } }`, {}, me.token);
    expect(r.data.viewer).toEqual({
      kind: "CONTACT",
      permissions: ["portal:self"],
      contact: { id: me.contactId, name: "Pia Portal", email: "pia@example.com" },
    });
  });

  it("sees only their own tickets and only public replies", async () => {
    const r = await app.gql(
      `{ tickets { totalCount edges { node { id subject messages { totalCount edges { node { body internal } } } lastMessage { body } } } } }`,
      {},
      me.token,
    );
    expect(r.data.tickets.totalCount).toBe(1);
    const ticket = r.data.tickets.edges[0].node;
    expect(ticket.id).toBe(me.ticketId);
    expect(ticket.messages.totalCount).toBe(2);
    expect(ticket.messages.edges.map((e: any) => e.node.internal)).toEqual([false, false]);
    expect(JSON.stringify(r.data)).not.toContain("annoyed");
    expect(codes(await app.gql(`query($id: ID!) { ticket(id: $id) { id } }`, { id: otherTicketId }, me.token))).toEqual(["NOT_FOUND"]);
    expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: otherTicketId }, me.token)).data.node).toBeNull();
  });

  it("sees nothing else of the tenant", async () => {
    for (const query of [
      `{ contacts { totalCount } }`,
      `{ agents { totalCount } }`,
      `{ organizations { totalCount } }`,
      `{ tags { name } }`,
      `{ apiKeys { totalCount } }`,
    ]) {
      expect(codes(await app.gql(query, {}, me.token)), query).toEqual(["FORBIDDEN"]);
    }
    const other = await app.gql(`{ tickets(first: 50) { edges { node { requester { id } } } } }`, {}, t.ownerToken);
    const otto = other.data.tickets.edges.map((e: any) => e.node.requester.id).find((id: string) => id !== me.contactId);
    expect(codes(await app.gql(`query($id: ID!) { contact(id: $id) { name } }`, { id: otto }, me.token))).toEqual(["NOT_FOUND"]);
    for (const op of [
      `mutation { createContact(input: { name: "x" }) { id } }`,
      `mutation { createTicket(input: { subject: "x", body: "y", requester: { name: "z" } }) { id } }`,
      `mutation { createApiKey(input: { name: "x", scopes: [TICKETS_READ] }) { secret } }`,
    ]) {
      expect(codes(await app.gql(op, {}, me.token)), op).toEqual(["FORBIDDEN"]);
    }
  });

  it("replies as the requester, which reopens the solved ticket, and cannot write notes or elsewhere", async () => {
    const reply = await app.gql(
      `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "Still jams" }) { authorType authorContact { id } ticket { status } } }`,
      { id: me.ticketId },
      me.token,
    );
    expect(reply.data.addMessage).toEqual({ authorType: "CONTACT", authorContact: { id: me.contactId }, ticket: { status: "OPEN" } });
    expect(
      codes(
        await app.gql(
          `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "x", internal: true }) { id } }`,
          { id: me.ticketId },
          me.token,
        ),
      ),
    ).toEqual(["FORBIDDEN"]);
    expect(
      codes(
        await app.gql(`mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "x" }) { id } }`, { id: otherTicketId }, me.token),
      ),
    ).toEqual(["NOT_FOUND"]);
  });

  it("manages their own consents, recorded as given on the portal", async () => {
    const granted = await app.gql(
      `mutation { grantConsent(input: { purpose: "marketing", policyVersion: "v3" }) { action method actorType } }`,
      {},
      me.token,
    );
    expect(granted.data.grantConsent).toEqual({ action: "GRANTED", method: "PORTAL", actorType: "CONTACT" });
    const withdrawn = await app.gql(`mutation { withdrawConsent(input: { purpose: "marketing" }) { action } }`, {}, me.token);
    expect(withdrawn.data.withdrawConsent.action).toBe("WITHDRAWN");
    const mine = await app.gql(`{ viewer { contact { consents { purpose status } } } }`, {}, me.token);
    expect(mine.data.viewer.contact.consents).toContainEqual({ purpose: "marketing", status: "WITHDRAWN" });
    const other = await app.gql(`{ tickets(first: 50) { edges { node { requester { id } } } } }`, {}, t.ownerToken);
    const otto = other.data.tickets.edges.map((e: any) => e.node.requester.id).find((id: string) => id !== me.contactId);
    expect(
      codes(
        await app.gql(`mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: otto }, me.token),
      ),
    ).toEqual(["NOT_FOUND"]);
  });

  it("cannot reach another tenant", async () => {
    const other = await app.tenant();
    await app.gql(
      CREATE,
      { i: { subject: "Other tenant", body: "b", requester: { name: "Pia Portal", email: "pia@example.com" } } },
      other.ownerToken,
    );
    const r = await app.gql(`{ viewer { tenant { slug } } tickets { edges { node { subject } } } }`, {}, me.token);
    expect(r.data.viewer.tenant.slug).toBe(t.slug);
    expect(r.data.tickets.edges.map((e: any) => e.node.subject)).toEqual(["My printer"]);
  });

  it("stops working when revoked or expired", async () => {
    const extra = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: me.contactId }, t.ownerToken);
    const token = extra.data.issuePortalToken.token;
    const revoked = await app.gql(`mutation($c: ID!) { revokePortalTokens(contactId: $c) }`, { c: me.contactId }, t.ownerToken);
    expect(revoked.data.revokePortalTokens).toBe(2);
    expect(codes(await app.gql(`{ viewer { kind } }`, {}, token))).toEqual(["UNAUTHENTICATED"]);

    const fresh = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: me.contactId }, t.ownerToken);
    await app.database.prisma.portalToken.updateMany({ where: { revokedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(codes(await app.gql(`{ viewer { kind } }`, {}, fresh.data.issuePortalToken.token))).toEqual(["UNAUTHENTICATED"]);
  });
});
