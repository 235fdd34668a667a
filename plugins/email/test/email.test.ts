import { randomBytes, randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignInLimiter } from "../../../src/agents/sign-in-limiter.js";
import { loadConfig } from "../../../src/config.js";
import { createContext } from "../../../src/context.js";
import { recordEvents } from "../../../src/events/outbox.js";
import { eraseAtPlugins } from "../../../src/plugin-host/erasure.js";
import type { PluginRuntime } from "../../../src/plugin-host/plugin.js";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import { runtimeFor } from "../../../src/plugin-host/runtime.js";
import { SecretBox } from "../../../src/plugin-host/secrets.js";
import { sweep } from "../../../src/retention/sweep.js";
import { startApp, codes, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { freePort } from "../../../test/support/free-port.js";
import { startPeer } from "../../../test/support/peer.js";
import { until } from "../../../test/support/webhooks.js";
import { DOMAIN, startDovecot, type Dovecot } from "./dovecot.js";
import { email } from "../index.js";
import { SenderLimiter } from "../inbound/rate.js";
import { receiveMail } from "../inbound/receive.js";
import type { EmailRuntime } from "../options.js";
import { startSmtpSink } from "./smtp-sink.js";

/**
 * The email channel against a real IMAP server (a private Dovecot, mail put
 * into it by APPEND) and a real SMTP server (smtp-server, keeping what it
 * receives), through the real server over HTTP. Dovecot is started by the
 * test; where it cannot be, the file says why, loudly, and skips.
 */
const started = await startDovecot();
const skipped = "skipped" in started ? started.skipped : null;
if (skipped) console.warn(`\n\n!!! plugins/email/test/email.test.ts SKIPPED: ${skipped}\n\n`);
const dovecot = started as Dovecot;

const KEY = randomBytes(32).toString("base64");
// The servers listen on loopback: the operator allows it (and unencrypted sign-in, on its own machine), as tenants cannot.
const ENV = {
  ENCRYPTION_KEY: KEY,
  OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
  EMAIL_ALLOW_PLAINTEXT: "true",
  EMAIL_POLL_SECONDS: "5",
  EMAIL_LEASE_SECONDS: "10",
  EMAIL_SENDER_LIMIT_PER_HOUR: "5",
};
const WAIT = 30_000;

let app: TestApp;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;

beforeAll(async () => {
  if (skipped) return;
  sink = await startSmtpSink((username) => dovecot.passwordOf(username));
  app = await startApp(ENV);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await sink?.close();
  if (!skipped) await dovecot.close();
});

interface MailTenant {
  t: TestTenant;
  address: string;
  password: string;
  mailboxId: string;
}

async function ok(t: TestTenant, query: string, variables: Record<string, unknown> = {}, target: TestApp = app) {
  const r = await target.gql(query, variables, t.ownerToken);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

const server = (port: number, security = "NONE") => ({ host: "127.0.0.1", port, security });
const CONNECT = `mutation($i: ConnectMailboxInput!) { connectMailbox(input: $i) {
  id address status statusReason folder kind imap { host port security } smtp { port } username plusAddressing } }`;
const connectInput = (address: string, password: string, extra: Record<string, unknown> = {}) => ({
  address,
  passwordLogin: { imap: server(dovecot.port), smtp: server(sink.port), password },
  ...extra,
});

let users = 0;
/** A tenant with the plugin enabled and a mailbox of its own at the Dovecot, connected. */
async function mailTenant(extra: Record<string, unknown> = {}, target: TestApp = app, tenant?: TestTenant): Promise<MailTenant> {
  const t = tenant ?? (await target.tenant());
  if (!tenant) await ok(t, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`, {}, target);
  const user = await dovecot.addUser(`support${++users}`);
  const connected = await ok(t, CONNECT, { i: connectInput(user.address, user.password, extra) }, target);
  return { t, address: user.address, password: user.password, mailboxId: connected.connectMailbox.id };
}

/** A mail as a customer's client composes it (nodemailer's MailComposer). */
function mail(o: {
  from: string;
  to: string;
  subject?: string;
  text?: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  cc?: string;
  headers?: Record<string, string>;
  attachments?: { filename: string; content: Buffer; contentType?: string }[];
}): Promise<Buffer> {
  return new MailComposer({ subject: "Help", messageId: `<${randomUUID()}@customer.test>`, ...o }).compile().build();
}

const TICKETS = `{ tickets(first: 12, orderBy: { field: NUMBER, direction: ASC }) { totalCount edges { node {
  id number status channel subject lastMessageAt
  requester { id name email }
  messages(first: 12) { totalCount edges { node {
    id body authorType channel externalId deliveryStatus deliveryError
  } } }
} } } }`;
async function tickets(m: MailTenant, target: TestApp = app) {
  const data = await ok(m.t, TICKETS, {}, target);
  return data.tickets.edges.map((e: any) => ({ ...e.node, messages: e.node.messages.edges.map((x: any) => x.node) }));
}
const messageCount = async (m: MailTenant) => (await tickets(m)).reduce((n: number, t: any) => n + t.messages.length, 0);
async function waitForMessages(m: MailTenant, n: number, target: TestApp = app) {
  await until(async () => (await tickets(m, target)).reduce((k: number, t: any) => k + t.messages.length, 0) >= n, WAIT, `${n} messages`);
  return tickets(m, target);
}
const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;
const db = (m: MailTenant, target: TestApp = app) => target.database.forTenant(m.t.id);
const REPLY = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id deliveryStatus deliveryError externalId } }`;
const sentTo = (address: string) => sink.sent.filter((s) => s.to.includes(address));
/** The mailbox's position: every mail up to this UID has been handled. */
const position = async (m: MailTenant) => (await db(m).mailboxSync.findUnique({ where: { mailboxId: rawId(m.mailboxId) } }))?.lastUid;

describe.skipIf(skipped !== null)("connecting a mailbox", () => {
  it("saves nothing unless IMAP accepts the credentials and SMTP does too, and says which server refused and why", async () => {
    const t = await app.tenant();
    await ok(t, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
    const user = await dovecot.addUser(`refused${++users}`);
    const attempt = (i: Record<string, unknown>) => app.gql(CONNECT, { i }, t.ownerToken);

    const wrong = await attempt(connectInput(user.address, "not the password"));
    expect(codes(wrong)).toEqual(["MAILBOX_CONNECTION_FAILED"]);
    expect(wrong.errors![0]!.extensions).toMatchObject({ server: "IMAP", reason: "AUTHENTICATION_FAILED" });
    const login = (imap: object, smtp: object) => ({ address: user.address, passwordLogin: { imap, smtp, password: user.password } });
    const closed = await attempt(login(server(dovecot.port), server(await freePort())));
    expect(closed.errors![0]!.extensions).toMatchObject({ code: "MAILBOX_CONNECTION_FAILED", server: "SMTP", reason: "UNREACHABLE" });
    const folder = await attempt(connectInput(user.address, user.password, { folder: "Nope" }));
    expect(folder.errors![0]!.extensions).toMatchObject({ code: "MAILBOX_CONNECTION_FAILED", server: "IMAP", reason: "FOLDER_NOT_FOUND" });
    // A private network the operator did not open (only 127.0.0.1 is).
    const internal = await attempt(login({ host: "10.0.0.1", port: 143, security: "NONE" }, server(sink.port)));
    expect(codes(internal)).toEqual(["ADDRESS_NOT_ALLOWED"]);
    expect(internal.errors![0]!.extensions!.fields).toEqual([
      { path: ["input", "passwordLogin", "imap", "host"], message: expect.any(String) },
    ]);
    expect((await ok(t, `{ mailboxes { id } }`)).mailboxes).toEqual([]);

    const good = await ok(t, CONNECT, { i: connectInput(user.address, user.password, { displayName: "Support" }) });
    expect(good.connectMailbox).toMatchObject({
      address: user.address,
      status: "CONNECTED",
      statusReason: null,
      folder: "INBOX",
      kind: "IMAP",
      imap: { host: "127.0.0.1", port: dovecot.port, security: "NONE" },
      username: user.address,
    });
    // The password is sealed at rest and nowhere in the API.
    const row = await app.database.forTenant(t.id).mailbox.findFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(user.password);
    expect((row.secrets as Record<string, string>).password).toMatch(/^v1:/);
    // Every check went through the gateway, refused ones too.
    const verifications = await app.database.forTenant(t.id).pluginCall.findMany({ where: { pluginId: "email", operation: "verify" } });
    expect(verifications.map((c) => c.outcome).sort()).toEqual(["FAILED", "FAILED", "FAILED", "FAILED", "OK"]);
  });

  it("needs the plugin enabled", async () => {
    const t = await app.tenant();
    const user = await dovecot.addUser(`disabled${++users}`);
    const r = await app.gql(CONNECT, { i: connectInput(user.address, user.password) }, t.ownerToken);
    expect(codes(r)).toEqual(["PLUGIN_DISABLED"]);
  });
});

describe.skipIf(skipped !== null)("incoming mail", () => {
  let m: MailTenant;
  beforeAll(async () => {
    m = await mailTenant();
  });

  it("opens an EMAIL ticket for a new mail, with the sender as a new contact, and announces it on the event feed", async () => {
    const raw = await mail({
      from: "Ann Example <Ann@Customer.test>",
      to: m.address,
      cc: "boss@customer.test",
      subject: "My order has not arrived",
      text: "Hello,\n\nmy order 1234 has not arrived.\n\nAnn",
      messageId: "<first-1@customer.test>",
    });
    await dovecot.append(m.address, raw);
    const [ticket] = await waitForMessages(m, 1);
    expect(ticket).toMatchObject({
      channel: "EMAIL",
      status: "NEW",
      subject: "My order has not arrived",
      requester: { name: "Ann Example", email: "ann@customer.test" },
    });
    expect(ticket.messages[0]).toMatchObject({
      body: "Hello,\n\nmy order 1234 has not arrived.\n\nAnn",
      authorType: "CONTACT",
      channel: "EMAIL",
      externalId: "first-1@customer.test",
    });
    const email = await db(m).emailMessage.findUniqueOrThrow({ where: { messageId: rawId(ticket.messages[0].id) } });
    expect(email).toMatchObject({ direction: "INBOUND", fromHeader: '"Ann Example" <Ann@customer.test>', ccHeader: "boss@customer.test" });
    // Its Cc is searchable: the address finds the mail it was on.
    const found = await ok(
      m.t,
      `{ search(query: "boss@customer.test") { totalCount edges { node { result { ... on Message { id } } } } } }`,
    );
    expect(found.search.edges.map((e: any) => e.node.result)).toEqual([{ id: ticket.messages[0].id }]);
    await app.sequenced(m.t);
    const events = await ok(m.t, `{ events(first: 20) { edges { node { type ticket { id } } } } }`);
    expect(events.events.edges.map((e: any) => e.node)).toEqual([
      { type: "TICKET_CREATED", ticket: { id: ticket.id } },
      { type: "MESSAGE_ADDED", ticket: { id: ticket.id } },
    ]);
  });

  it("keeps an HTML-only mail's text as the body and its HTML sanitised", async () => {
    const raw = await mail({
      from: "bob@customer.test",
      to: m.address,
      subject: "HTML only",
      html: '<div><p>Please <b>call</b> me</p><script>alert(1)</script><img src="https://tracker.test/p.gif"><a href="javascript:x()" onclick="y()">x</a><a href="https://shop.test/o/1">order</a></div>',
    });
    await dovecot.append(m.address, raw);
    const all = await waitForMessages(m, 2);
    const message = all.find((t: any) => t.subject === "HTML only").messages[0];
    expect(message.body).toBe("Please call me\n\nxorder");
    const email = await db(m).emailMessage.findUniqueOrThrow({ where: { messageId: rawId(message.id) } });
    expect(email.html).toContain("<b>call</b>");
    expect(email.html).toContain('<a href="https://shop.test/o/1" rel="noopener noreferrer nofollow" target="_blank">order</a>');
    for (const gone of ["<script", "alert", "<img", "tracker", "javascript:", "onclick"]) expect(email.html).not.toContain(gone);
  });

  it("stores attachments through the attachment service, as the plugin", async () => {
    const pdf = Buffer.from("%PDF-1.4 a tiny test file");
    const raw = await mail({
      from: "carol@customer.test",
      to: m.address,
      subject: "Invoice attached",
      text: "See attached.",
      attachments: [{ filename: "invoice.pdf", content: pdf, contentType: "application/pdf" }],
    });
    await dovecot.append(m.address, raw);
    await until(async () => (await db(m).attachment.count({ where: { filename: "invoice.pdf" } })) === 1, WAIT, "the attachment");
    const row = await db(m).attachment.findFirstOrThrow({ where: { filename: "invoice.pdf" } });
    expect(row).toMatchObject({ contentType: "application/pdf", size: pdf.length, uploadedBy: "system:email", internal: false });
    // The mail is marked done once all its files are stored, in a statement after the last one.
    const pending = async () => (await db(m).emailMessage.findUniqueOrThrow({ where: { messageId: row.messageId! } })).attachmentsPending;
    await until(async () => !(await pending()), WAIT, "the mail's files all stored");
    expect(await db(m).attachment.count({ where: { messageId: row.messageId! } })).toBe(1);
  });

  it("separates the quoted history from the new text", async () => {
    const raw = await mail({
      from: "dan@customer.test",
      to: m.address,
      subject: "Quoting",
      text: "Thanks, that worked.\n\nOn Mon, 1 Dec 2025 at 10:00, Support <support@x.test> wrote:\n> Try turning it off and on.\n> Regards",
    });
    await dovecot.append(m.address, raw);
    const all = await waitForMessages(m, 4);
    const message = all.find((t: any) => t.subject === "Quoting").messages[0];
    expect(message.body).toBe("Thanks, that worked.");
    const email = await db(m).emailMessage.findUniqueOrThrow({ where: { messageId: rawId(message.id) } });
    expect(email.quoted).toBe("On Mon, 1 Dec 2025 at 10:00, Support <support@x.test> wrote:\n> Try turning it off and on.\n> Regards");
  });

  it("stores the same mail delivered twice once", async () => {
    const before = await messageCount(m);
    const raw = await mail({ from: "erin@customer.test", to: m.address, subject: "Twice", text: "Once please" });
    const first = await dovecot.append(m.address, raw);
    const second = await dovecot.append(m.address, raw);
    await until(async () => (await position(m)) === BigInt(second), WAIT, "the position to pass both copies");
    expect(second).toBeGreaterThan(first);
    expect(await messageCount(m)).toBe(before + 1);
  });

  it("skips a sender's mails beyond the hourly limit (EMAIL_SENDER_LIMIT_PER_HOUR, 5 here), moving past them", async () => {
    const before = await messageCount(m);
    let last = 0;
    for (let i = 1; i <= 6; i++) {
      last = await dovecot.append(m.address, await mail({ from: "loop@customer.test", to: m.address, subject: `Loop ${i}`, text: `${i}` }));
    }
    await until(async () => (await position(m)) === BigInt(last), WAIT, "the position to pass them");
    const loops = (await tickets(m)).filter((t: any) => t.subject.startsWith("Loop "));
    expect(loops.map((t: any) => t.subject)).toEqual(["Loop 1", "Loop 2", "Loop 3", "Loop 4", "Loop 5"]);
    expect(await messageCount(m)).toBe(before + 5);
  });

  it("ignores auto-replies, bulk mail and bounces: no ticket, no reply, the position moves past them", async () => {
    const before = await messageCount(m);
    const sentBefore = sink.sent.length;
    const noise: { from: string; headers: Record<string, string> }[] = [
      { from: "ooo@customer.test", headers: { "Auto-Submitted": "auto-replied" } },
      { from: "list@customer.test", headers: { Precedence: "bulk" } },
      { from: "vacation@customer.test", headers: { "X-Autoreply": "yes" } },
      { from: "other@customer.test", headers: { "X-Autorespond": "Out of office" } },
      { from: "MAILER-DAEMON@mx.customer.test", headers: {} },
    ];
    let last = 0;
    for (const n of noise) last = await dovecot.append(m.address, await mail({ ...n, to: m.address, subject: "Automatic", text: "…" }));
    // Auto-Submitted: no is a person's mail.
    const human = await dovecot.append(
      m.address,
      await mail({ from: "frank@customer.test", to: m.address, subject: "Human", text: "Hi", headers: { "Auto-Submitted": "no" } }),
    );
    await until(async () => (await position(m)) === BigInt(human), WAIT, "the position to pass them");
    expect(human).toBeGreaterThan(last);
    const all = await tickets(m);
    expect(all.filter((t: any) => t.subject === "Automatic")).toEqual([]);
    expect(all.filter((t: any) => t.subject === "Human")).toHaveLength(1);
    expect(await messageCount(m)).toBe(before + 1);
    expect(sink.sent.length).toBe(sentBefore);
  });
});

describe.skipIf(skipped !== null)("a conversation", () => {
  let m: MailTenant;
  beforeAll(async () => {
    m = await mailTenant({ plusAddressing: true });
  });

  it("threads a reply by In-Reply-To, reopening a solved ticket; sends the agent's reply with threading headers; a reply to it lands on the ticket", async () => {
    await dovecot.append(
      m.address,
      await mail({
        from: "Gina <gina@customer.test>",
        to: m.address,
        subject: "Broken",
        text: "It broke.",
        messageId: "<g1@customer.test>",
      }),
    );
    const [ticket] = await waitForMessages(m, 1);

    // The agent answers: the reply leaves from the mailbox, answering the customer's mail.
    const sent = (await ok(m.t, REPLY, { i: { ticketId: ticket.id, body: "Sorry! We are on it." } })).addMessage;
    expect(sent.deliveryStatus).toBe("SENT");
    expect(sent.externalId).toMatch(new RegExp(`^dg-[a-z2-7]{16}-[a-z2-7]+@${DOMAIN.replace(/\./g, "\\.")}$`));
    const [out] = sentTo("gina@customer.test");
    expect(out!.parsed.from!.value[0]).toEqual({ address: m.address, name: expect.stringMatching(/^Tenant /) });
    expect(out!.parsed.subject).toBe("Re: Broken");
    expect(out!.parsed.messageId).toBe(`<${sent.externalId}>`);
    expect(out!.parsed.inReplyTo).toBe("<g1@customer.test>");
    expect(out!.parsed.references).toBe("<g1@customer.test>");
    const token = sent.externalId.split("-")[1];
    expect(out!.parsed.replyTo!.value[0]!.address).toBe(m.address.replace("@", `+${token}@`));
    expect(out!.parsed.headers.get("x-deskgraph-thread")).toBe(token);
    expect(out!.parsed.text!.trim()).toBe("Sorry! We are on it.");

    // Solved; the customer answers the reply: the ticket opens again.
    await ok(m.t, `mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`, { id: ticket.id });
    await dovecot.append(
      m.address,
      await mail({
        from: "gina@customer.test",
        to: m.address,
        subject: "Re: Broken",
        text: "Still broken.",
        inReplyTo: out!.parsed.messageId!,
        references: ["<g1@customer.test>", out!.parsed.messageId!],
      }),
    );
    const [after] = await waitForMessages(m, 3);
    expect((await tickets(m)).length).toBe(1);
    expect(after.status).toBe("OPEN");
    expect(after.messages.map((x: any) => x.body)).toEqual(["It broke.", "Sorry! We are on it.", "Still broken."]);

    // The second reply answers the latest mail and carries the whole thread.
    const second = (await ok(m.t, REPLY, { i: { ticketId: ticket.id, body: "Fixed now." } })).addMessage;
    expect(second.deliveryStatus).toBe("SENT");
    const latest = sentTo("gina@customer.test").at(-1)!;
    expect(latest.parsed.inReplyTo).toBe(`<${after.messages[2].externalId}>`);
    expect(latest.parsed.references).toEqual(["<g1@customer.test>", `<${sent.externalId}>`, `<${after.messages[2].externalId}>`]);
  });

  it("threads by the reply token when the client dropped In-Reply-To and References: in the plus address, or in one of our Message-IDs", async () => {
    await dovecot.append(m.address, await mail({ from: "hank@customer.test", to: m.address, subject: "Token", text: "First" }));
    const ticket = (await waitForMessages(m, 5)).find((t: any) => t.subject === "Token");
    const sent = (await ok(m.t, REPLY, { i: { ticketId: ticket.id, body: "Answer" } })).addMessage;
    const token = sent.externalId.split("-")[1];
    await dovecot.append(
      m.address,
      await mail({ from: "hank@customer.test", to: m.address.replace("@", `+${token}@`), subject: "new subject", text: "By plus address" }),
    );
    // A Message-ID of ours that we never stored (a client that rewrote the thread): its token still says which ticket.
    await dovecot.append(
      m.address,
      await mail({
        from: "hank@customer.test",
        to: m.address,
        subject: "other",
        text: "By Message-ID",
        references: [`<dg-${token}-aaaaaaaa@${DOMAIN}>`],
      }),
    );
    const all = await waitForMessages(m, 8);
    expect(all.filter((t: any) => t.subject === "Token")[0].messages.map((x: any) => x.body)).toEqual([
      "First",
      "Answer",
      "By plus address",
      "By Message-ID",
    ]);
    expect(all.filter((t: any) => ["new subject", "other"].includes(t.subject))).toEqual([]);
  });

  it("sets an undelivered reply's status from the delivery report that comes back, and opens no ticket for it", async () => {
    await dovecot.append(m.address, await mail({ from: "ivy@customer.test", to: m.address, subject: "Bounce me", text: "Hi" }));
    const ticket = (await waitForMessages(m, 9)).find((t: any) => t.subject === "Bounce me");
    const sent = (await ok(m.t, REPLY, { i: { ticketId: ticket.id, body: "Reply that will bounce" } })).addMessage;
    expect(sent.deliveryStatus).toBe("SENT");
    const report = [
      "From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>",
      `To: ${m.address}`,
      "Subject: Undelivered Mail Returned to Sender",
      "Auto-Submitted: auto-replied",
      `Message-ID: <report-${randomUUID()}@mx.customer.test>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
      "",
      "--R",
      "Content-Type: text/plain",
      "",
      "Your message could not be delivered.",
      "--R",
      "Content-Type: message/delivery-status",
      "",
      "Reporting-MTA: dns; mx.customer.test",
      "",
      "Final-Recipient: rfc822; ivy@customer.test",
      "Action: failed",
      "Status: 5.1.1",
      "Diagnostic-Code: smtp; 550 5.1.1 User unknown",
      "--R",
      "Content-Type: text/rfc822-headers",
      "",
      `From: ${m.address}`,
      "To: ivy@customer.test",
      `Message-ID: <${sent.externalId}>`,
      "Subject: Re: Bounce me",
      "--R--",
      "",
    ].join("\r\n");
    const uid = await dovecot.append(m.address, report);
    await until(async () => (await position(m)) === BigInt(uid), WAIT, "the report to be read");
    const after = (await tickets(m)).find((t: any) => t.subject === "Bounce me");
    expect(after.messages.at(-1)).toMatchObject({ deliveryStatus: "UNDELIVERED", deliveryError: "SMTP_5.1.1" });
    expect((await tickets(m)).filter((t: any) => /Undelivered/.test(t.subject))).toEqual([]);
  });

  it("attaches a reply's files that the malware scan cleared, and names the others instead", async () => {
    await dovecot.append(m.address, await mail({ from: "kai@customer.test", to: m.address, subject: "Files", text: "Send me the manual" }));
    const ticket = (await waitForMessages(m, 11)).find((t: any) => t.subject === "Files");
    const tdb = db(m);
    // A reply with two files, as addMessage commits it: one cleared (scanning off: NOT_SCANNED), one still waiting for its scan.
    const reply = await tdb.message.create({
      data: { tenantId: m.t.id, ticketId: rawId(ticket.id), body: "Here it is.", channel: "EMAIL", authorType: "SYSTEM" },
    });
    for (const [filename, scanStatus] of [
      ["manual.pdf", "NOT_SCANNED"],
      ["unchecked.zip", "PENDING"],
    ] as const) {
      const blob = await tdb.$blobs.put([Buffer.from(`contents of ${filename}`)]);
      await tdb.attachment.create({
        data: {
          tenantId: m.t.id,
          ticketId: rawId(ticket.id),
          messageId: reply.id,
          filename,
          contentType: "application/octet-stream",
          size: blob.size,
          blobKey: blob.key,
          uploadedAt: new Date(),
          uploadedBy: "system:test",
          scanStatus,
        },
      });
    }
    await recordEvents(tdb, m.t.id, [{ type: "MESSAGE_ADDED", ticketId: rawId(ticket.id), messageId: reply.id }]);
    await app.consumed(m.t);
    const [out] = sentTo("kai@customer.test");
    expect(out!.parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([["manual.pdf", "contents of manual.pdf"]]);
    expect(out!.parsed.text!.trim()).toBe("Here it is.\n\n[Not attached, not cleared by the malware scan yet: unchecked.zip]");
    expect((await tdb.message.findUniqueOrThrow({ where: { id: reply.id } })).deliveryStatus).toBe("SENT");
  });

  it("sends nothing to a restricted contact: a reply committed just before the restriction fails at the gateway", async () => {
    await dovecot.append(m.address, await mail({ from: "jo@customer.test", to: m.address, subject: "Restrict me", text: "Hi" }));
    const ticket = (await waitForMessages(m, 13)).find((t: any) => t.subject === "Restrict me");
    // A reply committed as addMessage would, then the restriction, then the plugin hears of the reply.
    const tdb = db(m);
    await ok(m.t, `mutation($id: ID!) { updateTicket(id: $id, input: { status: PENDING }) { id } }`, { id: ticket.id });
    const reply = await tdb.message.create({
      data: { tenantId: m.t.id, ticketId: rawId(ticket.id), body: "Our answer", channel: "EMAIL", authorType: "SYSTEM" },
    });
    await ok(m.t, `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "Disputes accuracy") { restricted } }`, {
      c: ticket.requester.id,
    });
    await recordEvents(tdb, m.t.id, [{ type: "MESSAGE_ADDED", ticketId: rawId(ticket.id), messageId: reply.id }]);
    await app.consumed(m.t);
    expect(await tdb.message.findUniqueOrThrow({ where: { id: reply.id } })).toMatchObject({
      deliveryStatus: "FAILED",
      deliveryError: "PROCESSING_RESTRICTED",
    });
    expect(sentTo("jo@customer.test")).toEqual([]);
    const refused = await tdb.pluginCall.findFirstOrThrow({ where: { pluginId: "email", operation: "send", outcome: "REFUSED" } });
    expect(refused.errorCode).toBe("PROCESSING_RESTRICTED");

    // Their next mail is stored, and nothing else: no reopening, no activity, no event.
    await app.sequenced(m.t);
    const seq = (await tdb.event.aggregate({ _max: { seq: true } }))._max.seq;
    const before = (await tickets(m)).find((t: any) => t.subject === "Restrict me");
    await dovecot.append(
      m.address,
      await mail({
        from: "jo@customer.test",
        to: m.address,
        subject: "Re: Restrict me",
        text: "Still there?",
        inReplyTo: `<${before.messages[0].externalId}>`,
      }),
    );
    const after = (await waitForMessages(m, 15)).find((t: any) => t.subject === "Restrict me");
    expect(after.messages.at(-1).body).toBe("Still there?");
    expect(after).toMatchObject({ status: "PENDING", lastMessageAt: before.lastMessageAt });
    await app.sequenced(m.t);
    expect((await tdb.event.aggregate({ _max: { seq: true } }))._max.seq).toBe(seq);
  });
});

describe.skipIf(skipped !== null)("a mailbox whose password changed", () => {
  it("needs reconnecting, which admins see, until connectMailbox is called again with the new password", async () => {
    const m = await mailTenant();
    await dovecot.append(m.address, await mail({ from: "kim@customer.test", to: m.address, subject: "Before", text: "1" }));
    await waitForMessages(m, 1);
    await dovecot.setPassword(m.address, "changed at the provider");
    // The provider ends the session; the next sign-in is refused.
    dovecot.kick(m.address);
    await until(
      async () => (await ok(m.t, `{ mailboxes { status statusReason } }`)).mailboxes[0].status === "NEEDS_RECONNECT",
      WAIT,
      "the mailbox to need reconnecting",
    );
    expect((await ok(m.t, `{ mailboxes { status statusReason } }`)).mailboxes).toEqual([
      { status: "NEEDS_RECONNECT", statusReason: "AUTHENTICATION_FAILED" },
    ]);
    await dovecot.append(m.address, await mail({ from: "kim@customer.test", to: m.address, subject: "While away", text: "2" }));
    const again = await ok(m.t, CONNECT, { i: connectInput(m.address, "changed at the provider") });
    expect(again.connectMailbox).toMatchObject({ id: m.mailboxId, status: "CONNECTED", statusReason: null });
    // It carries on from where it was: the mail that came meanwhile is not lost.
    const all = await waitForMessages(m, 2);
    expect(all.map((t: any) => t.subject)).toEqual(["Before", "While away"]);
    // Three waits for the mailbox's sync, each bounded by WAIT: more than the default bound of a test.
  }, 120_000);
});

describe.skipIf(skipped !== null)("two instances", () => {
  it("sync a mailbox from one of them at a time, never storing a mail twice; another takes over when it stops", async () => {
    // An instance that never looks for mailboxes on its own (hour-long intervals), and two that look every few seconds.
    // That one also has no EMAIL_ALLOW_PLAINTEXT.
    const { EMAIL_ALLOW_PLAINTEXT: _plain, ...strict } = ENV;
    const host = await startApp({ ...strict, EMAIL_POLL_SECONDS: "3600", EMAIL_LEASE_SECONDS: "3600" });
    const peerEnv = { ...ENV, OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32" };
    const first = await startPeer(host.database, peerEnv);
    let second: Awaited<ReturnType<typeof startPeer>> | undefined;
    try {
      const t = await host.tenant();
      await ok(t, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`, {}, host);
      // Without the operator's EMAIL_ALLOW_PLAINTEXT, no password goes out unencrypted.
      const plain = await host.gql(CONNECT, { i: connectInput("plain@example.test", "x") }, t.ownerToken);
      expect(codes(plain)).toEqual(["VALIDATION"]);
      expect(plain.errors![0]!.extensions!.fields.map((f: any) => f.path.join("."))).toEqual([
        "input.passwordLogin.imap.security",
        "input.passwordLogin.smtp.security",
      ]);
      // Connected through the first peer: its worker claims the mailbox at once.
      const firstApp = { ...host, gql: viaUrl(first.url) } as TestApp;
      const m = await mailTenant({}, firstApp, t);
      const holder = async () => (await host.database.forTenant(t.id).mailboxSync.findFirstOrThrow()).leaseHolder;
      await until(async () => (await holder()) !== null, WAIT, "a lease");
      const leader = await holder();
      second = await startPeer(host.database, peerEnv);

      for (let i = 0; i < 6; i++) {
        await dovecot.append(m.address, await mail({ from: `p${i}@customer.test`, to: m.address, subject: `Parallel ${i}`, text: `${i}` }));
      }
      await waitForMessages(m, 6, host);
      expect(await holder()).toBe(leader);

      // The leader stops (its lease goes with it): the other peer takes the mailbox over.
      await first.close();
      await dovecot.append(m.address, await mail({ from: "late@customer.test", to: m.address, subject: "After the handover", text: "7" }));
      const all = await waitForMessages(m, 7, host);
      expect(await holder()).not.toBe(leader);
      expect(await holder()).not.toBeNull();
      expect(all.map((x: any) => x.subject).sort()).toEqual(
        [...[0, 1, 2, 3, 4, 5].map((i) => `Parallel ${i}`), "After the handover"].sort(),
      );
      expect(await host.database.forTenant(t.id).message.count()).toBe(7);
    } finally {
      await second?.close();
      await first.close().catch(() => {});
      await host.close();
    }
  }, 120_000);
});

describe.skipIf(skipped !== null)("disconnecting", () => {
  it("stops the sync and deletes the credentials at once; 30 days later the mailbox's tickets go, with a receipt and an audit entry", async () => {
    const m = await mailTenant();
    const other = await mailTenant({}, app, m.t);
    await dovecot.append(
      m.address,
      await mail({ from: "lou@customer.test", to: m.address, subject: "Only here", text: "1", messageId: "<lou1@customer.test>" }),
    );
    await dovecot.append(other.address, await mail({ from: "max@customer.test", to: other.address, subject: "Elsewhere", text: "2" }));
    const both = await waitForMessages(m, 2);
    const elsewhere = both.find((t: any) => t.subject === "Elsewhere");
    // A mail through the first mailbox that joins the other mailbox's ticket: it goes, the ticket stays.
    await dovecot.append(
      m.address,
      await mail({
        from: "max@customer.test",
        to: m.address,
        subject: "Re: Elsewhere",
        text: "3",
        inReplyTo: `<${elsewhere.messages[0].externalId}>`,
      }),
    );
    await waitForMessages(m, 3);

    const disconnected = await ok(
      m.t,
      `mutation($id: ID!) { disconnectMailbox(id: $id) { status disconnectedAt keepData purgeDueAt purgedAt } }`,
      {
        id: m.mailboxId,
      },
    );
    expect(disconnected.disconnectMailbox).toMatchObject({ status: "DISCONNECTED", keepData: false, purgedAt: null });
    const due =
      new Date(disconnected.disconnectMailbox.purgeDueAt).getTime() - new Date(disconnected.disconnectMailbox.disconnectedAt).getTime();
    expect(due).toBe(30 * 24 * 3600 * 1000);
    const row = await db(m).mailbox.findUniqueOrThrow({ where: { id: rawId(m.mailboxId) } });
    expect(row.secrets).toEqual({});
    expect(await db(m).mailboxSync.findUnique({ where: { mailboxId: rawId(m.mailboxId) } })).toBeNull();
    expect(codes(await app.gql(`mutation($id: ID!) { disconnectMailbox(id: $id) { id } }`, { id: m.mailboxId }, m.t.ownerToken))).toEqual([
      "CONFLICT",
    ]);

    // Mail arriving afterwards is not taken: the other mailbox's later mail is, the disconnected one's not.
    await dovecot.append(m.address, await mail({ from: "lou@customer.test", to: m.address, subject: "Too late", text: "4" }));
    await dovecot.append(other.address, await mail({ from: "nat@customer.test", to: other.address, subject: "Still synced", text: "5" }));
    await waitForMessages(m, 4);
    expect((await tickets(m)).map((t: any) => t.subject).sort()).toEqual(["Elsewhere", "Only here", "Still synced"]);

    const ticketsBefore = await db(m).ticket.count();
    const early = await sweep(app.database, { tenantId: m.t.id, now: new Date(Date.now() + 29 * 24 * 3600 * 1000) });
    expect(early[0]?.counts.DISCONNECTED_MAILBOXES?.processed ?? 0).toBe(0);
    expect(await db(m).ticket.count()).toBe(ticketsBefore);

    const late = await sweep(app.database, { tenantId: m.t.id, now: new Date(Date.now() + 31 * 24 * 3600 * 1000) });
    expect(late[0]!.counts.DISCONNECTED_MAILBOXES).toMatchObject({ action: "DELETE", keepDays: 30, processed: 2 });
    const left = await tickets(m);
    expect(left.map((t: any) => t.subject).sort()).toEqual(["Elsewhere", "Still synced"]);
    expect(left.find((t: any) => t.subject === "Elsewhere").messages.map((x: any) => x.body)).toEqual(["2"]);
    const purged = await ok(
      m.t,
      `query($id: ID!) { node(id: $id) { ... on Mailbox { purgedAt purge { tickets messages heldTickets } } } }`,
      {
        id: m.mailboxId,
      },
    );
    expect(purged.node).toMatchObject({ purgedAt: expect.any(String), purge: { tickets: 1, messages: 1, heldTickets: 0 } });
    await app.sequenced(m.t);
    const audit = await db(m).auditEntry.findFirstOrThrow({ where: { action: "retention.deleted", subjectType: "Mailbox" } });
    expect(audit).toMatchObject({
      subjectId: rawId(m.mailboxId),
      details: expect.objectContaining({ target: "DISCONNECTED_MAILBOXES", tickets: 1, messages: 1, complete: true }),
    });
    // Done once: a later sweep finds nothing.
    const again = await sweep(app.database, { tenantId: m.t.id, now: new Date(Date.now() + 40 * 24 * 3600 * 1000) });
    expect(again[0]?.counts.DISCONNECTED_MAILBOXES?.processed ?? 0).toBe(0);
  });

  it("keeps the tickets when the tenant chose to, and what a legal hold keeps", async () => {
    const kept = await mailTenant();
    await dovecot.append(kept.address, await mail({ from: "oli@customer.test", to: kept.address, subject: "Keep me", text: "1" }));
    await waitForMessages(kept, 1);
    const r = await ok(kept.t, `mutation($id: ID!) { disconnectMailbox(id: $id, keepData: true) { keepData purgeDueAt } }`, {
      id: kept.mailboxId,
    });
    expect(r.disconnectMailbox).toEqual({ keepData: true, purgeDueAt: null });
    await sweep(app.database, { tenantId: kept.t.id, now: new Date(Date.now() + 31 * 24 * 3600 * 1000) });
    expect((await tickets(kept)).map((t: any) => t.subject)).toEqual(["Keep me"]);

    const held = await mailTenant();
    await dovecot.append(held.address, await mail({ from: "pat@customer.test", to: held.address, subject: "Held", text: "1" }));
    const [ticket] = await waitForMessages(held, 1);
    await ok(held.t, `mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "Litigation") { id } }`, { c: ticket.requester.id });
    await ok(held.t, `mutation($id: ID!) { disconnectMailbox(id: $id) { id } }`, { id: held.mailboxId });
    const swept = await sweep(app.database, { tenantId: held.t.id, now: new Date(Date.now() + 31 * 24 * 3600 * 1000) });
    expect(swept[0]!.counts.DISCONNECTED_MAILBOXES).toMatchObject({ processed: 0, skippedForHold: 1 });
    expect((await tickets(held)).map((t: any) => t.subject)).toEqual(["Held"]);
    const mailbox = await db(held).mailbox.findFirstOrThrow();
    expect(mailbox).toMatchObject({ purgedAt: null, purgeReceipt: { tickets: 0, messages: 0, heldTickets: 1 } });
  });
});

describe.skipIf(skipped !== null)("the plugin's own work", () => {
  // The context a core service (an erasure request, the sync) gives the plugin, built as the server builds it.
  const config = () => loadConfig({ PORT: "0", DATA_DIR: "memory://", ...ENV });
  const services = () => {
    const c = config();
    return {
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
  };

  it("erasure deletes the person's imported mails from the mailbox, and nothing else there", async () => {
    const m = await mailTenant();
    const quinn = [
      await dovecot.append(m.address, await mail({ from: "quinn@customer.test", to: m.address, subject: "Q1", text: "1" })),
      await dovecot.append(m.address, await mail({ from: "quinn@customer.test", to: m.address, subject: "Q2", text: "2" })),
    ];
    const rae = await dovecot.append(m.address, await mail({ from: "rae@customer.test", to: m.address, subject: "R", text: "3" }));
    const all = await waitForMessages(m, 3);
    const contactId = rawId(all.find((t: any) => t.subject === "Q1").requester.id);
    const results = await eraseAtPlugins(createContext(services()), m.t.id, { contactId, email: "quinn@customer.test", phone: null });
    expect(results).toEqual([{ pluginId: "email", ok: true, store: "Connected mailboxes (the tenant's mail provider)", deleted: 2 }]);
    const left = await dovecot.uids(m.address);
    expect(left).toContain(rae);
    for (const uid of quinn) expect(left).not.toContain(uid);
    const call = await db(m).pluginCall.findFirstOrThrow({ where: { pluginId: "email", operation: "erase" } });
    expect(call).toMatchObject({ outcome: "OK", subjectIds: [] });
  });

  it("receives a mail in a bounded number of statements: a new ticket, a reply", async () => {
    const t = await app.tenant();
    await ok(t, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
    // A mailbox whose lease this test holds (an hour long: no worker takes it), so that it can receive by hand.
    const tdb = app.database.forTenant(t.id);
    const mailbox = await tdb.mailbox.create({
      data: {
        tenantId: t.id,
        kind: "IMAP",
        address: "counted@mail.example.test",
        imapHost: "127.0.0.1",
        imapPort: dovecot.port,
        imapSecurity: "NONE",
        smtpHost: "127.0.0.1",
        smtpPort: sink.port,
        smtpSecurity: "NONE",
        username: "counted@mail.example.test",
      },
    });
    const token = randomUUID();
    await tdb.mailboxSync.create({
      data: { mailboxId: mailbox.id, tenantId: t.id, uidValidity: 1n, leaseToken: token, leaseUntil: new Date(Date.now() + 3600_000) },
    });
    const s = services();
    const runtime = (await runtimeFor(s, t.id, s.plugins.registry.get("email")!)) as PluginRuntime as EmailRuntime;
    const limiter = new SenderLimiter({ perHour: 100, keyPrefix: "test", log: runtime.log });
    const source = (uid: number) => ({
      mailbox,
      folder: { claimed: { mailboxId: mailbox.id, tenantId: t.id, token }, uidValidity: 1n, uid: BigInt(uid) },
    });
    const counted = async (uid: number, raw: Buffer) => {
      const before = app.database.queryCount;
      const outcome = await receiveMail(runtime, source(uid), raw, limiter);
      return { outcome, statements: app.database.queryCount - before };
    };

    const first = await counted(1, await mail({ from: "sam@customer.test", to: mailbox.address, subject: "Count me", text: "1" }));
    expect(first.outcome).toMatchObject({ kind: "STORED", opened: true });
    // Seen already? (by UID, by Message-ID) · the sender's contact, created (in a transaction: the unique check, the insert,
    // the commit) · the ticket number · one transaction: ticket, message, its email part, the thread, the position, the events, commit.
    expect(first.statements).toBe(14);
    const messageId = (await tdb.message.findFirstOrThrow({ where: { channel: "EMAIL" } })).externalId!;
    const reply = await counted(
      2,
      await mail({ from: "sam@customer.test", to: mailbox.address, subject: "Re: Count me", text: "2", inReplyTo: `<${messageId}>` }),
    );
    expect(reply.outcome).toMatchObject({ kind: "STORED", opened: false });
    // Seen already? (twice) · the mail it answers · its ticket and thread · the contact · one transaction: message, email part,
    // the position, the ticket's activity, the events, commit.
    expect(reply.statements).toBe(11);
    // The same UID again (a session that stopped before moving on): one look, and the position moves past it.
    const again = await counted(2, await mail({ from: "sam@customer.test", to: mailbox.address, subject: "x", text: "x" }));
    expect(again).toEqual({ outcome: { kind: "DUPLICATE" }, statements: 3 });
  });
});

/** The app's gql, sent to another instance's URL. */
function viaUrl(url: string): TestApp["gql"] {
  return async (query, variables, token) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: any[] };
    return { status: res.status, data: body.data, errors: body.errors, headers: res.headers };
  };
}
