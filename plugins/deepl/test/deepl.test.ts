import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAddressRefusal, OutboundGuard } from "../../../src/outbound/guard.js";
import { codes, startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { LANGUAGE_FIXTURES } from "../../../test/support/ai-people.js";
import { deepLClient, targetLanguage } from "../client.js";
import { startDeepLStandIn } from "./deepl-stand-in.js";

const AUTH_KEY = "00000000-0000-0000-0000-000000000000";
let app: TestApp;
let api: Awaited<ReturnType<typeof startDeepLStandIn>>;
let t: TestTenant;
const messages: { messageId: string; contactId: string }[] = [];

const TRANSLATE = `mutation($m: ID!, $to: String!) { translateMessage(messageId: $m, targetLocale: $to) { text provider model fellBackFrom suggestion { kind } } }`;

beforeAll(async () => {
  api = await startDeepLStandIn(AUTH_KEY);
  app = await startApp({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32" });
  t = await app.tenant();
  const settings = [
    { key: "authKey", value: AUTH_KEY },
    { key: "serverUrl", value: api.url },
  ];
  await app.gql(
    `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "deepl", settings: $s) { id } }`,
    { s: settings },
    t.ownerToken,
  );
  // DeepL processes in Germany: no transfer to accept.
  const enabled = await app.gql(`mutation { enablePlugin(id: "deepl") { enabled transfer trainsOnCustomerData } }`, {}, t.ownerToken);
  expect(enabled.data.enablePlugin).toEqual({ enabled: true, transfer: "NOT_NEEDED", trainsOnCustomerData: false });
  for (const f of LANGUAGE_FIXTURES) {
    const org = await app.gql(
      `mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }`,
      { i: { name: f.organization.name, domain: f.organization.domain } },
      t.ownerToken,
    );
    const created = await app.gql(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { requester { id } messages(first: 1) { edges { node { id } } } } }`,
      { i: { subject: f.subject, body: f.body, requester: { ...f.person, organizationId: org.data.createOrganization.id } } },
      t.ownerToken,
    );
    expect(created.errors, f.language).toBeUndefined();
    messages.push({ messageId: created.data.createTicket.messages.edges[0].node.id, contactId: created.data.createTicket.requester.id });
  }
});
afterAll(async () => {
  await app?.close();
  await api?.close();
});

describe("the DeepL plugin", () => {
  it("translates messages in five languages without any identifier reaching DeepL, and fills them in again", async () => {
    const before = api.received.length;
    for (const [i, f] of LANGUAGE_FIXTURES.entries()) {
      const r = await app.gql(TRANSLATE, { m: messages[i]!.messageId, to: f.language === "en" ? "de" : "en" }, t.ownerToken);
      expect(r.errors, f.language).toBeUndefined();
      expect(r.data.translateMessage).toMatchObject({
        provider: "deepl",
        model: "deepl",
        fellBackFrom: null,
        suggestion: { kind: "TRANSLATION" },
      });
      expect(r.data.translateMessage.text).toMatch(f.language === "en" ? /^\[de\] / : /^\[en-GB\] /);
      expect(r.data.translateMessage.text).toContain(f.person.email);
    }
    const sent = api.received.slice(before);
    expect(sent).toHaveLength(5);
    expect(sent.every((r) => r.authorization === `DeepL-Auth-Key ${AUTH_KEY}`)).toBe(true);
    const everything = sent
      .map((r) => r.raw)
      .join("\n")
      .toLowerCase();
    const decoded = sent
      .map((r) => r.form.text ?? "")
      .join("\n")
      .toLowerCase();
    const leaked = LANGUAGE_FIXTURES.flatMap((f) => [f.person.name, f.person.email, f.person.phone, ...f.secrets]).filter(
      (s) => everything.includes(s.toLowerCase()) || decoded.includes(s.toLowerCase()),
    );
    expect(leaked).toEqual([]);
    expect(decoded).toContain("[email_1]");
  });

  it("records each translation as a model call, and a failure as PROVIDER_UNAVAILABLE: the local provider cannot stand in", async () => {
    api.failNext(1);
    const r = await app.gql(TRANSLATE, { m: messages[1]!.messageId, to: "en" }, t.ownerToken);
    expect(codes(r)).toEqual(["PROVIDER_UNAVAILABLE"]);
    expect(r.errors![0]!.extensions).toMatchObject({ provider: "deepl", reason: "UNAVAILABLE" });
    const calls = await app.gql(
      `{ aiCalls(first: 20, filter: { provider: "deepl" }) { edges { node { operation outcome errorCode messageId } } } }`,
      {},
      t.ownerToken,
    );
    const outcomes = calls.data.aiCalls.edges.map((e: any) => e.node);
    expect(outcomes.filter((c: any) => c.outcome === "OK")).toHaveLength(5);
    expect(outcomes[0]).toMatchObject({ operation: "translate", outcome: "FAILED", errorCode: "PROVIDER_UNAVAILABLE" });
  });

  it("sends nothing about a customer who objected", async () => {
    const before = api.received.length;
    await app.gql(
      `mutation($c: ID!) { objectToProcessing(input: { contactId: $c, purpose: "ai.assistance" }) { id } }`,
      { c: messages[3]!.contactId },
      t.ownerToken,
    );
    expect(codes(await app.gql(TRANSLATE, { m: messages[3]!.messageId, to: "en" }, t.ownerToken))).toEqual(["CONSENT_REQUIRED"]);
    expect(api.received.length).toBe(before);
  });

  it("reaches its API only through the outbound guard, and names English and Portuguese variants as DeepL wants them", async () => {
    const before = api.received.length;
    // An address the operator did not allow: refused before connecting, by number or by name.
    for (const serverUrl of [api.url, api.url.replace("127.0.0.1", "localhost")]) {
      const translate = async () =>
        deepLClient({ authKey: AUTH_KEY, serverUrl }, new OutboundGuard(), 5000).translateText("hello", null, "de");
      expect(isAddressRefusal(await translate().catch((e: unknown) => e)), serverUrl).toBe(true);
    }
    expect(api.received.length).toBe(before);
    expect([targetLanguage("en"), targetLanguage("en-US"), targetLanguage("pt-BR"), targetLanguage("pt"), targetLanguage("fr")]).toEqual([
      "en-GB",
      "en-US",
      "pt-BR",
      "pt-PT",
      "fr",
    ]);
  });
});
