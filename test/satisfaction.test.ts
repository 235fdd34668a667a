import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const SUBMIT = `mutation($token: String!, $rating: Int, $verdict: SatisfactionVerdict, $comment: String) {
  submitSatisfaction(token: $token, rating: $rating, verdict: $verdict, comment: $comment) { rating verdict comment } }`;
const REQUEST = `query($id: ID!) { ticket(id: $id) { satisfactionRequest { token expiresAt } satisfaction { rating verdict comment } } }`;

async function solvedTicket(tenant = t) {
  const c = await app.gql(
    `mutation { createTicket(input: { subject: "Rate me", body: "help", requester: { name: "Rater" } }) { id requester { id } } }`,
    {},
    tenant.ownerToken,
  );
  const id = c.data.createTicket.id;
  const s = await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { status } }`, { id }, tenant.ownerToken);
  expect(s.errors).toBeUndefined();
  const r = await app.gql(REQUEST, { id }, tenant.ownerToken);
  return { id, contactId: c.data.createTicket.requester.id, token: r.data.ticket.satisfactionRequest.token as string };
}

describe("satisfaction", () => {
  it("offers no request before the ticket is solved", async () => {
    const c = await app.gql(
      `mutation { createTicket(input: { subject: "x", body: "y", requester: { name: "N" } }) { id satisfactionRequest { token } } }`,
      {},
      t.ownerToken,
    );
    expect(c.data.createTicket.satisfactionRequest).toBeNull();
  });

  it("takes a rating without sign-in, once per ticket, a second submission replacing the first", async () => {
    const { id, token } = await solvedTicket();
    const first = await app.gql(SUBMIT, { token, rating: 2, comment: "slow" });
    expect(first.errors).toBeUndefined();
    expect(first.data.submitSatisfaction).toEqual({ rating: 2, verdict: null, comment: "slow" });
    const second = await app.gql(SUBMIT, { token, verdict: "GOOD" });
    expect(second.data.submitSatisfaction).toEqual({ rating: 5, verdict: "GOOD", comment: null });
    const read = await app.gql(REQUEST, { id }, t.ownerToken);
    expect(read.data.ticket.satisfaction).toEqual({ rating: 5, verdict: "GOOD", comment: null });
    await app.sequenced(t);
    const feed = await app.gql(
      `query($id: ID!) { events(first: 50, filter: { ticketId: $id, types: [SATISFACTION_RECEIVED] }) { edges { node { type } } } }`,
      { id },
      t.ownerToken,
    );
    expect(feed.data.events.edges).toHaveLength(2);
  });

  it("refuses forged, foreign, stale and malformed tokens, and ratings out of range, recording nothing", async () => {
    const { id, token } = await solvedTicket();
    const forged = token.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    expect(codes(await app.gql(SUBMIT, { token: forged, rating: 4 }))).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(SUBMIT, { token: "nonsense", rating: 4 }))).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(SUBMIT, { token, rating: 6 }))).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(SUBMIT, { token, rating: 3, verdict: "BAD" }))).toEqual(["VALIDATION"]);
    // Signed in to another tenant, the link is not valid there.
    const other = await app.tenant();
    expect(codes(await app.gql(SUBMIT, { token, rating: 4 }, other.ownerToken))).toEqual(["VALIDATION"]);
    // Reopened: the link of the earlier solve no longer works.
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: OPEN }) { id } }`, { id }, t.ownerToken);
    expect(codes(await app.gql(SUBMIT, { token, rating: 4 }))).toEqual(["VALIDATION"]);
    const read = await app.gql(REQUEST, { id }, t.ownerToken);
    expect(read.data.ticket).toEqual({ satisfactionRequest: null, satisfaction: null });
  });

  it("shows the request to the requester on the portal, who can rate with it", async () => {
    const { id, contactId } = await solvedTicket();
    const issued = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: contactId }, t.ownerToken);
    const portal = issued.data.issuePortalToken.token;
    const seen = await app.gql(REQUEST, { id }, portal);
    expect(seen.errors).toBeUndefined();
    const r = await app.gql(SUBMIT, { token: seen.data.ticket.satisfactionRequest.token, verdict: "BAD", comment: "meh" }, portal);
    expect(r.data.submitSatisfaction).toEqual({ rating: 1, verdict: "BAD", comment: "meh" });
  });

  it("keeps the request from agents who cannot write tickets", async () => {
    const { id } = await solvedTicket();
    const viewer = await app.agent(t, "VIEWER");
    const r = await app.gql(REQUEST, { id }, viewer.token);
    expect(codes(r)).toEqual(["FORBIDDEN"]);
  });
});
