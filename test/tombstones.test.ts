import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

describe("erasure on the event stream", () => {
  it("leaves a TICKET_ERASED tombstone per ticket of the erased person, carrying no personal data", async () => {
    const create = (subject: string) =>
      app.gql(
        `mutation($s: String!) { createTicket(input: { subject: $s, body: "b", requester: { name: "Tomás Tomb", email: "tomb@example.com" } }) { id requester { id } } }`,
        { s: subject },
        t.ownerToken,
      );
    const first = await create("one");
    const contactId = first.data.createTicket.requester.id;
    const second = await app.gql(
      `mutation($c: ID!) { createTicket(input: { subject: "two", body: "b", requesterId: $c }) { id } }`,
      { c: contactId },
      t.ownerToken,
    );
    const filed = await app.gql(
      `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ERASURE }) { id } }`,
      { c: contactId },
      t.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      t.ownerToken,
    );
    expect(done.data.completeDataSubjectRequest.status).toBe("COMPLETED");
    await app.sequenced(t);

    const r = await app.gql(
      `{ events(first: 50, filter: { types: [TICKET_ERASED] }) { edges { node { type ticketId changes } } } }`,
      {},
      t.ownerToken,
    );
    const tombstones = r.data.events.edges.map((e: any) => e.node);
    expect(tombstones.map((e: any) => e.ticketId).sort()).toEqual([first.data.createTicket.id, second.data.createTicket.id].sort());
    expect(tombstones[0].changes).toEqual({ reason: "requester erased" });
    const all = await app.gql(`{ events(first: 200) { edges { node { changes } } } }`, {}, t.ownerToken);
    expect(JSON.stringify(all.data)).not.toMatch(/Tomb|tomb@example/);
  });
});

describe("the replay window", () => {
  it("drops published events older than the window; a cursor from before it gets CURSOR_EXPIRED", async () => {
    const { pruneEvents } = await import("../src/events/prune.js");
    const other = await app.tenant();
    for (const s of ["a", "b", "c"]) {
      await app.gql(
        `mutation($s: String!) { createTicket(input: { subject: $s, body: "b", requester: { name: "X" } }) { id } }`,
        { s },
        other.ownerToken,
      );
    }
    await app.server.database.prisma.event.updateMany({ where: { tenantId: other.id }, data: { publishedAt: new Date() } });
    const page = await app.gql(`{ events(first: 2) { edges { cursor } } }`, {}, other.ownerToken);
    const oldCursor = page.data.events.edges[0].cursor;
    const tenDaysLater = new Date(Date.now() + 10 * 86_400_000);
    expect(await pruneEvents(app.database, 7, tenDaysLater)).toBeGreaterThanOrEqual(6);
    await app.gql(`mutation { createTicket(input: { subject: "d", body: "b", requester: { name: "Y" } }) { id } }`, {}, other.ownerToken);
    const { createClient } = await import("graphql-ws");
    const { default: WebSocket } = await import("ws");
    const client = createClient({
      url: app.url.replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${other.ownerToken}` },
      retryAttempts: 0,
    });
    const error = await new Promise<any>((resolve) => {
      client.subscribe(
        { query: `subscription($a: String) { ticketEvents(after: $a) { seq } }`, variables: { a: oldCursor } },
        { next: (r) => r.errors && resolve(r.errors), error: resolve, complete: () => resolve(null) },
      );
    });
    await client.dispose();
    expect(JSON.stringify(error)).toContain("CURSOR_EXPIRED");
  });
});
