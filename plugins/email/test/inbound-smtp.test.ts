import { randomBytes, randomUUID } from "node:crypto";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { freePort, untilListening } from "../../../test/support/free-port.js";
import { startDovecot, type Dovecot } from "./dovecot.js";
import { startSmtpSink } from "./smtp-sink.js";

/**
 * The inbound SMTP endpoint: mail sent with nodemailer to a mailbox's
 * forwarding address, through the real server's endpoint on a free port.
 * Connecting the mailbox needs its IMAP server (a private Dovecot) and an SMTP
 * server for replies (the sink); where Dovecot cannot be started the file says
 * why, loudly, and skips.
 */
const started = await startDovecot();
const skipped = "skipped" in started ? started.skipped : null;
if (skipped) console.warn(`\n\n!!! plugins/email/test/inbound-smtp.test.ts SKIPPED: ${skipped}\n\n`);
const dovecot = started as Dovecot;

const INBOUND_DOMAIN = "in.deskgraph.test";
const MAX_BYTES = 64 * 1024;
let app: TestApp;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let port: number;

beforeAll(async () => {
  if (skipped) return;
  sink = await startSmtpSink((username) => dovecot.passwordOf(username));
  port = await freePort();
  app = await startApp({
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
    EMAIL_ALLOW_PLAINTEXT: "true",
    EMAIL_SENDER_LIMIT_PER_HOUR: "4",
    EMAIL_INBOUND_SMTP_PORT: String(port),
    EMAIL_INBOUND_DOMAIN: `${INBOUND_DOMAIN}, other.deskgraph.test`,
    ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
  });
  // The endpoint listens shortly after the server starts.
  await untilListening(port, "the inbound SMTP endpoint to listen");
}, 60_000);
afterAll(async () => {
  await app?.close();
  await sink?.close();
  if (!skipped) await dovecot.close();
});

