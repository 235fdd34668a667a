import { randomBytes, randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignInLimiter } from "../../../src/agents/sign-in-limiter.js";
import { loadConfig } from "../../../src/config.js";
import type { createContext } from "../../../src/context.js";
import type { PluginRuntime } from "../../../src/plugin-host/plugin.js";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import { runtimeFor } from "../../../src/plugin-host/runtime.js";
import { SecretBox } from "../../../src/plugin-host/secrets.js";
import { startApp, type TestApp } from "../../../test/support/app.js";
import { email } from "../index.js";
import { receiveBatch } from "../inbound/batch.js";
import { SenderLimiter } from "../inbound/rate.js";
import type { EmailRuntime } from "../options.js";

/**
 * A fetched batch stored set-based (inbound/batch.ts), by hand, on a mailbox
 * whose sync lease the test holds (no worker takes it, no IMAP server is
 * needed): the same outcome as mail by mail, in a number of statements that
 * does not grow with the batch.
 */
const ENV = { ENCRYPTION_KEY: randomBytes(32).toString("base64"), OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32", EMAIL_ALLOW_PLAINTEXT: "true" };
let app: TestApp;
beforeAll(async () => {
  app = await startApp(ENV);
}, 60_000);
afterAll(() => app?.close());

const mail = (o: Record<string, unknown>): Promise<Buffer> =>
  new MailComposer({ subject: "Help", messageId: `<${randomUUID()}@customer.test>`, text: "hello", ...o }).compile().build();

async function mailboxOfOwn(perHour = 3) {
  const t = await app.tenant();
  const r = await app.gql(`mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`, {}, t.ownerToken);
  expect(r.errors).toBeUndefined();
  const tdb = app.database.forTenant(t.id);
  const address = "support@mail.example.test";
  const mailbox = await tdb.mailbox.create({
    data: {
      tenantId: t.id,
      kind: "IMAP",
      address,
      imapHost: "127.0.0.1",
      imapPort: 1,
      imapSecurity: "NONE",
      smtpHost: "127.0.0.1",
      smtpPort: 1,
      smtpSecurity: "NONE",
      username: address,
    },
  });
  const token = randomUUID();
  await tdb.mailboxSync.create({
    data: { mailboxId: mailbox.id, tenantId: t.id, uidValidity: 1n, leaseToken: token, leaseUntil: new Date(Date.now() + 3600_000) },
  });
  const c = loadConfig({ PORT: "0", DATA_DIR: "memory://", ...ENV });
  const services = {
    config: c,
    database: app.database,
    log: app.server.log,
    clientIp: "test",
    requestId: randomUUID(),
    viewer: null,
    signInLimiter: new SignInLimiter({ maxAttempts: 5, windowSeconds: 60 }),
    plugins: {
      registry: new PluginRegistry([email], c.environment),
      secrets: new SecretBox(c.encryptionKey),
      database: app.database,
      log: app.server.log,
    },
  } as Parameters<typeof createContext>[0];
  const runtime = (await runtimeFor(services, t.id, services.plugins.registry.get("email")!)) as PluginRuntime as EmailRuntime;
  const limiter = new SenderLimiter({ perHour, keyPrefix: "batch-test", log: runtime.log });
  const folder = { mailbox, claimed: { mailboxId: mailbox.id, tenantId: t.id, token }, uidValidity: 1n };
  /** Receives [uid, mail] pairs as one fetched batch; the statements it took. */
  const receive = async (mails: [number, Buffer][]) => {
    const before = app.database.queryCount;
    await receiveBatch(
      runtime,
      folder,
      mails.map(([uid, raw]) => ({ uid: BigInt(uid), raw })),
      limiter,
    );
    return app.database.queryCount - before;
  };
  return { t, tdb, address, mailbox, receive };
}

describe("a fetched batch of mails", () => {
  it("is stored as mail by mail would: threading within the batch, duplicates, noise, the cap, files, events in mail order", async () => {
    const { tdb, address, mailbox, receive } = await mailboxOfOwn();
    await receive([
      [1, await mail({ from: "Sam <sam@customer.test>", to: address, subject: "Broken", messageId: "<a1@customer.test>" })],
      [2, await mail({ from: "away@customer.test", to: address, subject: "Out of office", headers: { "Auto-Submitted": "auto-replied" } })],
      [3, await mail({ from: "sam@customer.test", to: address, subject: "Re: Broken", text: "more", inReplyTo: "<a1@customer.test>" })],
      [4, await mail({ from: "sam@customer.test", to: address, subject: "Broken", messageId: "<a1@customer.test>" })],
      [5, await mail({ from: "lee@customer.test", to: address, subject: "Files", attachments: [{ filename: "a.txt", content: "A" }] })],
      [6, await mail({ from: "sam@customer.test", to: address, subject: "Other" })],
      // Sam's fourth mail this hour: over the cap of 3.
      [7, await mail({ from: "sam@customer.test", to: address, subject: "Too many" })],
    ]);
    const tickets = await tdb.ticket.findMany({
      orderBy: { number: "asc" },
      include: { messages: { orderBy: { createdAt: "asc" }, include: { email: true, attachments: true } }, requester: true },
    });
    expect(tickets.map((x) => [x.number, x.subject, x.requester.email, x.messages.map((m) => m.email!.uid)])).toEqual([
      [1, "Broken", "sam@customer.test", [1n, 3n]],
      [2, "Files", "lee@customer.test", [5n]],
      [3, "Other", "sam@customer.test", [6n]],
    ]);
    expect(tickets[0]!.requester.name).toBe("Sam");
    expect(tickets[1]!.messages[0]!.attachments.map((a) => a.filename)).toEqual(["a.txt"]);
    expect(await tdb.emailThread.count()).toBe(3);
    expect((await tdb.mailboxSync.findUniqueOrThrow({ where: { mailboxId: mailbox.id } })).lastUid).toBe(7n);
    expect((await tdb.mailbox.findUniqueOrThrow({ where: { id: mailbox.id } })).mailsOverSenderLimit).toBe(1);
    await app.sequenced();
    const events = await tdb.event.findMany({ orderBy: { seq: "asc" }, where: { type: { in: ["TICKET_CREATED", "MESSAGE_ADDED"] } } });
    const uidOf = new Map(tickets.flatMap((x) => x.messages.map((m) => [m.id, m.email!.uid])));
    const numberOf = new Map(tickets.map((x) => [x.id, x.number]));
    expect(
      events.map((e) => (e.type === "TICKET_CREATED" ? `ticket ${numberOf.get(e.ticketId!)}` : `mail ${uidOf.get(e.messageId!)}`)),
    ).toEqual(["ticket 1", "mail 1", "mail 3", "ticket 2", "mail 5", "ticket 3", "mail 6"]);

    // The same batch again (a session that stopped before moving on): nothing new.
    await receive([[6, await mail({ from: "sam@customer.test", to: address, subject: "Other" })]]);
    expect(await tdb.message.count()).toBe(4);

    // A solved ticket answered twice in one batch opens again, once.
    await tdb.ticket.update({ where: { id: tickets[0]!.id }, data: { status: "SOLVED" } });
    await receive([
      [8, await mail({ from: "kim@customer.test", to: address, subject: "Re: Broken", references: ["<a1@customer.test>"] })],
      [9, await mail({ from: "kim@customer.test", to: address, subject: "Re: Broken", inReplyTo: "<a1@customer.test>" })],
    ]);
    const reopened = await tdb.ticket.findUniqueOrThrow({ where: { id: tickets[0]!.id }, include: { messages: true } });
    expect(reopened.status).toBe("OPEN");
    expect(reopened.messages).toHaveLength(4);
    expect(await tdb.event.count({ where: { type: "TICKET_STATUS_CHANGED", ticketId: reopened.id } })).toBe(1);
  });

  it("stores each mail once when two sessions store the same batch at the same moment", async () => {
    const { tdb, address, mailbox, receive } = await mailboxOfOwn(100);
    const mails = await Promise.all(
      Array.from(
        { length: 6 },
        async (_, i) => [i + 1, await mail({ from: `twice${i % 2}@customer.test`, to: address, subject: `T${i}` })] as [number, Buffer],
      ),
    );
    // Whichever writes second finds the mails stored: before its write, or as a unique violation in it (then mail by mail).
    await Promise.all([receive(mails), receive(mails)]);
    expect(await tdb.message.count()).toBe(6);
    expect(await tdb.ticket.count()).toBe(6);
    expect(await tdb.contact.count({ where: { email: { startsWith: "twice" } } })).toBe(2);
    await app.sequenced();
    expect(await tdb.event.count({ where: { type: "MESSAGE_ADDED" } })).toBe(6);
    expect((await tdb.mailbox.findUniqueOrThrow({ where: { id: mailbox.id } })).mailsOverSenderLimit).toBe(0);
  });

  it("takes the same number of statements for 2 new mails and for 12", async () => {
    const { address, receive } = await mailboxOfOwn();
    const batch = async (from: number, n: number) =>
      Promise.all(
        Array.from(
          { length: n },
          async (_, i) => [from + i, await mail({ from: `p${from + i}@customer.test`, to: address })] as [number, Buffer],
        ),
      );
    const two = await receive(await batch(1, 2));
    const twelve = await receive(await batch(3, 12));
    // A statement per mail would add ten.
    expect(twelve).toBe(two);
  });
});
