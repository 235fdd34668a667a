import { randomBytes } from "node:crypto";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "../../../test/support/app.js";
import { until } from "../../../test/support/webhooks.js";
import { startTwilioApi } from "./twilio-api-stand-in.js";

/**
 * The satisfaction request of an SMS ticket goes out as a text through the
 * Twilio SDK (pointed at the stand-in), once per solve, with the rating link.
 */
const PUBLIC_URL = "https://desk.example.test";
const FROM = "+14155550100";

let app: TestApp;
let api: Awaited<ReturnType<typeof startTwilioApi>>;
let origin: string;

beforeAll(async () => {
  api = await startTwilioApi();
  app = await startApp({ PUBLIC_URL, ENCRYPTION_KEY: randomBytes(32).toString("base64"), OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32" });
  origin = app.url.replace(/\/graphql$/, "");
});
afterAll(async () => {
  await app?.close();
  await api?.close();
});

async function ok(token: string, query: string, variables: Record<string, unknown> = {}) {
  const r = await app.gql(query, variables, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

describe("satisfaction request by SMS", () => {
  it("texts the rating link to the requester of a solved SMS ticket, once per solve", async () => {
    const t = await app.tenant();
    const accountSid = `AC${randomBytes(16).toString("hex")}`;
    const authToken = randomBytes(16).toString("hex");
    api.account(accountSid, authToken);
    const settings = [
      { key: "accountSid", value: accountSid },
      { key: "authToken", value: authToken },
      { key: "fromNumber", value: FROM },
      { key: "apiBaseUrl", value: api.url },
    ];
    await ok(t.ownerToken, `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "twilio-sms", settings: $s) { id } }`, {
      s: settings,
    });
    await ok(t.ownerToken, `mutation { enablePlugin(id: "twilio-sms", acceptTransfer: true) { enabled } }`);
    await ok(t.ownerToken, `mutation { setNotificationEnabled(kind: SATISFACTION_REQUEST, enabled: true) { enabled } }`);

    // A person texts in: an SMS ticket (texting first is consent to be answered by SMS).
    const path = `/plugins/twilio-sms/${t.slug}/sms`;
    const sid = `SM${randomBytes(16).toString("hex")}`;
    const params = {
      MessageSid: sid,
      SmsSid: sid,
      AccountSid: accountSid,
      From: "+33612345678",
      To: FROM,
      Body: "My order is late",
      NumMedia: "0",
    };
    const signature = twilio.getExpectedTwilioSignature(authToken, PUBLIC_URL + path, params);
    const posted = await fetch(origin + path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
      body: new URLSearchParams(params).toString(),
    });
    expect(posted.status).toBe(200);
    const ticket = (await ok(t.ownerToken, `{ tickets(first: 1) { edges { node { id channel } } } }`)).tickets.edges[0].node;
    expect(ticket.channel).toBe("SMS");

    const texts = () =>
      [...api.messages.values()].filter((m) => m.to === "+33612345678" && String(m.body).includes("/links/satisfaction/"));
    await ok(t.ownerToken, `mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { status } }`, { id: ticket.id });
    await until(async () => texts().length === 1, 30_000, "the SMS");
    expect(String(texts()[0]!.body)).toContain(`${PUBLIC_URL}/links/satisfaction/`);
    const NOTIFICATIONS = `{ notifications { kind channel status externalId } }`;
    await until(async () => (await ok(t.ownerToken, NOTIFICATIONS)).notifications[0]?.status === "SENT", 30_000, "SENT");
    const [n] = (await ok(t.ownerToken, NOTIFICATIONS)).notifications;
    expect(n).toMatchObject({ kind: "SATISFACTION_REQUEST", channel: "SMS", externalId: texts()[0]!.sid });

    await app.consumed(t);
    expect(texts()).toHaveLength(1);
  });
});
