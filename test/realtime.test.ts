import { randomBytes } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { EventFeed } from "../src/events/feed.js";
import { recordEvents } from "../src/events/outbox.js";
import type { RunningServer } from "../src/server.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { startPeer } from "./support/peer.js";
import { startRedis, type RedisProcess } from "./support/redis.js";
import { sleep, until } from "./support/webhooks.js";

/**
 * Notices do the work here: the safety-net poll is 30 s, so an event that
 * arrives within a few seconds came through the bus (in memory, or Redis).
 */
const SLOW_POLL = { EVENT_POLL_MS: "30000" };

const clients: Client[] = [];
afterAll(async () => {
  for (const c of clients) await c.dispose();
});

interface Closed {
  code: number;
  reason: string;
  at: number;
}

function connect(url: string, token: string, onClosed?: (event: Closed) => void): Client {
  const client = createClient({
    url: url.replace("http://", "ws://"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: {
      closed: (e) => {
        const { code, reason } = e as { code: number; reason: string };
        onClosed?.({ code, reason, at: Date.now() });
      },
    },
  });
  clients.push(client);
  return client;
}

/** Collects what a subscription delivers. */
function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const received: any[] = [];
  const errors: any[] = [];
  let ended = false;
  const stop = client.subscribe(
    { query, variables },
    {
      next: (r) => (r.errors ? errors.push(r.errors) : received.push(r.data)),
      error: (e) => {
        errors.push(e);
        ended = true;
      },
      complete: () => (ended = true),
    },
  );
  return { received, errors, stop, ended: () => ended };
}

const EVENTS = `subscription($after: String, $filter: TicketEventFilter) {
  ticketEvents(after: $after, filter: $filter) { cursor seq type ticket { subject } message { body internal } }
}`;

const seqs = (received: any[]) => received.map((d) => d.ticketEvents.seq as number);
const contiguous = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function createTicket(app: TestApp, t: TestTenant, subject: string, extra: Record<string, unknown> = {}) {
  const r = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    { i: { subject, body: `body of ${subject}`, requester: { name: "R" }, ...extra } },
    t.ownerToken,
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return { id: r.data.createTicket.id as string, requesterId: r.data.createTicket.requester.id as string };
}

const addMessage = (app: TestApp, t: TestTenant, ticketId: string, body: string, internal = false) =>
  app.gql(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body, internal } }, t.ownerToken);

/** The tenant's last event number, once what was committed so far is numbered. */
const head = async (app: TestApp, t: TestTenant) => {
  await app.sequenced(t);
  return (await app.database.prisma.tenant.findUniqueOrThrow({ where: { id: t.id }, select: { eventSeq: true } })).eventSeq;
};

/** The feed's cursor at the tenant's head: a subscription from it misses nothing committed afterwards, however late it gets going. */
const fromHead = async (app: TestApp, t: TestTenant) => ({ after: Buffer.from(`event:${await head(app, t)}`).toString("base64url") });

/**
 * For a subscription that takes no cursor: writes until the subscription has
 * seen one of the writes, so that it is live. Returns how many it saw, to be
 * left out of what the test then checks.
 */
async function untilLive(received: any[], write: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; ; i++) {
    await write(i);
    if (
      await until(() => received.length > 0, 500).then(
        () => true,
        () => false,
      )
    )
      return received.length;
    if (i > 40) throw new Error("the subscription never went live");
  }
}

