import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../../../src/retention/sweep.js";
import { startApp, type TestApp } from "../../../test/support/app.js";

/**
 * The deletion of a disconnected mailbox's tickets, 30 days on, as partners
 * on the event stream see it: a TICKET_ERASED tombstone per deleted ticket,
 * in the same commit. The mailbox and its mail are written straight into the
 * database (what the sync would have stored): no mail server is needed here.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startApp();
}, 60_000);
afterAll(() => app?.close());

const DAY = 24 * 3600 * 1000;
let n = 0;

describe("purging a disconnected mailbox", () => {
  it("records a TICKET_ERASED tombstone for each ticket it deletes, and none for the tickets it keeps", async () => {
    const t = await app.tenant();
    const db = app.database.forTenant(t.id);
    const mailbox = (address: string, disconnected: boolean) =>
      db.mailbox.create({
        data: {
          tenantId: t.id,
          kind: "IMAP",
          address,
          imapHost: "imap.example.org",
          imapPort: 993,
          imapSecurity: "TLS",
          smtpHost: "smtp.example.org",
          smtpPort: 465,
          smtpSecurity: "TLS",
          username: address,
          ...(disconnected
            ? { status: "DISCONNECTED" as const, disconnectedAt: new Date(), purgeDueAt: new Date(Date.now() + 30 * DAY) }
            : {}),
        },
      });
    const gone = await mailbox("old@example.org", true);
    const live = await mailbox("new@example.org", false);
    const contact = await db.contact.create({ data: { tenantId: t.id, name: "Ann", email: "ann@customer.test" } });
    /** A ticket whose mails came through these mailboxes, the first one its thread's. */
    const ticket = async (subject: string, through: string[]) => {
      const created = await db.ticket.create({
        data: { tenantId: t.id, number: ++n, subject, channel: "EMAIL", requesterId: contact.id },
      });
      await db.emailThread.create({
        data: { ticketId: created.id, tenantId: t.id, mailboxId: through[0]!, replyToken: `token${n}abcdefghijk`.slice(0, 16) },
      });
      for (const [i, mailboxId] of through.entries()) {
        const message = await db.message.create({
          data: {
            tenantId: t.id,
            ticketId: created.id,
            body: `${subject} ${i}`,
            channel: "EMAIL",
            authorType: "CONTACT",
            authorContactId: contact.id,
          },
        });
        await db.emailMessage.create({
          data: { messageId: message.id, tenantId: t.id, mailboxId, direction: "INBOUND", fromHeader: "ann@customer.test" },
        });
      }
      return created.id;
    };
    const onlyGone = [await ticket("Only the old one", [gone.id]), await ticket("Also only the old one", [gone.id, gone.id])];
    const mixed = await ticket("Both", [gone.id, live.id]);
    const other = await ticket("Only the new one", [live.id]);

    const tombstones = () => db.event.findMany({ where: { type: "TICKET_ERASED" }, select: { ticketId: true, data: true } });
    await sweep(app.database, { tenantId: t.id, now: new Date(Date.now() + 29 * DAY) });
    expect(await tombstones()).toEqual([]);

    const [run] = await sweep(app.database, { tenantId: t.id, now: new Date(Date.now() + 31 * DAY) });
    expect(run!.counts.DISCONNECTED_MAILBOXES).toMatchObject({ processed: 3 });
    const erased = await tombstones();
    expect(erased.map((e) => e.ticketId).sort()).toEqual([...onlyGone].sort());
    expect(erased.every((e) => (e.data as { reason?: string }).reason === "mailbox data deleted")).toBe(true);
    expect(await db.ticket.count({ where: { id: { in: [mixed, other] } } })).toBe(2);

    // Numbered onto the feed like every event: partners read them on events (and ticketEvents).
    await app.sequenced(t);
    const feed = await app.gql(
      `{ events(first: 50, filter: { types: [TICKET_ERASED] }) { edges { node { type ticketId ticket { id } } } } }`,
      {},
      t.ownerToken,
    );
    expect(feed.errors, JSON.stringify(feed.errors)).toBeUndefined();
    const nodes = feed.data.events.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(2);
    expect(nodes.every((e: any) => e.ticket === null && e.ticketId)).toBe(true);
  });
});