async function ok(t: TestTenant, query: string, variables: Record<string, unknown> = {}) {
  const r = await app.gql(query, variables, t.ownerToken);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

let users = 0;
/** A tenant with the plugin enabled and a mailbox connected; its forwarding address as `mailboxes` shows it. */
async function forwardingTenant() {
  const t = await app.tenant();
  await ok(t, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
  const user = await dovecot.addUser(`fwd${++users}`);
  const server = (p: number) => ({ host: "127.0.0.1", port: p, security: "NONE" });
  const connected = await ok(t, `mutation($i: ConnectMailboxInput!) { connectMailbox(input: $i) { id forwardingAddress } }`, {
    i: { address: user.address, passwordLogin: { imap: server(dovecot.port), smtp: server(sink.port), password: user.password } },
  });
  const listed = await ok(t, `{ mailboxes { id forwardingAddress } }`);
  expect(listed.mailboxes).toEqual([connected.connectMailbox]);
  return {
    t,
    address: user.address,
    mailboxId: connected.connectMailbox.id as string,
    forwarding: connected.connectMailbox.forwardingAddress as string,
  };
}

const transport = () => nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
const send = (o: SendMailOptions) => transport().sendMail({ subject: "Help", messageId: `<${randomUUID()}@customer.test>`, ...o });
/** The SMTP reply code a refused mail got. */
const refusal = (o: SendMailOptions) =>
  send(o).then(
    () => null,
    (err: { responseCode?: number }) => err.responseCode ?? -1,
  );

const TICKETS = `{ tickets(first: 10, orderBy: { field: NUMBER, direction: ASC }) { edges { node {
  id status channel subject requester { email }
  messages(first: 10) { edges { node { id body externalId authorType } } }
} } } }`;
async function tickets(t: TestTenant) {
  const data = await ok(t, TICKETS);
  return data.tickets.edges.map((e: any) => ({ ...e.node, messages: e.node.messages.edges.map((x: any) => x.node) }));
}

describe.skipIf(skipped !== null)("the inbound SMTP endpoint", () => {
  it("shows each connected mailbox a forwarding address of its own at the operator's domain", async () => {
    const a = await forwardingTenant();
    const b = await forwardingTenant();
    expect(a.forwarding).toMatch(new RegExp(`^[0-9a-f]{32}@${INBOUND_DOMAIN.replace(/\./g, "\\.")}$`));
    expect(b.forwarding).not.toBe(a.forwarding);
  });

  it("opens a ticket for a mail to the forwarding address; a reply joins it by In-Reply-To, or by the plus address alone", async () => {
    const m = await forwardingTenant();
    await send({
      from: "Nina <nina@customer.test>",
      to: m.forwarding,
      subject: "Printer on fire",
      text: "It is on fire.",
      messageId: "<n1@customer.test>",
    });
    // Stored before the endpoint said 250: no waiting.
    let [ticket] = await tickets(m.t);
    expect(ticket).toMatchObject({
      channel: "EMAIL",
      status: "NEW",
      subject: "Printer on fire",
      requester: { email: "nina@customer.test" },
    });
    expect(ticket.messages.map((x: any) => [x.body, x.externalId])).toEqual([["It is on fire.", "n1@customer.test"]]);

    // The agent answers (from the mailbox's own address, through its SMTP server); the customer answers that.
    const reply = await ok(m.t, `mutation($i: AddMessageInput!) { addMessage(input: $i) { externalId deliveryStatus } }`, {
      i: { ticketId: ticket.id, body: "Water, quickly." },
    });
    expect(reply.addMessage.deliveryStatus).toBe("SENT");
    await ok(m.t, `mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`, { id: ticket.id });
    await send({
      from: "nina@customer.test",
      to: m.forwarding,
      subject: "Re: Printer on fire",
      text: "Out now.",
      inReplyTo: `<${reply.addMessage.externalId}>`,
    });
    [ticket] = await tickets(m.t);
    expect(ticket.status).toBe("OPEN");
    expect(ticket.messages.map((x: any) => x.body)).toEqual(["It is on fire.", "Water, quickly.", "Out now."]);

    // No threading headers at all: the reply token in a plus address of the forwarding address finds the ticket.
    const token = reply.addMessage.externalId.split("-")[1];
    const plus = m.forwarding.replace("@", `+${token}@`);
    await send({ from: "nina@customer.test", to: plus, subject: "about that", text: "Thanks!" });
    const all = await tickets(m.t);
    expect(all).toHaveLength(1);
    expect(all[0].messages.map((x: any) => x.body)).toEqual(["It is on fire.", "Water, quickly.", "Out now.", "Thanks!"]);

    // The same token at the operator's other domain works as well; a made-up token opens a new ticket.
    await send({ from: "nina@customer.test", to: plus.replace(INBOUND_DOMAIN, "other.deskgraph.test"), subject: "x", text: "Again." });
    await send({
      from: "omar@customer.test",
      to: m.forwarding.replace("@", "+aaaaaaaaaaaaaaaa@"),
      subject: "New thing",
      text: "Unrelated.",
    });
    const after = await tickets(m.t);
    expect(after.map((x: any) => x.messages.length)).toEqual([5, 1]);
  });

  it("refuses unknown recipients at RCPT TO with 550: made-up tokens, other domains, another tenant's disconnected mailbox", async () => {
    const m = await forwardingTenant();
    const [token, domain] = m.forwarding.split("@");
    expect(await refusal({ from: "x@customer.test", to: `${"0".repeat(32)}@${domain}`, text: "1" })).toBe(550);
    expect(await refusal({ from: "x@customer.test", to: `${token}@elsewhere.test`, text: "1" })).toBe(550);
    expect(await refusal({ from: "x@customer.test", to: `postmaster@${domain}`, text: "1" })).toBe(550);
    // The mailbox's own address is its provider's business, not the endpoint's.
    expect(await refusal({ from: "x@customer.test", to: m.address, text: "1" })).toBe(550);

    await ok(m.t, `mutation($id: ID!) { disconnectMailbox(id: $id) { status } }`, { id: m.mailboxId });
    expect(await refusal({ from: "x@customer.test", to: m.forwarding, text: "1" })).toBe(550);
    expect((await ok(m.t, `{ mailboxes { forwardingAddress } }`)).mailboxes).toEqual([{ forwardingAddress: null }]);
    expect(await tickets(m.t)).toEqual([]);

    // A tenant that disabled the plugin takes no mail either.
    const n = await forwardingTenant();
    await ok(n.t, `mutation { disablePlugin(id: "email") { enabled } }`);
    expect(await refusal({ from: "x@customer.test", to: n.forwarding, text: "1" })).toBe(550);
  });

  it("refuses a mail over the attachment size limit with 552 and stores nothing of it", async () => {
    const m = await forwardingTenant();
    const big = randomBytes(MAX_BYTES).toString("base64");
    expect(
      await refusal({ from: "big@customer.test", to: m.forwarding, text: "see file", attachments: [{ filename: "a.bin", content: big }] }),
    ).toBe(552);
    expect(await tickets(m.t)).toEqual([]);
    // A mail under it goes through on the same terms.
    expect(await refusal({ from: "big@customer.test", to: m.forwarding, text: "small" })).toBeNull();
    expect(await tickets(m.t)).toHaveLength(1);
  });

  it("accepts the same mail twice and stores it once; ignores auto-replies; caps a sender's mails per hour", async () => {
    const m = await forwardingTenant();
    const once = { from: "dup@customer.test", to: m.forwarding, subject: "Twice", text: "Once only.", messageId: "<dup-1@customer.test>" };
    expect(await refusal(once)).toBeNull();
    expect(await refusal(once)).toBeNull();
    // Both of a tenant's addresses named in one mail: still one message.
    expect(await refusal({ ...once, to: [m.forwarding, m.forwarding.replace(INBOUND_DOMAIN, "other.deskgraph.test")] })).toBeNull();
    expect((await tickets(m.t)).map((t: any) => t.messages.length)).toEqual([1]);

    // An out-of-office answer is accepted (a refusal would bounce back to the sender) and opens nothing.
    expect(
      await refusal({
        from: "away@customer.test",
        to: m.forwarding,
        subject: "Out of office",
        text: "Back Monday.",
        headers: { "Auto-Submitted": "auto-replied" },
      }),
    ).toBeNull();
    expect(
      await refusal({ from: "list@customer.test", to: m.forwarding, subject: "News", text: "Hi", headers: { Precedence: "bulk" } }),
    ).toBeNull();
    expect(await tickets(m.t)).toHaveLength(1);

    // EMAIL_SENDER_LIMIT_PER_HOUR is 4: the fifth mail of one sender is accepted and skipped.
    for (let i = 1; i <= 5; i++) await send({ from: "loop@customer.test", to: m.forwarding, subject: `Loop ${i}`, text: String(i) });
    const subjects = (await tickets(m.t)).map((t: any) => t.subject);
    expect(subjects.filter((s: string) => s.startsWith("Loop"))).toEqual(["Loop 1", "Loop 2", "Loop 3", "Loop 4"]);
  });
});