describe("one instance, in-memory bus", () => {
  let app: TestApp;
  let A: TestTenant;
  let B: TestTenant;
  beforeAll(async () => {
    app = await startApp(SLOW_POLL);
    A = await app.tenant();
    B = await app.tenant();
  });
  afterAll(() => app?.close());

  it("delivers a tenant's committed changes to its subscribers only", async () => {
    const keyA = await app.apiKey(A, ["TICKETS_READ"]);
    const keyB = await app.apiKey(B, ["TICKETS_READ"]);
    const a = collect(connect(app.url, keyA), EVENTS, await fromHead(app, A));
    const b = collect(connect(app.url, keyB), EVENTS, await fromHead(app, B));
    await createTicket(app, A, "Only for A");
    await until(() => a.received.length >= 2);
    expect(a.received.map((d) => d.ticketEvents.type)).toEqual(["TICKET_CREATED", "MESSAGE_ADDED"]);
    expect(a.received[0].ticketEvents.ticket.subject).toBe("Only for A");
    // B's own next ticket is the first thing B's stream delivers: A's never reached it.
    await createTicket(app, B, "For B");
    await until(() => b.received.length >= 1);
    expect(b.received[0].ticketEvents.ticket.subject).toBe("For B");
    expect(a.errors).toEqual([]);
  });

  it("starts from a fresh cursor while the tenant's first events are being numbered, without CURSOR_EXPIRED", async () => {
    const T = await app.tenant();
    const from = await fromHead(app, T);
    expect(from.after).toBe(Buffer.from("event:0").toString("base64url"));
    // The subscription places its cursor with two reads, the feed's head and its oldest event;
    // here the tenant's first events are numbered right after the oldest one was read.
    const oldest = EventFeed.prototype.oldest;
    const numberedMeanwhile = vi.spyOn(EventFeed.prototype, "oldest").mockImplementationOnce(async function (this: EventFeed, tenantId) {
      const read = await oldest.call(this, tenantId);
      await createTicket(app, T, "Numbered meanwhile");
      await app.sequenced(T);
      return read;
    });
    try {
      const s = collect(connect(app.url, await app.apiKey(T, ["TICKETS_READ"])), EVENTS, from);
      await until(() => s.received.length >= 2 || s.errors.length > 0);
      expect(numberedMeanwhile).toHaveBeenCalledTimes(1);
      expect(s.errors).toEqual([]);
      expect(seqs(s.received)).toEqual([1, 2]);
    } finally {
      numberedMeanwhile.mockRestore();
    }
  });

  it("refuses a subscription without tickets:read at once with FORBIDDEN, and delivers nothing to it", async () => {
    const from = await fromHead(app, A);
    const { id: ticketId } = await createTicket(app, A, "Watched by a key that may not");
    const contactsOnly = connect(app.url, await app.apiKey(A, ["CONTACTS_READ"]));
    const refused = collect(contactsOnly, EVENTS, from);
    // Refused before the ticket is looked up: the answer says nothing about whether it exists.
    const refusedMessages = collect(contactsOnly, `subscription($t: ID!) { ticketMessages(ticketId: $t) { id } }`, { t: ticketId });
    const refusedUnknown = collect(contactsOnly, `subscription($t: ID!) { ticketMessages(ticketId: $t) { id } }`, {
      t: Buffer.from("Ticket:00000000-0000-4000-8000-000000000000").toString("base64"),
    });
    await until(() => refused.ended() && refusedMessages.ended() && refusedUnknown.ended());
    for (const r of [refused, refusedMessages, refusedUnknown]) {
      expect(r.errors.flat().map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    }
    // The socket stays usable; an event committed now reaches the subscriber that may read it, and not the refused one.
    const allowed = collect(connect(app.url, await app.apiKey(A, ["TICKETS_READ"])), EVENTS, from);
    await createTicket(app, A, "After a refusal");
    await until(() => allowed.received.length >= 2);
    expect(refused.received).toEqual([]);
    expect(refusedMessages.received).toEqual([]);
  });

  it("filters internal notes per event by the subscriber's scopes", async () => {
    const { id: ticket } = await createTicket(app, A, "Notes");
    const from = await fromHead(app, A);
    const withoutNotes = collect(connect(app.url, await app.apiKey(A, ["TICKETS_READ"])), EVENTS, {
      ...from,
      filter: { types: ["MESSAGE_ADDED"] },
    });
    const withNotes = collect(connect(app.url, await app.apiKey(A, ["TICKETS_READ", "NOTES_READ"])), EVENTS, {
      ...from,
      filter: { types: ["MESSAGE_ADDED"] },
    });
    await addMessage(app, A, ticket, "internal: customer is difficult", true);
    await addMessage(app, A, ticket, "public: we are on it");
    // Events arrive in order: once the public reply is in, the note before it has been let through or not.
    await until(() => withNotes.received.length >= 2 && withoutNotes.received.length >= 1);
    expect(withNotes.received.map((d) => d.ticketEvents.message)).toEqual([
      { body: "internal: customer is difficult", internal: true },
      { body: "public: we are on it", internal: false },
    ]);
    expect(withoutNotes.received.map((d) => d.ticketEvents.message)).toEqual([{ body: "public: we are on it", internal: false }]);
    expect(JSON.stringify(withoutNotes)).not.toContain("difficult");
  });

  it("ticketMessages streams one ticket's new messages, notes only with NOTES_READ", async () => {
    const { id: watched } = await createTicket(app, A, "Watched");
    const { id: other } = await createTicket(app, A, "Other");
    const MESSAGES = `subscription($t: ID!) { ticketMessages(ticketId: $t) { body internal ticket { id } } }`;
    const key = collect(connect(app.url, await app.apiKey(A, ["TICKETS_READ"])), MESSAGES, { t: watched });
    const agent = collect(connect(app.url, (await app.agent(A, "AGENT")).token), MESSAGES, { t: watched });
    const warmUp = (i: number) => addMessage(app, A, watched, `warm-up ${i}`);
    await untilLive(key.received, warmUp);
    await untilLive(agent.received, warmUp);
    key.received.length = 0;
    agent.received.length = 0;
    await addMessage(app, A, other, "elsewhere");
    await addMessage(app, A, watched, "a note", true);
    await addMessage(app, A, watched, "a reply");
    // Messages arrive in order: once the reply is in, those before it have been let through or not.
    await until(
      () =>
        agent.received.some((d) => d.ticketMessages.body === "a reply") && key.received.some((d) => d.ticketMessages.body === "a reply"),
    );
    for (const r of [key.received, agent.received])
      r.splice(
        0,
        r.findIndex((d) => !d.ticketMessages.body.startsWith("warm-up")),
      );
    expect(agent.received.map((d) => d.ticketMessages)).toEqual([
      { body: "a note", internal: true, ticket: { id: watched } },
      { body: "a reply", internal: false, ticket: { id: watched } },
    ]);
    expect(key.received.map((d) => d.ticketMessages.body)).toEqual(["a reply"]);

    // Another tenant's ticket is as missing as one that does not exist.
    const ofB = collect(connect(app.url, await app.apiKey(B, ["TICKETS_READ"])), MESSAGES, { t: watched });
    await until(() => ofB.ended());
    expect(JSON.stringify(ofB.errors)).toContain("NOT_FOUND");
  });

  it("a contact's portal token sees only the events of their own tickets, never notes", async () => {
    const mine = await createTicket(app, A, "Pia's problem");
    const theirs = await createTicket(app, A, "Someone else's problem");
    const portal = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: mine.requesterId }, A.ownerToken);
    const token = portal.data.issuePortalToken.token as string;
    const pia = collect(
      connect(app.url, token),
      `subscription($after: String) { ticketEvents(after: $after) { type ticket { subject } message { body } } }`,
      await fromHead(app, A),
    );
    await addMessage(app, A, theirs.id, "not for Pia");
    await addMessage(app, A, mine.id, "internal about Pia", true);
    await addMessage(app, A, mine.id, "for Pia");
    // In order: once hers is in, the two before it have been let through or not.
    await until(() => pia.received.some((d) => d.ticketEvents.message?.body === "for Pia"));
    expect(pia.errors).toEqual([]);
    const subjects = new Set(pia.received.map((d) => d.ticketEvents.ticket.subject));
    expect([...subjects]).toEqual(["Pia's problem"]);
    expect(JSON.stringify(pia.received)).not.toMatch(/not for Pia|internal about Pia|Someone else/);
  });

  it("serves subscriptions over SSE too", async () => {
    const key = await app.apiKey(A, ["TICKETS_READ"]);
    const controller = new AbortController();
    const res = await fetch(app.url, {
      method: "POST",
      headers: { accept: "text/event-stream", "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({
        query: `subscription($after: String) { ticketEvents(after: $after, filter: { types: [TICKET_CREATED] }) { type ticket { subject } } }`,
        variables: await fromHead(app, A),
      }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const received: any[] = [];
    const reader = res.body!.getReader();
    const reading = (async () => {
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += new TextDecoder().decode(value);
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split("\n").find((l) => l.startsWith("data:"));
          if (/^event: next/m.test(message) && data) received.push(JSON.parse(data.slice(5)));
        }
      }
    })();
    await createTicket(app, A, "Over SSE");
    await until(() => received.length >= 1);
    expect(received[0]).toEqual({ data: { ticketEvents: { type: "TICKET_CREATED", ticket: { subject: "Over SSE" } } } });
    controller.abort();
    await reading;

    const anonymous = await fetch(app.url, {
      method: "POST",
      headers: { accept: "text/event-stream", "content-type": "application/json" },
      body: JSON.stringify({ query: `subscription { ticketEvents { type } }` }),
    });
    expect(await anonymous.text()).toContain("UNAUTHENTICATED");
  });

  it("closes the socket with 4403 'Credentials revoked' by itself once the API key is revoked", async () => {
    const created = await app.gql(
      `mutation { createApiKey(input: { name: "doomed", scopes: [TICKETS_READ] }) { secret apiKey { id } } }`,
      {},
      A.ownerToken,
    );
    let closed: Closed | undefined;
    const sub = collect(
      connect(app.url, created.data.createApiKey.secret, (e) => (closed = e)),
      EVENTS,
      await fromHead(app, A),
    );
    await createTicket(app, A, "Before revocation");
    await until(() => sub.received.length >= 2);
    await app.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: created.data.createApiKey.apiKey.id }, A.ownerToken);
    // Nothing else happens on the socket: the server closes it by itself once it finds the key revoked.
    await until(() => closed !== undefined, 20_000, "the socket to close");
    expect(closed).toMatchObject({ code: 4403, reason: "Credentials revoked" });
    expect(sub.received).toHaveLength(2);
    // And it cannot come back.
    let refused: Closed | undefined;
    const again = collect(
      connect(app.url, created.data.createApiKey.secret, (e) => (refused = e)),
      EVENTS,
    );
    await until(() => again.ended());
    expect(refused?.code).toBe(4403);
  });

  it("closes a disabled agent's socket the same way", async () => {
    const agent = await app.agent(A, "AGENT");
    let closed: Closed | undefined;
    const sub = collect(
      connect(app.url, agent.token, (e) => (closed = e)),
      EVENTS,
      await fromHead(app, A),
    );
    // Open and accepted: it sees a ticket.
    await createTicket(app, A, "Before disabling");
    await until(() => sub.received.length >= 1);
    const r = await app.gql(`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: agent.id }, A.ownerToken);
    expect(r.errors).toBeUndefined();
    await until(() => closed !== undefined, 20_000, "the socket to close");
    expect(closed).toMatchObject({ code: 4403, reason: "Credentials revoked" });
  });

  it("replays after a disconnect from the last cursor: no gap, no duplicate, even while events are being committed", async () => {
    const start = await head(app, A);
    const first = collect(connect(app.url, A.ownerToken), EVENTS, await fromHead(app, A));
    await createTicket(app, A, "r1");
    await createTicket(app, A, "r2");
    await until(() => first.received.length >= 4);
    const cursor = first.received.at(-1).ticketEvents.cursor;
    first.stop();

    // While nobody listens, and while the replaying subscriber joins, changes keep coming.
    await createTicket(app, A, "r3");
    const writing = (async () => {
      for (let i = 4; i <= 12; i++) await createTicket(app, A, `r${i}`);
    })();
    await sleep(50);
    const second = collect(connect(app.url, A.ownerToken), EVENTS, { after: cursor });
    await writing;
    const end = await head(app, A);
    // One more after the replay caught up: a duplicate of anything before would come before it.
    await until(() => (seqs(second.received).at(-1) ?? 0) >= end, 10_000, "the replay to catch up");
    await createTicket(app, A, "r13");
    await until(() => (seqs(second.received).at(-1) ?? 0) >= end + 2, 10_000, "the last ticket");
    expect(seqs(first.received)).toEqual(contiguous(start + 1, start + 4));
    expect(seqs(second.received)).toEqual(contiguous(start + 5, end + 2));
    expect(second.received.filter((d) => d.ticketEvents.type === "TICKET_CREATED").map((d) => d.ticketEvents.ticket.subject)).toEqual(
      Array.from({ length: 11 }, (_, i) => `r${i + 3}`),
    );
  });

  it("announces nothing for a change that rolls back, and the sequence stays gap-free", async () => {
    const before = await head(app, A);
    const sub = collect(connect(app.url, A.ownerToken), EVENTS, await fromHead(app, A));
    const events = await app.database.prisma.event.count({ where: { tenantId: A.id } });

    // A createTicket that fails (a disabled assignee) leaves nothing behind.
    const agent = await app.agent(A, "AGENT");
    await app.gql(`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: agent.id }, A.ownerToken);
    const failed = await app.gql(
      `mutation($a: ID!) { createTicket(input: { subject: "never", body: "b", requester: { name: "N" }, assigneeId: $a }) { id } }`,
      { a: agent.id },
      A.ownerToken,
    );
    expect(codes(failed)).toEqual(["VALIDATION"]);
    // A change that fails after recording its events takes them with it.
    await expect(
      app.database.forTenant(A.id).$transaction(async (tx) => {
        await recordEvents(tx, A.id, [{ type: "TICKET_UPDATED", data: { changed: ["subject"] } }]);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await app.database
      .forTenant(A.id)
      .$transaction(async (tx) => {
        await recordEvents(tx, A.id, [{ type: "TICKET_UPDATED", data: { changed: ["subject"] } }]);
        throw new Error("boom again");
      })
      .catch(() => {});
    expect(await head(app, A)).toBe(before);
    expect(await app.database.prisma.event.count({ where: { tenantId: A.id } })).toBe(events);

    await createTicket(app, A, "after the failures");
    // Anything announced for the failures would have come first, and shifted these numbers.
    await until(() => sub.received.length >= 2);
    expect(seqs(sub.received)).toEqual([before + 1, before + 2]);
    expect(JSON.stringify(sub.received)).not.toContain("never");
  });

  it("pages through the events query with cursors, skipping what the caller may not see", async () => {
    const T = await app.tenant();
    const { id: ticket } = await createTicket(app, T, "e1"); // 1 TICKET_CREATED, 2 MESSAGE_ADDED
    await addMessage(app, T, ticket, "note", true); // 3 MESSAGE_ADDED (internal)
    await addMessage(app, T, ticket, "reply"); // 4 MESSAGE_ADDED, 5 TICKET_STATUS_CHANGED NEW → OPEN
    await createTicket(app, T, "e2"); // 6, 7
    const PAGE = `query($after: String, $first: Int, $filter: TicketEventFilter) {
      events(after: $after, first: $first, filter: $filter) { edges { cursor node { seq type message { internal } } } pageInfo { hasNextPage endCursor } }
    }`;
    const all = async (token: string, first: number, filter?: unknown) => {
      const pages: any[] = [];
      let after: string | null = null;
      for (let i = 0; i < 20; i++) {
        const r: any = await app.gql(PAGE, { after, first, filter }, token);
        expect(r.errors).toBeUndefined();
        pages.push(r.data.events);
        after = r.data.events.pageInfo.endCursor;
        if (!r.data.events.pageInfo.hasNextPage) break;
      }
      return pages;
    };
    const owner = await all(T.ownerToken, 2);
    expect(owner.map((p) => p.edges.map((e: any) => e.node.seq))).toEqual([[1, 2], [3, 4], [5, 6], [7]]);
    expect(owner.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, true, false]);
    expect(owner.flatMap((p) => p.edges.map((e: any) => e.node.type))).toEqual([
      "TICKET_CREATED",
      "MESSAGE_ADDED",
      "MESSAGE_ADDED",
      "MESSAGE_ADDED",
      "TICKET_STATUS_CHANGED",
      "TICKET_CREATED",
      "MESSAGE_ADDED",
    ]);

    const key = await app.apiKey(T, ["TICKETS_READ"]);
    const seen = (await all(key, 3)).flatMap((p) => p.edges.map((e: any) => e.node.seq));
    expect(seen).toEqual([1, 2, 4, 5, 6, 7]);
    const messages = await all(key, 10, { types: ["MESSAGE_ADDED"] });
    expect(messages.flatMap((p) => p.edges.map((e: any) => e.node.seq))).toEqual([2, 4, 7]);

    // A poller at the end gets nothing new, and its cursor moved past what it could not see.
    const last = (await all(key, 10)).at(-1);
    const again = await app.gql(PAGE, { after: last.pageInfo.endCursor, first: 10 }, key);
    expect(again.data.events).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: last.pageInfo.endCursor } });
    // After seq 2, the next message this key may see is 4 (3 is a note).
    const next = await app.gql(PAGE, { after: owner[0].edges[1].cursor, first: 1, filter: { types: ["MESSAGE_ADDED"] } }, key);
    expect(next.data.events.edges.map((e: any) => e.node.seq)).toEqual([4]);
    expect(next.data.events.pageInfo.hasNextPage).toBe(true);
    expect(codes(await app.gql(PAGE, { after: "bm9wZQ", first: 1 }, key))).toEqual(["VALIDATION"]);
  });
});

