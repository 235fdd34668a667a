import { randomBytes, randomUUID } from "node:crypto";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignInLimiter } from "../../../src/agents/sign-in-limiter.js";
import { loadConfig } from "../../../src/config.js";
import { createContext } from "../../../src/context.js";
import { eraseAtPlugins } from "../../../src/plugin-host/erasure.js";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import { SecretBox } from "../../../src/plugin-host/secrets.js";
import { codes, startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { parseAllowList } from "../../../src/outbound/allow-list.js";
import { OutboundGuard } from "../../../src/outbound/guard.js";
import { failureCode, twilioClient } from "../client.js";
import { twilioSms } from "../index.js";
import { keywordOf } from "../keywords.js";
import { startTwilioApi } from "./twilio-api-stand-in.js";

// As behind a reverse proxy: Twilio calls (and signs) the public URL; the server learns it from PUBLIC_URL.
const PUBLIC_URL = "https://desk.example.test";
const KEY = randomBytes(32).toString("base64");
const FROM = "+14155550100";

let app: TestApp;
let api: Awaited<ReturnType<typeof startTwilioApi>>;
let origin: string;

beforeAll(async () => {
  api = await startTwilioApi();
  // The default plugin set: what the distribution ships (twilio-sms among them) plus the test echo plugin.
  // The Twilio stand-in listens on loopback: the operator allows it, as tenants cannot.
  app = await startApp({ PUBLIC_URL, ENCRYPTION_KEY: KEY, OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32" });
  origin = app.url.replace(/\/graphql$/, "");
});
afterAll(async () => {
  await app?.close();
  await api?.close();
});

interface SmsTenant {
  t: TestTenant;
  accountSid: string;
  authToken: string;
}

/** A tenant with Twilio configured (its own account at the stand-in) and enabled. */
async function smsTenant(): Promise<SmsTenant> {
  const t = await app.tenant();
  const accountSid = `AC${randomBytes(16).toString("hex")}`;
  const authToken = randomBytes(16).toString("hex");
  api.account(accountSid, authToken);
  const settings = [
    { key: "accountSid", value: accountSid },
    { key: "authToken", value: authToken },
    { key: "fromNumber", value: "+1 415 555 0100" },
    { key: "apiBaseUrl", value: api.url },
  ];
  const configured = await app.gql(
    `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "twilio-sms", settings: $s) { id } }`,
    { s: settings },
    t.ownerToken,
  );
  expect(configured.errors).toBeUndefined();
  const enabled = await app.gql(`mutation { enablePlugin(id: "twilio-sms", acceptTransfer: true) { enabled } }`, {}, t.ownerToken);
  expect(enabled.data?.enablePlugin.enabled).toBe(true);
  return { t, accountSid, authToken };
}

const newSid = () => `SM${randomBytes(16).toString("hex")}`;

/** The parameters Twilio posts for an incoming SMS. */
function incoming(s: SmsTenant, from: string, body: string, sid = newSid()): Record<string, string> {
  return {
    ToCountry: "US",
    ToState: "CA",
    SmsMessageSid: sid,
    NumMedia: "0",
    ToCity: "SAN FRANCISCO",
    FromZip: "",
    SmsSid: sid,
    FromState: "",
    SmsStatus: "received",
    FromCity: "",
    Body: body,
    FromCountry: "FR",
    To: FROM,
    ToZip: "94105",
    NumSegments: "1",
    MessageSid: sid,
    AccountSid: s.accountSid,
    From: from,
    ApiVersion: "2010-04-01",
  };
}

/**
 * Posts a webhook as Twilio does: form-encoded, with X-Twilio-Signature computed
 * by the SDK over the public URL and the parameters (or the given signature).
 */
async function post(
  s: SmsTenant,
  pathAndQuery: string,
  params: Record<string, string>,
  opts: { signWith?: string; signature?: string | null } = {},
) {
  const signature =
    opts.signature !== undefined
      ? opts.signature
      : twilio.getExpectedTwilioSignature(opts.signWith ?? s.authToken, PUBLIC_URL + pathAndQuery, params);
  return fetch(origin + pathAndQuery, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(signature ? { "x-twilio-signature": signature } : {}) },
    body: new URLSearchParams(params).toString(),
  });
}
const smsPath = (s: SmsTenant) => `/plugins/twilio-sms/${s.t.slug}/sms`;
const sms = (s: SmsTenant, from: string, body: string, sid?: string) => post(s, smsPath(s), incoming(s, from, body, sid));

/** Twilio's status callback to the URL we gave it with the message. */
async function statusCallback(s: SmsTenant, url: string, sid: string, status: string, errorCode?: string) {
  expect(url.startsWith(PUBLIC_URL)).toBe(true);
  const params: Record<string, string> = {
    SmsSid: sid,
    SmsStatus: status,
    MessageStatus: status,
    To: "+33600000000",
    MessageSid: sid,
    AccountSid: s.accountSid,
    From: FROM,
    ApiVersion: "2010-04-01",
  };
  if (errorCode) params.ErrorCode = errorCode;
  return post(s, url.slice(PUBLIC_URL.length), params);
}

const TICKETS = `{ tickets(first: 5, orderBy: { field: NUMBER, direction: ASC }) { totalCount edges { node {
  id number status channel subject lastMessageAt
  requester { id name phone }
  messages(first: 10) { totalCount edges { node { id body authorType channel externalId deliveryStatus deliveryError } } }
} } } }`;
async function tickets(s: SmsTenant) {
  const r = await app.gql(TICKETS, {}, s.t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.tickets.edges.map((e: any) => ({ ...e.node, messages: e.node.messages.edges.map((m: any) => m.node) }));
}
const contactCount = async (s: SmsTenant) =>
  (await app.gql(`{ contacts(first: 1) { totalCount } }`, {}, s.t.ownerToken)).data.contacts.totalCount;

const REPLY = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id body deliveryStatus deliveryError externalId } }`;
const reply = (s: SmsTenant, ticketId: string, body: string, extra: Record<string, unknown> = {}) =>
  app.gql(REPLY, { i: { ticketId, body, ...extra } }, s.t.ownerToken);

const CONSENT = `query($id: ID!) { contact(id: $id) { consents { purpose status since { action method actorType } } consentHistory(first: 50) { totalCount } } }`;
async function smsConsent(s: SmsTenant, contactId: string) {
  const r = await app.gql(CONSENT, { id: contactId }, s.t.ownerToken);
  return { ...r.data.contact.consents.find((c: any) => c.purpose === "sms.messaging"), history: r.data.contact.consentHistory.totalCount };
}

const calls = async (s: SmsTenant) =>
  (
    await app.gql(
      `{ pluginCalls(pluginId: "twilio-sms", first: 50) { edges { node { operation purpose categories subjectIds outcome errorCode } } } }`,
      {},
      s.t.ownerToken,
    )
  ).data.pluginCalls.edges.map((e: any) => e.node);
/** What reached the Twilio stand-in for this tenant's account. */
const requestsOf = (s: SmsTenant) => api.received.filter((r) => r.path.includes(s.accountSid));
const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

describe("the API base URL", () => {
  it("is reached only through the outbound guard: a loopback base is refused when connecting, by number or name, until the operator allows it", async () => {
    const accountSid = `AC${randomBytes(16).toString("hex")}`;
    const authToken = randomBytes(16).toString("hex");
    api.account(accountSid, authToken);
    const send = (apiBaseUrl: string, guard: OutboundGuard) =>
      (async () =>
        twilioClient({ accountSid, authToken, apiBaseUrl }, guard).messages.create({
          to: "+14155550111",
          from: "+14155550100",
          body: "hello",
        }))();
    const before = api.received.length;
    // As if saved while the operator allowed it, or resolving elsewhere now than when it was saved.
    const strict = new OutboundGuard();
    for (const base of [api.url, api.url.replace("127.0.0.1", "localhost")]) {
      const err = await send(base, strict).catch((e: unknown) => e);
      expect(failureCode(err), base).toBe("ADDRESS_NOT_ALLOWED");
    }
    expect(api.received.length).toBe(before);
    const sent = await send(api.url, new OutboundGuard(parseAllowList("127.0.0.1/32")));
    expect(sent.sid).toMatch(/^SM/);
    expect(api.received.length).toBe(before + 1);
  });
});

describe("inbound SMS", () => {
  it("refuses a missing or wrong signature with 403 and stores nothing", async () => {
    const s = await smsTenant();
    const params = incoming(s, "+33612345678", "Hello");
    expect((await post(s, smsPath(s), params, { signature: null })).status).toBe(403);
    expect((await post(s, smsPath(s), params, { signature: "bm90IGEgc2lnbmF0dXJl" })).status).toBe(403);
    expect((await post(s, smsPath(s), params, { signWith: randomBytes(16).toString("hex") })).status).toBe(403);
    // Signed, then altered on the way.
    const signature = twilio.getExpectedTwilioSignature(s.authToken, PUBLIC_URL + smsPath(s), params);
    expect((await post(s, smsPath(s), { ...params, Body: "Send the money elsewhere" }, { signature })).status).toBe(403);
    // Signed for another URL (another tenant's webhook).
    expect(
      (
        await post(s, smsPath(s), params, {
          signature: twilio.getExpectedTwilioSignature(s.authToken, `${PUBLIC_URL}/plugins/twilio-sms/other/sms`, params),
        })
      ).status,
    ).toBe(403);

    expect(await tickets(s)).toEqual([]);
    expect(await contactCount(s)).toBe(0);

    const ok = await post(s, smsPath(s), params);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/xml/);
    expect(await ok.text()).toMatch(/<Response\/>$/);
    expect(await tickets(s)).toHaveLength(1);
  });

  it("turns a first SMS into a contact and an SMS ticket, and joins the next ones to it", async () => {
    const s = await smsTenant();
    const sid = newSid();
    expect((await sms(s, "+33612345678", "My parcel has not arrived", sid)).status).toBe(200);
    const [ticket] = await tickets(s);
    expect(ticket).toMatchObject({
      status: "NEW",
      channel: "SMS",
      subject: "My parcel has not arrived",
      requester: { name: "SMS +33 6 12 34 56 78", phone: "+33612345678" },
    });
    expect(ticket.messages).toEqual([
      expect.objectContaining({
        body: "My parcel has not arrived",
        authorType: "CONTACT",
        channel: "SMS",
        externalId: sid,
        deliveryStatus: null,
      }),
    ]);

    await sms(s, "+33612345678", "Order 1234");
    let all = await tickets(s);
    expect(all).toHaveLength(1);
    expect(all[0].messages.map((m: any) => m.body)).toEqual(["My parcel has not arrived", "Order 1234"]);

    // A PENDING ticket opens again, as with addMessage(from: REQUESTER).
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: PENDING }) { id } }`, { id: ticket.id }, s.t.ownerToken);
    await sms(s, "+33612345678", "Any news?");
    all = await tickets(s);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ status: "OPEN" });
    expect(all[0].messages).toHaveLength(3);

    // Once solved, the next SMS is a new request.
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`, { id: ticket.id }, s.t.ownerToken);
    await sms(s, "+33612345678", "Another question");
    all = await tickets(s);
    expect(all.map((t: any) => [t.status, t.messages.length])).toEqual([
      ["SOLVED", 3],
      ["NEW", 1],
    ]);
    expect(all[1].requester.id).toBe(ticket.requester.id);
    expect(await contactCount(s)).toBe(1);
  });

  it("stores the same MessageSid once, even when Twilio delivers it twice at the same time", async () => {
    const s = await smsTenant();
    const sid = newSid();
    const responses = await Promise.all([1, 2, 3].map(() => sms(s, "+33687654321", "Only once", sid)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await sms(s, "+33687654321", "Only once", sid)).status).toBe(200);
    const all = await tickets(s);
    expect(all).toHaveLength(1);
    expect(all[0].messages.map((m: any) => m.externalId)).toEqual([sid]);
    expect(await contactCount(s)).toBe(1);
  });

  it("matches the sender to a contact whose number was written in another notation", async () => {
    const s = await smsTenant();
    const created = await app.gql(
      `mutation { createContact(input: { name: "Camille", phone: "+33 (0)6 11 22 33 44" }) { id phone } }`,
      {},
      s.t.ownerToken,
    );
    expect(created.data.createContact.phone).toBe("+33611223344");
    await sms(s, "+33611223344", "It's Camille");
    const [ticket] = await tickets(s);
    expect(ticket.requester).toEqual({ id: created.data.createContact.id, name: "Camille", phone: "+33611223344" });
    expect(await contactCount(s)).toBe(1);
  });

  it("stores a restricted contact's SMS and does nothing else with it", async () => {
    const s = await smsTenant();
    await sms(s, "+33622334455", "Hello");
    const [before] = await tickets(s);
    expect((await reply(s, before.id, "How can we help?")).data.addMessage.deliveryStatus).toBe("QUEUED");
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: PENDING }) { id } }`, { id: before.id }, s.t.ownerToken);
    const restricted = await app.gql(
      `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "Contests accuracy") { restricted } }`,
      { c: before.requester.id },
      s.t.ownerToken,
    );
    expect(restricted.data.restrictProcessing.restricted).toBe(true);
    // Another plugin enabled in the tenant must not hear of the message either.
    await app.gql(
      `mutation { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: "http://127.0.0.1:9" }, { key: "apiKey", value: "k" }]) { id } }`,
      {},
      s.t.ownerToken,
    );
    await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { enabled } }`, {}, s.t.ownerToken);
    const [pending] = await tickets(s);
    const consentBefore = await smsConsent(s, before.requester.id);
    const requestsBefore = requestsOf(s).length;
    const allCalls = () => app.database.prisma.pluginCall.count({ where: { tenantId: s.t.id } });
    const callsBefore = await allCalls();

    const sid = newSid();
    expect((await sms(s, "+33622334455", "Please call me back", sid)).status).toBe(200);

    const [after] = await tickets(s);
    // Stored…
    expect(after.messages.at(-1)).toMatchObject({ body: "Please call me back", externalId: sid, authorType: "CONTACT" });
    // …and nothing else: no reopening, no activity, no consent recorded, nothing sent anywhere.
    expect(after).toMatchObject({ status: "PENDING", lastMessageAt: pending.lastMessageAt });
    expect(await smsConsent(s, before.requester.id)).toEqual(consentBefore);
    expect(requestsOf(s)).toHaveLength(requestsBefore);
    expect(await allCalls()).toBe(callsBefore);
    // The core refuses replies while restricted, so nothing goes out either.
    expect(codes(await reply(s, before.id, "We will call"))).toEqual(["PROCESSING_RESTRICTED"]);
    expect(requestsOf(s)).toHaveLength(requestsBefore);
  });
});

describe("SMS consent", () => {
  it("knows Twilio's opt-out and opt-in keywords, as whole messages in any case", () => {
    for (const word of ["STOP", "stopall", " Unsubscribe ", "cancel", "End", "QUIT\n"]) expect(keywordOf(word), word).toBe("OPT_OUT");
    for (const word of ["START", "yes", "Unstop "]) expect(keywordOf(word), word).toBe("OPT_IN");
    for (const word of ["stop please", "please cancel", "HELP", "yes, that's my order"]) expect(keywordOf(word), word).toBeNull();
    // With Advanced Opt-Out, Twilio classifies the tenant's custom keywords itself.
    expect(keywordOf("ARRET", "STOP")).toBe("OPT_OUT");
    expect(keywordOf("REPRENDRE", "START")).toBe("OPT_IN");
  });

  it("is given by texting in, withdrawn by STOP (replies then fail with CONSENT_REQUIRED) and restored by START", async () => {
    const s = await smsTenant();
    await sms(s, "+33633445566", "Hello, is my order shipped?");
    const [ticket] = await tickets(s);
    const contactId = ticket.requester.id;
    expect(await smsConsent(s, contactId)).toMatchObject({
      status: "GRANTED",
      since: { action: "GRANTED", method: "INBOUND_SMS", actorType: "SYSTEM" },
      history: 1,
    });

    await sms(s, "+33633445566", "  stop ");
    expect(await smsConsent(s, contactId)).toMatchObject({
      status: "WITHDRAWN",
      since: { action: "WITHDRAWN", method: "SMS_KEYWORD" },
      history: 2,
    });
    // The keyword is still part of the conversation.
    expect((await tickets(s))[0].messages.map((m: any) => m.body)).toContain("  stop ");

    const refused = await reply(s, ticket.id, "It ships tomorrow");
    expect(refused.errors).toBeUndefined();
    expect(refused.data.addMessage).toMatchObject({
      body: "It ships tomorrow",
      deliveryStatus: "FAILED",
      deliveryError: "CONSENT_REQUIRED",
      externalId: null,
    });
    expect(requestsOf(s)).toEqual([]);

    // Texting again is no consent once it was withdrawn: START is.
    await sms(s, "+33633445566", "Hello?");
    expect(await smsConsent(s, contactId)).toMatchObject({ status: "WITHDRAWN", history: 2 });
    await sms(s, "+33633445566", "Start");
    expect(await smsConsent(s, contactId)).toMatchObject({
      status: "GRANTED",
      since: { action: "GRANTED", method: "SMS_KEYWORD" },
      history: 3,
    });

    const sent = await reply(s, ticket.id, "It ships tomorrow");
    expect(sent.data.addMessage).toMatchObject({
      deliveryStatus: "QUEUED",
      deliveryError: null,
      externalId: expect.stringMatching(/^SM[0-9a-f]{32}$/),
    });
    const requests = requestsOf(s);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      method: "POST",
      path: `/2010-04-01/Accounts/${s.accountSid}/Messages.json`,
      authorization: `Basic ${Buffer.from(`${s.accountSid}:${s.authToken}`).toString("base64")}`,
      form: {
        To: "+33633445566",
        From: FROM,
        Body: "It ships tomorrow",
        StatusCallback: `${PUBLIC_URL}/plugins/twilio-sms/${s.t.slug}/status?message=${rawId(sent.data.addMessage.id)}`,
      },
    });

    // Every attempt is in the call log, with purpose and subject, never the text.
    const log = await calls(s);
    expect(log).toEqual([
      {
        operation: "send",
        purpose: "sms.messaging",
        categories: ["user.contact.phone", "user.content.message"],
        subjectIds: [rawId(contactId)],
        outcome: "OK",
        errorCode: null,
      },
      {
        operation: "send",
        purpose: "sms.messaging",
        categories: ["user.contact.phone", "user.content.message"],
        subjectIds: [rawId(contactId)],
        outcome: "REFUSED",
        errorCode: "CONSENT_REQUIRED",
      },
    ]);
    expect(JSON.stringify(await app.database.prisma.pluginCall.findMany({ where: { tenantId: s.t.id } }))).not.toContain("ships tomorrow");
  });

  it("records a STOP even from a restricted contact, and nothing else", async () => {
    const s = await smsTenant();
    await sms(s, "+33644556677", "Hi");
    const [ticket] = await tickets(s);
    await app.gql(
      `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "Objection pending") { id } }`,
      { c: ticket.requester.id },
      s.t.ownerToken,
    );
    await sms(s, "+33644556677", "START");
    expect(await smsConsent(s, ticket.requester.id)).toMatchObject({ status: "GRANTED", since: { method: "INBOUND_SMS" }, history: 1 });
    await sms(s, "+33644556677", "STOP");
    expect(await smsConsent(s, ticket.requester.id)).toMatchObject({ status: "WITHDRAWN", since: { method: "SMS_KEYWORD" }, history: 2 });
  });
});

describe("replies by SMS", () => {
  async function conversation(s: SmsTenant, from: string) {
    await sms(s, from, "Hello");
    return (await tickets(s))[0];
  }

  it("keep the delivery status Twilio reports, moving only forward", async () => {
    const s = await smsTenant();
    const ticket = await conversation(s, "+33655667788");
    const sent = (await reply(s, ticket.id, "On its way")).data.addMessage;
    expect(sent.deliveryStatus).toBe("QUEUED");
    const callbackUrl = requestsOf(s)[0]!.form.StatusCallback!;
    const status = async () => (await tickets(s))[0].messages.find((m: any) => m.id === sent.id);

    // A callback without a valid signature changes nothing.
    const forged = await post(
      s,
      callbackUrl.slice(PUBLIC_URL.length),
      { MessageSid: sent.externalId, MessageStatus: "failed", ErrorCode: "30008" },
      { signature: "Zm9yZ2Vk" },
    );
    expect(forged.status).toBe(403);
    expect((await status()).deliveryStatus).toBe("QUEUED");

    expect((await statusCallback(s, callbackUrl, sent.externalId, "sent")).status).toBeLessThan(300);
    expect((await status()).deliveryStatus).toBe("SENT");
    await statusCallback(s, callbackUrl, sent.externalId, "delivered");
    expect((await status()).deliveryStatus).toBe("DELIVERED");
    // Callbacks can arrive out of order: a late "sent" does not undo "delivered".
    await statusCallback(s, callbackUrl, sent.externalId, "sent");
    await statusCallback(s, callbackUrl, sent.externalId, "queued");
    expect(await status()).toMatchObject({ deliveryStatus: "DELIVERED", deliveryError: null });

    // A carrier's refusal arrives the same way, with Twilio's error code.
    const second = (await reply(s, ticket.id, "Tracking: 1Z999")).data.addMessage;
    const secondUrl = requestsOf(s)[1]!.form.StatusCallback!;
    await statusCallback(s, secondUrl, second.externalId, "sent");
    await statusCallback(s, secondUrl, second.externalId, "undelivered", "30005");
    const undelivered = (await tickets(s))[0].messages.find((m: any) => m.id === second.id);
    expect(undelivered).toMatchObject({ deliveryStatus: "UNDELIVERED", deliveryError: "TWILIO_30005" });
  });

  it("keep a status callback that arrives before Twilio's answer to the send", async () => {
    const s = await smsTenant();
    const ticket = await conversation(s, "+33612131415");
    const pause = api.pauseNext();
    const replying = reply(s, ticket.id, "Fast network");
    const { sid, form } = await pause.arrived;
    expect((await statusCallback(s, form.StatusCallback!, sid, "sent")).status).toBeLessThan(300);
    pause.release();
    expect((await replying).data.addMessage).toMatchObject({ externalId: sid, deliveryStatus: "SENT" });
  });

  it("report Twilio's error on the message instead of losing the reply", async () => {
    const s = await smsTenant();
    const ticket = await conversation(s, "+33666778899");
    api.failNext({ status: 400, code: 21211, message: "Invalid 'To' Phone Number: +33666778899" });
    const failed = await reply(s, ticket.id, "Can you confirm your address?");
    expect(failed.errors).toBeUndefined();
    expect(failed.data.addMessage).toMatchObject({ deliveryStatus: "FAILED", deliveryError: "TWILIO_21211", externalId: null });
    expect(requestsOf(s)).toHaveLength(1);
    expect((await calls(s))[0]).toMatchObject({ operation: "send", outcome: "FAILED", errorCode: "21211" });
    // The reply itself is kept, and a later one goes out.
    expect((await tickets(s))[0].messages.map((m: any) => m.body)).toContain("Can you confirm your address?");
    expect((await reply(s, ticket.id, "Trying again")).data.addMessage.deliveryStatus).toBe("QUEUED");
  });

  it("send public replies on SMS tickets only", async () => {
    const s = await smsTenant();
    const ticket = await conversation(s, "+33677889900");
    const note = await reply(s, ticket.id, "Customer sounds upset", { internal: true });
    expect(note.data.addMessage).toMatchObject({ deliveryStatus: null, externalId: null });
    const other = await app.gql(
      `mutation { createTicket(input: { subject: "By API", body: "Hi", channel: API, requester: { name: "Pat", phone: "+33688990011" } }) { id } }`,
      {},
      s.t.ownerToken,
    );
    const apiReply = await reply(s, other.data.createTicket.id, "Answered by email");
    expect(apiReply.data.addMessage).toMatchObject({ deliveryStatus: null, externalId: null });
    expect(requestsOf(s)).toEqual([]);
  });

  it("send the first message of a ticket an agent opens on SMS, and never a requester's own first message", async () => {
    const s = await smsTenant();
    const contact = await app.gql(
      `mutation { createContact(input: { name: "Robin", phone: "+33 6 11 22 33 44" }) { id } }`,
      {},
      s.t.ownerToken,
    );
    const contactId = contact.data.createContact.id;
    const consent = await app.gql(
      `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "sms.messaging" }) { id } }`,
      { c: contactId },
      s.t.ownerToken,
    );
    expect(consent.errors).toBeUndefined();
    const open = (from: "ME" | "REQUESTER", body: string) =>
      app.gql(
        `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id messages(first: 1) { edges { node { id } } } } }`,
        { i: { subject: "Your parcel", body, channel: "SMS", requesterId: contactId, firstMessageFrom: from } },
        s.t.ownerToken,
      );

    const byAgent = await open("ME", "Your parcel is waiting at the depot");
    expect(byAgent.errors).toBeUndefined();
    await app.consumed(s.t);
    const requests = requestsOf(s);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.form).toMatchObject({ To: "+33611223344", From: FROM, Body: "Your parcel is waiting at the depot" });
    const [first] = (await tickets(s))[0].messages;
    expect(first).toMatchObject({ authorType: "AGENT", deliveryStatus: "QUEUED", externalId: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    expect((await calls(s))[0]).toMatchObject({ operation: "send", outcome: "OK", subjectIds: [rawId(contactId)] });

    // Written down for the requester (a call taken on the phone): theirs already, nothing to send back.
    expect((await open("REQUESTER", "Caller asked where the parcel is")).errors).toBeUndefined();
    await app.consumed(s.t);
    expect(requestsOf(s)).toHaveLength(1);
  });

  it("go nowhere while the plugin is disabled, and say so", async () => {
    const s = await smsTenant();
    const ticket = await conversation(s, "+33699001122");
    const disabled = await app.gql(`mutation { disablePlugin(id: "twilio-sms") { enabled } }`, {}, s.t.ownerToken);
    expect(disabled.data.disablePlugin.enabled).toBe(false);

    const hook = await sms(s, "+33699001122", "Anyone?");
    expect(hook.status).toBe(404);
    expect((await tickets(s))[0].messages).toHaveLength(1);

    const refused = await reply(s, ticket.id, "Yes, here");
    expect(refused.data.addMessage).toMatchObject({ deliveryStatus: "FAILED", deliveryError: "PLUGIN_DISABLED" });
    expect(requestsOf(s)).toEqual([]);
    expect((await calls(s))[0]).toMatchObject({
      operation: "send",
      purpose: "sms.messaging",
      outcome: "REFUSED",
      errorCode: "PLUGIN_DISABLED",
    });
  });
});

describe("erasure", () => {
  it("deletes the subject's messages at Twilio, and only theirs", async () => {
    const s = await smsTenant();
    // Twilio keeps the messages it received for us as well as those we sent.
    const inbound = [newSid(), newSid()];
    api.hold(inbound[0]!);
    await sms(s, "+33610203040", "Please forget me", inbound[0]);
    await sms(s, "+33610203040", "Thanks", inbound[1]); // already deleted at Twilio
    const [mine] = await tickets(s);
    const sent = (await reply(s, mine.id, "Done soon")).data.addMessage.externalId as string;

    const otherSid = newSid();
    api.hold(otherSid);
    await sms(s, "+33650607080", "I stay", otherSid);

    const config = loadConfig({
      DATA_DIR: "memory://",
      ENCRYPTION_KEY: KEY,
      PUBLIC_URL,
      LOG_LEVEL: "silent",
      OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
    });
    // The context an erasure request runs in (erasure itself needs no realtime machinery).
    const ctx = createContext({
      requestId: randomUUID(),
      config,
      database: app.database,
      log: app.server.log,
      clientIp: "test",
      viewer: null,
      signInLimiter: new SignInLimiter({ maxAttempts: 5, windowSeconds: 60 }),
      plugins: {
        registry: new PluginRegistry([twilioSms]),
        secrets: new SecretBox(config.encryptionKey),
        database: app.database,
        log: app.server.log,
      },
    } as Parameters<typeof createContext>[0]);
    const results = await eraseAtPlugins(ctx, s.t.id, { contactId: rawId(mine.requester.id), email: null, phone: "+33610203040" });

    expect(results).toEqual([
      { pluginId: "twilio-sms", ok: true, store: "Twilio (message logs)", deleted: 2, note: "1 already deleted at Twilio" },
    ]);
    const deletes = requestsOf(s).filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.path).sort()).toEqual(
      [inbound[0], inbound[1], sent].map((sid) => `/2010-04-01/Accounts/${s.accountSid}/Messages/${sid}.json`).sort(),
    );
    expect(deletes.every((r) => r.authorization === `Basic ${Buffer.from(`${s.accountSid}:${s.authToken}`).toString("base64")}`)).toBe(
      true,
    );
    expect(api.messages.has(sent)).toBe(false);
    expect(api.messages.has(inbound[0]!)).toBe(false);
    expect(api.messages.has(otherSid)).toBe(true);
    expect((await calls(s))[0]).toMatchObject({ operation: "erase", purpose: "sms.messaging", subjectIds: [], outcome: "OK" });
  });

  it("still reaches Twilio after the plugin was disabled: what Twilio kept is still there", async () => {
    const s = await smsTenant();
    const sid = newSid();
    api.hold(sid);
    await sms(s, "+33611223344", "Forget me later", sid);
    const [mine] = await tickets(s);
    const off = await app.gql(`mutation { disablePlugin(id: "twilio-sms") { enabled } }`, {}, s.t.ownerToken);
    expect(off.data.disablePlugin.enabled).toBe(false);

    const filed = await app.gql(
      `mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`,
      { i: { contactId: mine.requester.id, type: "ERASURE" } },
      s.t.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { receipt } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      s.t.ownerToken,
    );
    expect(done.errors).toBeUndefined();
    expect(done.data.completeDataSubjectRequest.receipt.plugins).toContainEqual({
      pluginId: "twilio-sms",
      ok: true,
      store: "Twilio (message logs)",
      deleted: 1,
    });
    expect(api.messages.has(sid)).toBe(false);
    // Only deleting passes a disabled plugin's gateway: a reply is still refused.
    expect((await calls(s)).map((c: any) => [c.operation, c.outcome])).toContainEqual(["erase", "OK"]);
  });
});
