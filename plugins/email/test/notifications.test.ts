import { randomBytes, randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { startPeer } from "../../../test/support/peer.js";
import { until } from "../../../test/support/webhooks.js";
import { startDovecot, type Dovecot } from "./dovecot.js";
import { startSmtpSink } from "./smtp-sink.js";

/**
 * Notifications to people through a connected mailbox: the acknowledgement
 * of a new ticket and the satisfaction request on solve, against a private
 * Dovecot (mail in) and an SMTP sink (mail out), through the real server.
 */
const started = await startDovecot();
const skipped = "skipped" in started ? started.skipped : null;
if (skipped) console.warn(`\n\n!!! plugins/email/test/notifications.test.ts SKIPPED: ${skipped}\n\n`);
const dovecot = started as Dovecot;

const ENV = {
  ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
  EMAIL_ALLOW_PLAINTEXT: "true",
  EMAIL_POLL_SECONDS: "5",
  EMAIL_LEASE_SECONDS: "10",
};
const WAIT = 30_000;

let app: TestApp;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let origin: string;

beforeAll(async () => {
  if (skipped) return;
  sink = await startSmtpSink((username) => dovecot.passwordOf(username));
  app = await startApp(ENV);
  origin = app.url.replace(/\/graphql$/, "");
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
interface MailTenant {
  t: TestTenant;
  address: string;
}
/** A tenant with the email plugin enabled and a mailbox at the Dovecot; the given kinds turned on. */
async function mailTenant(kinds: string[]): Promise<MailTenant> {
  const t = await app.tenant();
  await ok(t, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
  const user = await dovecot.addUser(`notify${++users}`);
  const server = (port: number) => ({ host: "127.0.0.1", port, security: "NONE" });
  await ok(t, `mutation($i: ConnectMailboxInput!) { connectMailbox(input: $i) { id } }`, {
    i: { address: user.address, passwordLogin: { imap: server(dovecot.port), smtp: server(sink.port), password: user.password } },
  });
  for (const kind of kinds)
    await ok(t, `mutation($k: NotificationKind!) { setNotificationEnabled(kind: $k, enabled: true) { enabled } }`, { k: kind });
  return { t, address: user.address };
}

const mail = (o: { from: string; to: string; subject?: string; text?: string; inReplyTo?: string; headers?: Record<string, string> }) =>
  new MailComposer({ subject: "Help", text: "Please help", messageId: `<${randomUUID()}@customer.test>`, ...o }).compile().build();

const sentTo = (address: string) => sink.sent.filter((s) => s.to.includes(address));

const TICKETS = `{ tickets(first: 10, orderBy: { field: NUMBER, direction: ASC }) { edges { node {
  id number status channel subject requester { id } messages(first: 10) { totalCount } } } } }`;
const tickets = async (m: MailTenant) => (await ok(m.t, TICKETS)).tickets.edges.map((e: any) => e.node);

const NOTIFICATIONS = `query($f: NotificationFilter) { notifications(filter: $f) { kind channel status error externalId sentAt ticket { id } } }`;
const notifications = async (m: MailTenant, f: Record<string, unknown> = {}) => (await ok(m.t, NOTIFICATIONS, { f })).notifications;
async function settled(m: MailTenant, n: number) {
  await until(
    async () => (await notifications(m)).filter((x: any) => x.status === "SENT" || x.status === "FAILED").length >= n,
    WAIT,
    `${n} notifications`,
  );
  return notifications(m);
}

describe.skipIf(skipped !== null)("notification settings", () => {
  it("lists every kind with built-in wording in en, nl, de and fr, and takes the tenant's own templates", async () => {
    const t = await app.tenant();
    const all = (await ok(t, `{ notificationSettings { kind enabled required placeholders templates { locale builtIn subject } } }`))
      .notificationSettings;
    const ack = all.find((k: any) => k.kind === "TICKET_ACKNOWLEDGEMENT");
    expect(ack.enabled).toBe(false);
    expect(ack.templates.map((x: any) => x.locale)).toEqual(["en", "nl", "de", "fr"]);
    expect(all.find((k: any) => k.kind === "DSR_VERIFICATION")).toMatchObject({ enabled: true, required: true });

    const SET = `mutation($i: SetNotificationTemplateInput!) { setNotificationTemplate(input: $i) { templates { locale builtIn subject } } }`;
    const set = await ok(t, SET, {
      i: { kind: "TICKET_ACKNOWLEDGEMENT", locale: "NL", subject: "Ontvangen #{{ticket.number}}", body: "Dag {{name}}" },
    });
    expect(set.setNotificationTemplate.templates[0]).toEqual({ locale: "nl", builtIn: false, subject: "Ontvangen #{{ticket.number}}" });
    expect(set.setNotificationTemplate.templates.filter((x: any) => x.locale === "nl")).toHaveLength(1);

    const unknown = await app.gql(
      SET,
      { i: { kind: "TICKET_ACKNOWLEDGEMENT", locale: "en", subject: "x", body: "{{link}} {{ticket.secret}}" } },
      t.ownerToken,
    );
    expect(codes(unknown)).toEqual(["VALIDATION"]);
    expect(unknown.errors![0]!.extensions!.fields).toEqual([
      { path: ["input", "body"], message: "unknown placeholders: link, ticket.secret" },
    ]);
    const raw = await app.gql(SET, { i: { kind: "TICKET_ACKNOWLEDGEMENT", locale: "en", subject: "{{{name}}}", body: "x" } }, t.ownerToken);
    expect(codes(raw)).toEqual(["VALIDATION"]);
    const badLocale = await app.gql(
      SET,
      { i: { kind: "TICKET_ACKNOWLEDGEMENT", locale: "english!", subject: "x", body: "x" } },
      t.ownerToken,
    );
    expect(codes(badLocale)).toEqual(["VALIDATION"]);

    const off = await app.gql(`mutation { setNotificationEnabled(kind: DSR_VERIFICATION, enabled: false) { enabled } }`, {}, t.ownerToken);
    expect(codes(off)).toEqual(["VALIDATION"]);
    const gone = await app.gql(
      `mutation { deleteNotificationTemplate(kind: TICKET_ACKNOWLEDGEMENT, locale: "fr") { kind } }`,
      {},
      t.ownerToken,
    );
    expect(codes(gone)).toEqual(["NOT_FOUND"]);
    const back = await ok(
      t,
      `mutation { deleteNotificationTemplate(kind: TICKET_ACKNOWLEDGEMENT, locale: "nl") { templates { locale builtIn } } }`,
    );
    expect(back.deleteNotificationTemplate.templates.find((x: any) => x.locale === "nl").builtIn).toBe(true);
  });
});

describe.skipIf(skipped !== null)("acknowledgement of a new ticket", () => {
  it("answers a new EMAIL ticket once, in the requester's locale, in the ticket's thread: a reply to it joins the ticket", async () => {
    const m = await mailTenant(["TICKET_ACKNOWLEDGEMENT"]);
    await ok(
      m.t,
      `mutation { setNotificationTemplate(input: { kind: TICKET_ACKNOWLEDGEMENT, locale: "nl", subject: "Ontvangen #{{ticket.number}}: {{ticket.subject}}", body: "Dag {{name}}, over {{ticket.subject}}." }) { kind } }`,
    );
    const customer = `jan${users}@customer.test`;
    await ok(m.t, `mutation($i: ContactInput!) { createContact(input: $i) { id } }`, {
      i: { name: "Jan <b>de Vries</b>", email: customer, locale: "nl-BE" },
    });
    await dovecot.append(m.address, await mail({ from: customer, to: m.address, subject: "Factuur <kwijt> & zo" }));

    await until(async () => sentTo(customer).length >= 1, WAIT, "the acknowledgement");
    const [ack] = sentTo(customer);
    expect(ack!.parsed.subject).toMatch(/^Ontvangen #\d+: Factuur <kwijt> & zo$/);
    expect(ack!.parsed.text?.trim()).toBe("Dag Jan <b>de Vries</b>, over Factuur <kwijt> & zo.");
    // The HTML part escapes every value: the name's markup is text there.
    expect(ack!.parsed.html).toContain("Dag Jan &lt;b&gt;de Vries&lt;/b&gt;, over Factuur &lt;kwijt&gt; &amp; zo.");
    expect(ack!.parsed.headers.get("auto-submitted")).toBe("auto-generated");
    const token = ack!.parsed.headers.get("x-deskgraph-thread") as string;
    expect(ack!.parsed.messageId).toMatch(new RegExp(`^<dg-${token}-[a-z2-7]+@`));

    const [sent] = await settled(m, 1);
    expect(sent).toMatchObject({ kind: "TICKET_ACKNOWLEDGEMENT", channel: "EMAIL", status: "SENT", error: null });
    expect(`<${sent.externalId}>`).toBe(ack!.parsed.messageId);

    // The customer answers the acknowledgement: the answer joins the ticket, and is not acknowledged again.
    await dovecot.append(
      m.address,
      await mail({ from: customer, to: m.address, subject: `Re: ${ack!.parsed.subject}`, inReplyTo: ack!.parsed.messageId }),
    );
    await until(async () => (await tickets(m))[0]?.messages.totalCount === 2, WAIT, "the reply on the ticket");
    expect(await tickets(m)).toHaveLength(1);
    await app.consumed(m.t);
    expect(sentTo(customer)).toHaveLength(1);
    expect(await notifications(m)).toHaveLength(1);
  });

  it("falls back to the tenant's default locale, sends nothing for tickets an agent opened, and nothing to a restricted requester", async () => {
    const m = await mailTenant(["TICKET_ACKNOWLEDGEMENT"]);
    const first = `first${users}@customer.test`;
    await dovecot.append(m.address, await mail({ from: first, to: m.address, subject: "Hello" }));
    await until(async () => sentTo(first).length >= 1, WAIT, "the acknowledgement");
    expect(sentTo(first)[0]!.parsed.subject).toMatch(/^\[#\d+\] We received your request: Hello$/);

    // An EMAIL ticket an agent opens with a message of their own is not acknowledged.
    const out = `out${users}@customer.test`;
    await ok(
      m.t,
      `mutation { createTicket(input: { subject: "Outbound", body: "We noticed…", channel: EMAIL, firstMessageFrom: ME, requester: { name: "Out", email: "${out}" } }) { id } }`,
    );
    await app.consumed(m.t);

    // A notification queued before the requester restricted processing is not sent: the gateway refuses it, on record.
    const [ticket] = await tickets(m);
    await ok(m.t, `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "art. 18") { id } }`, { c: ticket.requester.id });
    const raw = (id: string) => Buffer.from(id, "base64").toString().split(":")[1]!;
    await app.database.forTenant(m.t.id).notification.create({
      data: {
        tenantId: m.t.id,
        kind: "TICKET_ACKNOWLEDGEMENT",
        channel: "EMAIL",
        key: "queued-before-restriction",
        contactId: raw(ticket.requester.id),
        ticketId: raw(ticket.id),
      },
    });
    const done = await settled(m, 2);
    expect(done.map((n: any) => [n.kind, n.status, n.error])).toEqual([
      ["TICKET_ACKNOWLEDGEMENT", "FAILED", "PROCESSING_RESTRICTED"],
      ["TICKET_ACKNOWLEDGEMENT", "SENT", null],
    ]);
    expect(sentTo(first)).toHaveLength(1);
    // The agent's own first message went out as a reply; no acknowledgement with it.
    expect(sentTo(out).map((x) => x.parsed.text?.trim())).toEqual(["We noticed…"]);
  });

  it("sends nothing while the kind is off", async () => {
    const m = await mailTenant([]);
    const customer = `off${users}@customer.test`;
    await dovecot.append(m.address, await mail({ from: customer, to: m.address }));
    await until(async () => (await tickets(m)).length === 1, WAIT, "the ticket");
    await app.consumed(m.t);
    expect(await notifications(m)).toEqual([]);
    expect(sentTo(customer)).toHaveLength(0);
  });
});

describe.skipIf(skipped !== null)("satisfaction request on solve", () => {
  it("mails the rating link once per solve; the link's page records the rating", async () => {
    const m = await mailTenant(["SATISFACTION_REQUEST"]);
    const customer = `rate${users}@customer.test`;
    await dovecot.append(m.address, await mail({ from: customer, to: m.address, subject: "Broken" }));
    await until(async () => (await tickets(m)).length === 1, WAIT, "the ticket");
    const [ticket] = await tickets(m);
    const SOLVE = `mutation($id: ID!, $s: TicketStatus!) { updateTicket(id: $id, input: { status: $s }) { status } }`;
    await ok(m.t, SOLVE, { id: ticket.id, s: "SOLVED" });
    await until(async () => sentTo(customer).length >= 1, WAIT, "the satisfaction request");
    const request = sentTo(customer)[0]!;
    expect(request.parsed.subject).toMatch(/How did we do\?$/);
    const link = /http:\/\/\S+\/links\/satisfaction\/\S+/.exec(request.parsed.text ?? "")![0];
    expect(link.startsWith(origin)).toBe(true);
    // In the ticket's thread, like the acknowledgement.
    expect(request.parsed.headers.get("x-deskgraph-thread")).toMatch(/^[a-z2-7]{16}$/);

    // Following the link shows a page and changes nothing; its button records the rating.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    const rated = await fetch(link, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "rating=4" });
    expect(rated.status).toBe(200);
    const satisfaction = await ok(m.t, `query($id: ID!) { node(id: $id) { ... on Ticket { satisfaction { rating } } } }`, {
      id: ticket.id,
    });
    expect(satisfaction.node.satisfaction.rating).toBe(4);
    const forged = await fetch(
      link.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      { method: "POST", body: "rating=1" },
    );
    expect(forged.status).toBe(400);

    // Solving the same solve again changes nothing; reopening and solving again asks again.
    await ok(m.t, SOLVE, { id: ticket.id, s: "SOLVED" });
    await ok(m.t, SOLVE, { id: ticket.id, s: "OPEN" });
    await ok(m.t, SOLVE, { id: ticket.id, s: "SOLVED" });
    await until(async () => sentTo(customer).length >= 2, WAIT, "the second request");
    await settled(m, 2);
    expect(sentTo(customer)).toHaveLength(2);
    expect((await notifications(m, { kind: "SATISFACTION_REQUEST" })).map((n: any) => n.status)).toEqual(["SENT", "SENT"]);
  });

  it("asks nothing for tickets of other channels", async () => {
    const m = await mailTenant(["SATISFACTION_REQUEST"]);
    const created = await ok(
      m.t,
      `mutation { createTicket(input: { subject: "Phone call", body: "Called", channel: PHONE, requester: { name: "P", email: "phone${users}@customer.test" } }) { id } }`,
    );
    await ok(m.t, `mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { status } }`, { id: created.createTicket.id });
    await app.consumed(m.t);
    expect(await notifications(m)).toEqual([]);
  });
});

describe.skipIf(skipped !== null)("data-subject requests", () => {
  const FILE = `mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id status dueAt verifiedAt verificationExpiresAt } }`;
  const COMPLETE = `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status } }`;
  const REQUEST = `query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { status verifiedAt } } }`;
  async function person(m: MailTenant, name: string, extra: Record<string, unknown> = {}) {
    const email = `${name.toLowerCase()}${++users}@customer.test`;
    const c = await ok(m.t, `mutation($i: ContactInput!) { createContact(input: $i) { id } }`, { i: { name, email, ...extra } });
    return { id: c.createContact.id as string, email };
  }

  it("mails a receipt when a request is filed and a notice when it is completed, in the person's language", async () => {
    const m = await mailTenant([]);
    const p = await person(m, "Greta", { locale: "de" });
    const filed = (await ok(m.t, FILE, { i: { contactId: p.id, type: "ACCESS" } })).fileDataSubjectRequest;
    await until(async () => sentTo(p.email).length >= 1, WAIT, "the receipt");
    const receipt = sentTo(p.email)[0]!;
    expect(receipt.parsed.subject).toBe("Wir haben Ihre Datenschutzanfrage erhalten");
    expect(receipt.parsed.text).toContain(`spätestens am ${filed.dueAt.slice(0, 10)}`);
    // Not about a ticket: a Message-ID of ours without a reply token, and no thread header.
    expect(receipt.parsed.messageId).toMatch(/^<dgn-/);
    expect(receipt.parsed.headers.get("x-deskgraph-thread")).toBeUndefined();

    await ok(m.t, COMPLETE, { id: filed.id });
    await until(async () => sentTo(p.email).length >= 2, WAIT, "the completion notice");
    expect(sentTo(p.email)[1]!.parsed.subject).toBe("Ihre Datenschutzanfrage ist abgeschlossen (completed)");
    // The sink has the mail a moment before the worker records that the server took it.
    await until(async () => (await notifications(m, { kind: "DSR_COMPLETED" }))[0]?.status === "SENT", WAIT, "the notice SENT");
    expect(await notifications(m, { kind: "DSR_COMPLETED" })).toMatchObject([{ status: "SENT", ticket: null }]);
  });

  it("holds a request filed with verification until the emailed link is followed, once, and not after it expires", async () => {
    const m = await mailTenant([]);
    const p = await person(m, "Vera");
    const filed = (await ok(m.t, FILE, { i: { contactId: p.id, type: "ERASURE", requireVerification: true } })).fileDataSubjectRequest;
    expect(filed).toMatchObject({ status: "AWAITING_VERIFICATION", verifiedAt: null });
    await until(async () => sentTo(p.email).length >= 1, WAIT, "the verification mail");
    const mailed = sentTo(p.email)[0]!;
    expect(mailed.parsed.subject).toBe("Please confirm your privacy request");
    const link = /http:\/\/\S+\/links\/verify\/\S+/.exec(mailed.parsed.text ?? "")![0];

    // Not acted on meanwhile: completing it is refused, and the person's data is untouched.
    const early = await app.gql(COMPLETE, { id: filed.id }, m.t.ownerToken);
    expect(codes(early)).toEqual(["VERIFICATION_REQUIRED"]);
    // Opening the link (a mail scanner, a preview) confirms nothing; the button does.
    expect((await fetch(link)).status).toBe(200);
    expect((await ok(m.t, REQUEST, { id: filed.id })).node.status).toBe("AWAITING_VERIFICATION");
    const confirmed = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "confirm=yes",
    });
    expect(confirmed.status).toBe(200);
    const now = (await ok(m.t, REQUEST, { id: filed.id })).node;
    expect(now.status).toBe("RECEIVED");
    expect(now.verifiedAt).not.toBeNull();
    // The receipt follows the confirmation; the link works once.
    await until(async () => sentTo(p.email).length >= 2, WAIT, "the receipt");
    expect(sentTo(p.email)[1]!.parsed.subject).toBe("We received your privacy request");
    const again = await fetch(link, { method: "POST", body: "confirm=yes" });
    expect(again.status).toBe(400);

    // Completed: the erasure leaves no address to tell, so no notice is queued, and the person's notifications went with them.
    expect((await ok(m.t, COMPLETE, { id: filed.id })).completeDataSubjectRequest.status).toBe("COMPLETED");
    await app.consumed(m.t);
    expect((await notifications(m)).map((n: any) => n.kind)).toEqual([]);
    expect(sentTo(p.email)).toHaveLength(2);
  });

  it("refuses an expired or forged link, and verification where no mail can reach the person", async () => {
    const m = await mailTenant([]);
    const p = await person(m, "Otto");
    const filed = (await ok(m.t, FILE, { i: { contactId: p.id, type: "ACCESS", requireVerification: true } })).fileDataSubjectRequest;
    await until(async () => sentTo(p.email).length >= 1, WAIT, "the verification mail");
    const link = /http:\/\/\S+\/links\/verify\/\S+/.exec(sentTo(p.email)[0]!.parsed.text ?? "")![0];
    const forged = await fetch(
      link.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      { method: "POST", body: "confirm=yes" },
    );
    expect(forged.status).toBe(400);

    // The clock moves past the link's expiry (the row's and the link's own, as signed): 410, nothing changes.
    const { linkToken } = await import("../../../src/notifications/links.js");
    const id = Buffer.from(filed.id, "base64").toString().split(":")[1]!;
    const row = await app.database.forTenant(m.t.id).dataSubjectRequest.findUniqueOrThrow({ where: { id } });
    const past = new Date(Date.now() - 1000);
    const expired = linkToken(Buffer.from(ENV.ENCRYPTION_KEY, "base64"), "verify", m.t.id, id, row.verificationNonce!, past);
    const late = await fetch(`${origin}/links/verify/${expired}`, { method: "POST", body: "confirm=yes" });
    expect(late.status).toBe(410);
    expect((await ok(m.t, REQUEST, { id: filed.id })).node.status).toBe("AWAITING_VERIFICATION");
    // Staff can refuse a request nobody confirmed; the unconfirmed address is not told.
    await ok(m.t, `mutation($id: ID!) { refuseDataSubjectRequest(id: $id, reason: "Never confirmed") { status } }`, { id: filed.id });
    expect((await fetch(link, { method: "POST", body: "confirm=yes" })).status).toBe(400);

    const noEmail = await ok(m.t, `mutation { createContact(input: { name: "No Mail" }) { id } }`);
    const refused = await app.gql(
      FILE,
      { i: { contactId: noEmail.createContact.id, type: "ACCESS", requireVerification: true } },
      m.t.ownerToken,
    );
    expect(codes(refused)).toEqual(["VALIDATION"]);
    expect(refused.errors![0]!.extensions!.fields).toMatchObject([{ path: ["input", "requireVerification"] }]);
    await app.consumed(m.t);
    expect(sentTo(p.email)).toHaveLength(1);
  });
});

describe.skipIf(skipped !== null)("marketing mail", () => {
  const SEND = `mutation($i: SendMarketingEmailInput!) { sendMarketingEmail(input: $i) { queued skipped { contactId reason } } }`;
  const CONSENTS = `query($id: ID!) { contact(id: $id) { consents { purpose status since { method } } } }`;
  async function person(m: MailTenant, name: string, email: string | null) {
    const c = await ok(m.t, `mutation($i: ContactInput!) { createContact(input: $i) { id } }`, {
      i: { name, ...(email ? { email } : {}) },
    });
    return c.createContact.id as string;
  }
  const marketing = async (m: MailTenant, id: string) =>
    (await ok(m.t, CONSENTS, { id })).contact.consents.find((c: any) => c.purpose === "marketing");

  it("goes only to contacts with marketing consent, with one-click unsubscribe that withdraws it once", async () => {
    const m = await mailTenant([]);
    const yes = `yes${++users}@customer.test`;
    const no = `no${users}@customer.test`;
    const consenting = await person(m, "Yvonne <i>Yes</i>", yes);
    const silent = await person(m, "Nora", no);
    const addressless = await person(m, "Paper", null);
    for (const id of [consenting, addressless])
      await ok(m.t, `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: id });

    const sent = (
      await ok(m.t, SEND, {
        i: { contactIds: [consenting, silent, addressless], subject: "Spring news", body: "New plans <b>& prices</b>." },
      })
    ).sendMarketingEmail;
    expect(sent.queued).toBe(1);
    expect(sent.skipped).toEqual([
      { contactId: silent, reason: "CONSENT_REQUIRED" },
      { contactId: addressless, reason: "NO_EMAIL_ADDRESS" },
    ]);
    await until(async () => sentTo(yes).length >= 1, WAIT, "the marketing mail");
    const mailed = sentTo(yes)[0]!;
    expect(mailed.parsed.subject).toBe("Spring news");
    expect(mailed.parsed.html).toContain("New plans &lt;b&gt;&amp; prices&lt;/b&gt;.");
    expect(mailed.parsed.headers.get("precedence")).toBe("bulk");
    expect(mailed.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    const header = mailed.raw.match(/^List-Unsubscribe:\s*<([^>]+)>/im)![1]!;
    expect(header.startsWith(`${origin}/links/unsubscribe/`)).toBe(true);
    expect(mailed.parsed.text).toContain(header);
    await app.consumed(m.t);
    expect(sentTo(no)).toHaveLength(0);

    // A mail client's one-click POST (RFC 8058), no sign-in: consent withdrawn by EMAIL_LINK, once however often it comes.
    const click = () =>
      fetch(header, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "List-Unsubscribe=One-Click",
      });
    expect((await click()).status).toBe(200);
    expect(await marketing(m, consenting)).toMatchObject({ status: "WITHDRAWN", since: { method: "EMAIL_LINK" } });
    await Promise.all([click(), click()]);
    const events = await app.database.forTenant(m.t.id).consentEvent.findMany({
      where: { contactId: Buffer.from(consenting, "base64").toString().split(":")[1]!, purpose: "marketing" },
    });
    expect(events.map((e) => [e.action, e.method, e.actorType])).toEqual([
      ["GRANTED", "API", "AGENT"],
      ["WITHDRAWN", "EMAIL_LINK", "CONTACT"],
    ]);
    // Opening the link only shows the page.
    expect((await fetch(header)).status).toBe(200);
    const forged = await fetch(
      header.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      { method: "POST", body: "List-Unsubscribe=One-Click" },
    );
    expect(forged.status).toBe(400);

    // Withdrawn: the next send leaves them out.
    const again = (await ok(m.t, SEND, { i: { contactIds: [consenting], subject: "Summer", body: "More" } })).sendMarketingEmail;
    expect(again).toEqual({ queued: 0, skipped: [{ contactId: consenting, reason: "CONSENT_REQUIRED" }] });
  });

  it("is not sent to a person who withdrew consent after it was queued, and needs a connected mailbox", async () => {
    const m = await mailTenant([]);
    const late = `late${++users}@customer.test`;
    const id = await person(m, "Late", late);
    await ok(m.t, `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: id });
    // Queued before the withdrawal (as a send would), sent after it: the gateway refuses it.
    await ok(m.t, `mutation($c: ID!) { withdrawConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: id });
    await app.database.forTenant(m.t.id).notification.create({
      data: {
        tenantId: m.t.id,
        kind: "MARKETING",
        channel: "EMAIL",
        key: "queued-before-withdrawal",
        contactId: Buffer.from(id, "base64").toString().split(":")[1]!,
        data: { subject: "Old", body: "Old" },
      },
    });
    const [n] = await settled(m, 1);
    expect(n).toMatchObject({ kind: "MARKETING", status: "FAILED", error: "CONSENT_REQUIRED" });
    expect(sentTo(late)).toHaveLength(0);

    const bare = await app.tenant();
    const c = await ok(bare, `mutation { createContact(input: { name: "X", email: "x${users}@customer.test" }) { id } }`);
    const refused = await app.gql(SEND, { i: { contactIds: [c.createContact.id], subject: "S", body: "B" } }, bare.ownerToken);
    expect(codes(refused)).toEqual(["VALIDATION"]);
  });
});

describe.skipIf(skipped !== null)("two instances", () => {
  it("send each notification once when both workers claim from the same queue", async () => {
    const peer = await startPeer(app.database, ENV);
    try {
      const m = await mailTenant([]);
      const ids: string[] = [];
      const addresses: string[] = [];
      for (let i = 0; i < 8; i++) {
        const email = `pair${i}-${++users}@customer.test`;
        const c = await ok(m.t, `mutation($i: ContactInput!) { createContact(input: $i) { id } }`, { i: { name: `Pair ${i}`, email } });
        await ok(m.t, `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, {
          c: c.createContact.id,
        });
        ids.push(c.createContact.id);
        addresses.push(email);
      }
      // One send through each instance at the same time: each kicks its own worker, and both claim from the same rows.
      const SEND = `mutation($i: SendMarketingEmailInput!) { sendMarketingEmail(input: $i) { queued } }`;
      const viaPeer = (query: string, variables: Record<string, unknown>) =>
        fetch(peer.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${m.t.ownerToken}` },
          body: JSON.stringify({ query, variables }),
        }).then((r) => r.json());
      const [a, b] = await Promise.all([
        ok(m.t, SEND, { i: { contactIds: ids, subject: "From one", body: "One" } }),
        viaPeer(SEND, { i: { contactIds: ids, subject: "From two", body: "Two" } }),
      ]);
      expect([a.sendMarketingEmail.queued, b.data.sendMarketingEmail.queued]).toEqual([8, 8]);
      await until(async () => (await notifications(m)).every((n: any) => n.status === "SENT"), WAIT, "16 sent");
      const rows = await notifications(m);
      expect(rows).toHaveLength(16);
      expect(new Set(rows.map((n: any) => n.externalId)).size).toBe(16);
      for (const address of addresses)
        expect(
          sentTo(address)
            .map((s) => s.parsed.subject)
            .sort(),
          address,
        ).toEqual(["From one", "From two"]);
    } finally {
      await peer.close();
    }
  });
});