describe("two instances sharing Redis", () => {
  let redis: RedisProcess | undefined;
  let one: TestApp;
  let two: RunningServer;
  let A: TestTenant;
  let B: TestTenant;
  beforeAll(async () => {
    // CI's second run sets REDIS_URL; otherwise the test brings its own redis-server.
    const redisUrl = process.env.REDIS_URL ?? (redis = await startRedis()).url;
    const env = { ...SLOW_POLL, REDIS_URL: redisUrl, ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    one = await startApp(env);
    two = await startPeer(one.database, env);
    A = await one.tenant();
    B = await one.tenant();
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await redis?.kill();
  });

  it("delivers an event committed on one instance to subscribers of the other, within its tenant", async () => {
    const fromA = await fromHead(one, A);
    const onTwo = collect(connect(two.url, await one.apiKey(A, ["TICKETS_READ"])), EVENTS, fromA);
    const bOnTwo = collect(connect(two.url, await one.apiKey(B, ["TICKETS_READ"])), EVENTS, await fromHead(one, B));
    const onOne = collect(connect(one.url, await one.apiKey(A, ["TICKETS_READ"])), EVENTS, fromA);
    await createTicket(one, A, "Across instances");
    await until(() => onTwo.received.length >= 2 && onOne.received.length >= 2, 20_000, "both instances");
    expect(onTwo.received.map((d) => d.ticketEvents.ticket.subject)).toEqual(["Across instances", "Across instances"]);
    expect(seqs(onTwo.received)).toEqual(seqs(onOne.received));
    // And the other way round.
    const twoGql = async (query: string, variables: Record<string, unknown>) =>
      (
        await fetch(two.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${A.ownerToken}` },
          body: JSON.stringify({ query, variables }),
        })
      ).json();
    await twoGql(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, {
      i: { subject: "Back again", body: "b", requester: { name: "R" } },
    });
    await until(() => onOne.received.length >= 4, 20_000, "instance one");
    expect(onOne.received[2].ticketEvents.ticket.subject).toBe("Back again");
    // B's own next ticket is the first thing B's stream delivers: A's never reached it.
    await createTicket(one, B, "For B");
    await until(() => bOnTwo.received.length >= 1, 20_000, "B's ticket");
    expect(bOnTwo.received[0].ticketEvents.ticket.subject).toBe("For B");
  });

  it("replays on the other instance after a disconnect: no gap, no duplicate", async () => {
    const start = await head(one, A);
    const first = collect(connect(one.url, A.ownerToken), EVENTS, await fromHead(one, A));
    await createTicket(one, A, "x1");
    await until(() => first.received.length >= 2);
    const cursor = first.received.at(-1).ticketEvents.cursor;
    first.stop();
    await createTicket(one, A, "x2");
    const second = collect(connect(two.url, A.ownerToken), EVENTS, { after: cursor });
    await createTicket(one, A, "x3");
    await until(() => second.received.length >= 4, 20_000, "the replay");
    // One more: a duplicate of anything before would come before it.
    await createTicket(one, A, "x4");
    await until(() => second.received.length >= 6, 20_000, "the last ticket");
    expect(seqs(first.received)).toEqual(contiguous(start + 1, start + 2));
    expect(seqs(second.received)).toEqual(contiguous(start + 3, start + 8));
  });
});

describe("a Redis outage", () => {
  let redis: RedisProcess;
  let one: TestApp;
  let two: RunningServer;
  let A: TestTenant;
  beforeAll(async () => {
    redis = await startRedis();
    const env = { ...SLOW_POLL, REDIS_URL: redis.url, ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    one = await startApp(env);
    two = await startPeer(one.database, env);
    A = await one.tenant();
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await redis?.kill();
  });

  it("keeps the API up and numbers events meanwhile, then delivers them when Redis is back", async () => {
    const sub = collect(connect(two.url, A.ownerToken), EVENTS, await fromHead(one, A));
    await createTicket(one, A, "before the outage");
    await until(() => sub.received.length >= 2);

    await redis.kill();
    await sleep(300);
    const during = await createTicket(one, A, "during the outage");
    expect(during.id).toBeTruthy();
    await addMessage(one, A, during.id, "still during the outage");
    // The database is there: the events are numbered; only the notices to the other instance wait.
    await one.sequenced(A);
    const waiting = await one.database.prisma.event.findMany({ where: { tenantId: A.id, seq: { gt: 2 } }, orderBy: { seq: "asc" } });
    expect(waiting.map((e) => e.type)).toEqual(["TICKET_CREATED", "MESSAGE_ADDED", "MESSAGE_ADDED", "TICKET_STATUS_CHANGED"]);
    await sleep(1000);
    expect(sub.received).toHaveLength(2);

    await redis.restart();
    await until(() => sub.received.length >= 6, 10_000, "the events from the outbox");
    expect(seqs(sub.received)).toEqual(contiguous(1, 6));
    expect(sub.received[2].ticketEvents.ticket.subject).toBe("during the outage");

    // Live again through Redis.
    await createTicket(one, A, "after the outage");
    await until(() => sub.received.length >= 8, 20_000, "live events");
    expect(sub.errors).toEqual([]);
  });
});
