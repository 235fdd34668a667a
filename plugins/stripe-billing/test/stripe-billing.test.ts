import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReconcileCommand } from "../../../src/billing/cli.js";
import { loadConfig } from "../../../src/config.js";
import type { Environment } from "../../../src/plugin-host/options.js";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import { shippedPlugins } from "../../index.js";
import { codes, startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { cli } from "../../../test/support/cli.js";
import { startBillingApp, type BillingTestApp } from "./test-app.js";

const SECRET_KEY = `sk_test_${randomBytes(12).toString("hex")}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString("hex")}`;
const PLANS_FILE = path.resolve("config/plans.example.json");
/** The shipped plugins loaded as the server loads them, each parsing its options from the environment. */
const loaded = (environment: Environment) => new PluginRegistry(shippedPlugins, environment);
const RETURN_URL = "https://desk.example.test/settings/billing";

let billingApp: BillingTestApp;
let app: TestApp;
let api: BillingTestApp["api"];
let deliver: BillingTestApp["deliver"];

beforeAll(async () => {
  billingApp = await startBillingApp(
    { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET },
    { STRIPE_TAX: "true", BILLING_PLANS_FILE: PLANS_FILE, BILLING_GRACE_DAYS: "7", BILLING_RETURN_URL: RETURN_URL },
  );
  ({ app, api, deliver } = billingApp);
});
afterAll(async () => {
  await billingApp?.close();
});

const BILLING = `{ billing { enabled plan status seats seatsUsed currentPeriodEnd cancelAtPeriodEnd paymentFailedAt graceEndsAt readOnly } }`;
async function billing(t: TestTenant) {
  const r = await app.gql(BILLING, {}, t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.billing;
}

const DETAILS = {
  companyName: "Muster GmbH",
  address: { line1: "Hauptstr. 1", postalCode: "10115", city: "Berlin", country: "DE" },
  vatNumber: "DE 123 456 789",
};
const CHECKOUT = `mutation($plan: String!, $seats: Int!, $details: BillingDetailsInput) { startCheckout(plan: $plan, seats: $seats, details: $details) { id url } }`;

const lastOf = <T>(list: T[], test: (x: T) => boolean) => [...list].reverse().find(test);
const eventCount = () => app.database.prisma.billingEvent.count();

/** A tenant that went through Checkout for a plan and paid: what Stripe sends after a successful checkout. */
async function subscribed(plan = "TEAM", seats = 5) {
  const t = await app.tenant();
  const r = await app.gql(CHECKOUT, { plan, seats, details: DETAILS }, t.ownerToken);
  expect(r.errors).toBeUndefined();
  const { session, subscription } = api.completeCheckout(r.data.startCheckout.id);
  for (const e of [
    api.event("checkout.session.completed", session),
    api.event("customer.subscription.created", subscription),
    api.event("invoice.paid", api.addInvoice(session.customer, subscription.id)),
  ]) {
    expect((await deliver(e)).status).toBe(200);
  }
  return { t, subscription: api.subscriptions.get(subscription.id)!, customer: session.customer as string };
}

const invite = (t: TestTenant, email = `a-${randomBytes(3).toString("hex")}@x.test`) =>
  app.gql(`mutation($e: String!) { inviteAgent(input: { email: $e, name: "New" }) { agent { id } } }`, { e: email }, t.ownerToken);

describe("checkout", () => {
  it("goes from the free plan to an active subscription through Stripe Checkout, with idempotency keys on every write", async () => {
    const t = await app.tenant();
    expect(await billing(t)).toMatchObject({ enabled: true, plan: "FREE", status: "NONE", seats: 3, seatsUsed: 1, readOnly: false });

    const before = api.received.length;
    const r = await app.gql(CHECKOUT, { plan: "TEAM", seats: 5, details: DETAILS }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.startCheckout.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const writes = api.received.slice(before);
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual(["POST /v1/customers", "POST /v1/checkout/sessions"]);
    for (const w of writes) expect(w.idempotencyKey).toMatch(new RegExp(`^deskgraph:${t.id}:`));
    expect(writes[0]!.form).toMatchObject({
      name: "Muster GmbH",
      address: { line1: "Hauptstr. 1", postal_code: "10115", city: "Berlin", country: "DE" },
      metadata: { tenantId: t.id },
      tax_id_data: [{ type: "eu_vat", value: "DE123456789" }],
    });
    expect(writes[1]!.form).toMatchObject({
      mode: "subscription",
      client_reference_id: t.id,
      line_items: [{ price: "price_team_monthly", quantity: "5" }],
      automatic_tax: { enabled: "true" },
      success_url: `${RETURN_URL}?checkout=success`,
    });

    // The same request again (a double click, a retried mutation): the same session, nothing new at Stripe.
    const sessions = api.sessions.size;
    const again = await app.gql(CHECKOUT, { plan: "TEAM", seats: 5, details: DETAILS }, t.ownerToken);
    expect(again.data.startCheckout).toEqual(r.data.startCheckout);
    expect(api.sessions.size).toBe(sessions);
    expect(api.received.slice(-1)[0]!.idempotencyKey).toBe(writes[1]!.idempotencyKey);

    const { session, subscription } = api.completeCheckout(r.data.startCheckout.id);
    expect((await deliver(api.event("checkout.session.completed", session))).body.outcome).toBe("APPLIED");
    expect((await deliver(api.event("customer.subscription.created", subscription))).status).toBe(200);
    const state = await billing(t);
    expect(state).toMatchObject({ plan: "TEAM", status: "ACTIVE", seats: 5, seatsUsed: 1, cancelAtPeriodEnd: false, readOnly: false });
    expect(new Date(state.currentPeriodEnd).getTime()).toBe(subscription.items.data[0].current_period_end * 1000);

    // A second checkout would mean a second subscription: refused.
    expect(codes(await app.gql(CHECKOUT, { plan: "BUSINESS", seats: 5 }, t.ownerToken))).toEqual(["CONFLICT"]);

    // Every call is in the plugin call log, with purpose billing and no contact.
    const calls = await app.gql(
      `{ pluginCalls(pluginId: "stripe-billing", first: 20) { edges { node { operation purpose outcome subjectIds } } } }`,
      {},
      t.ownerToken,
    );
    const ops = calls.data.pluginCalls.edges.map((e: any) => e.node);
    expect(ops.map((c: any) => c.operation)).toEqual(
      expect.arrayContaining(["customers.create", "checkout.sessions.create", "subscriptions.retrieve"]),
    );
    expect(ops.every((c: any) => c.purpose === "billing" && c.subjectIds.length === 0)).toBe(true);
    // And Stripe is in the tenant's record of processing from now on.
    const ropa = await app.gql(`{ recordOfProcessing { markdown } }`, {}, t.ownerToken);
    expect(ropa.data.recordOfProcessing.markdown).toContain("Stripe, Inc.");
  });

  it("checks the EU VAT number's format for its country, and stores nothing when it is wrong", async () => {
    const t = await app.tenant();
    const before = api.received.length;
    const bad = await app.gql(CHECKOUT, { plan: "TEAM", seats: 2, details: { ...DETAILS, vatNumber: "DE12345" } }, t.ownerToken);
    expect(codes(bad)).toEqual(["VALIDATION"]);
    expect(bad.errors![0]!.extensions!.fields).toEqual([
      { path: ["details", "vatNumber"], message: expect.stringMatching(/DE VAT number/) },
    ]);
    const foreign = await app.gql(CHECKOUT, { plan: "TEAM", seats: 2, details: { ...DETAILS, vatNumber: "FR12345678901" } }, t.ownerToken);
    expect(foreign.errors![0]!.extensions!.fields[0].path).toEqual(["details", "vatNumber"]);
    expect(api.received.length).toBe(before);
    expect(await app.database.prisma.billingAccount.count({ where: { tenantId: t.id } })).toBe(0);
    // Greek numbers use EL; French ones may carry letters.
    const greek = await app.gql(
      CHECKOUT,
      { plan: "TEAM", seats: 2, details: { ...DETAILS, address: { ...DETAILS.address, country: "GR" }, vatNumber: "123456789" } },
      t.ownerToken,
    );
    expect(greek.errors).toBeUndefined();
    expect(
      api.customers.get((await app.database.prisma.billingAccount.findUniqueOrThrow({ where: { tenantId: t.id } })).customerId!)!.tax_ids[0]
        .value,
    ).toBe("EL123456789");
  });

  it("passes changed billing details to the Stripe customer, and only changed ones", async () => {
    const t = await app.tenant();
    await app.gql(CHECKOUT, { plan: "TEAM", seats: 2, details: DETAILS }, t.ownerToken);
    const updates = () => api.received.filter((r) => r.method === "POST" && /^\/v1\/customers\/cus_\w+$/.test(r.path));
    const before = updates().length;
    await app.gql(CHECKOUT, { plan: "TEAM", seats: 2, details: DETAILS }, t.ownerToken);
    expect(updates().length).toBe(before);
    const moved = { ...DETAILS, address: { ...DETAILS.address, line1: "Neue Str. 2" }, vatNumber: "DE987654321" };
    expect((await app.gql(CHECKOUT, { plan: "TEAM", seats: 2, details: moved }, t.ownerToken)).errors).toBeUndefined();
    expect(updates().length).toBe(before + 1);
    expect(updates().at(-1)!.form.address.line1).toBe("Neue Str. 2");
    const customer = api.customers.get(
      (await app.database.prisma.billingAccount.findUniqueOrThrow({ where: { tenantId: t.id } })).customerId!,
    )!;
    expect(customer.tax_ids.map((x: any) => x.value)).toEqual(["DE123456789", "DE987654321"]);
    const shown = await app.gql(`{ billing { details { companyName vatNumber address { line1 country } } } }`, {}, t.ownerToken);
    expect(shown.data.billing.details).toEqual({
      companyName: "Muster GmbH",
      vatNumber: "DE987654321",
      address: { line1: "Neue Str. 2", country: "DE" },
    });
  });

  it("opens the billing portal and lists invoices from Stripe, page by page", async () => {
    const { t, customer, subscription } = await subscribed();
    api.addInvoice(customer, subscription.id, { total: 9000 });
    const portal = await app.gql(`mutation { openBillingPortal { url } }`, {}, t.ownerToken);
    expect(portal.data.openBillingPortal.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    const write = lastOf(api.received, (r) => r.path === "/v1/billing_portal/sessions")!;
    expect(write.form).toEqual({ customer, return_url: RETURN_URL });
    expect(write.idempotencyKey).toMatch(new RegExp(`^deskgraph:${t.id}:billingPortal`));

    const page = async (after: string | null) =>
      (
        await app.gql(
          `query($a: String) { billing { invoices(first: 1, after: $a) { pageInfo { hasNextPage endCursor } edges { node { number total currency status pdfUrl } } } } }`,
          { a: after },
          t.ownerToken,
        )
      ).data.billing.invoices;
    const first = await page(null);
    expect(first.edges[0].node).toMatchObject({
      total: 9000,
      currency: "eur",
      status: "paid",
      pdfUrl: expect.stringMatching(/^https:\/\/pay\.stripe\.com/),
    });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.edges[0].node.total).toBe(4500);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });
});

describe("seats", () => {
  it("SEAT_LIMIT when inviting or enabling an agent beyond the seats, with nothing written", async () => {
    const t = await app.tenant(); // FREE: 3 seats, the owner holds one
    expect(codes(await invite(t))).toEqual([]);
    const second = await invite(t);
    expect(codes(second)).toEqual([]);
    const agents = () => app.database.prisma.agent.count({ where: { tenantId: t.id } });
    const refused = await invite(t, "fourth@x.test");
    expect(codes(refused)).toEqual(["SEAT_LIMIT"]);
    expect(refused.errors![0]!.extensions).toMatchObject({ seats: 3, seatsUsed: 3, plan: "FREE" });
    expect(await agents()).toBe(3);

    // A disabled agent frees a seat; enabling them again needs one.
    const id = second.data.inviteAgent.agent.id;
    await app.gql(`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id }, t.ownerToken);
    expect(codes(await invite(t, "fourth@x.test"))).toEqual([]);
    expect(codes(await app.gql(`mutation($id: ID!) { enableAgent(id: $id) { id } }`, { id }, t.ownerToken))).toEqual(["SEAT_LIMIT"]);
  });

  it("lets only one of several simultaneous invitations take the last seats", async () => {
    const t = await app.tenant(); // 3 seats, 1 used
    const results = await Promise.all([1, 2, 3, 4].map((i) => invite(t, `race${i}@x.test`)));
    expect(results.map((r) => codes(r)[0] ?? "OK").sort()).toEqual(["OK", "OK", "SEAT_LIMIT", "SEAT_LIMIT"]);
    expect(await app.database.prisma.agent.count({ where: { tenantId: t.id, disabled: false } })).toBe(3);
  });

  it("changes seats at Stripe with an idempotency key the SDK's retry reuses, and refuses fewer seats than in use", async () => {
    const { t, subscription } = await subscribed("TEAM", 2);
    await invite(t);
    expect(codes(await invite(t))).toEqual(["SEAT_LIMIT"]);

    // Stripe fails once with a 500: the SDK retries, with the same key, and the change happens once.
    api.failNext(/^POST \/v1\/subscriptions\/sub_/, 500, { type: "api_error", message: "Something went wrong" });
    const before = api.received.length;
    const r = await app.gql(`mutation { changeSeats(seats: 4) { seats seatsUsed plan status } }`, {}, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.changeSeats).toEqual({ seats: 4, seatsUsed: 2, plan: "TEAM", status: "ACTIVE" });
    const updates = api.received.slice(before).filter((x) => x.method === "POST");
    expect(updates).toHaveLength(2);
    expect(updates[0]!.idempotencyKey).toMatch(new RegExp(`^deskgraph:${t.id}:subscriptions.update.seats:`));
    expect(updates[1]!.idempotencyKey).toBe(updates[0]!.idempotencyKey);
    expect(updates[1]!.form.items).toEqual([{ id: subscription.items.data[0].id, quantity: "4" }]);
    expect(api.subscriptions.get(subscription.id)!.items.data[0].quantity).toBe(4);
    expect(codes(await invite(t))).toEqual([]);

    const down = await app.gql(`mutation { changeSeats(seats: 2) { seats } }`, {}, t.ownerToken);
    expect(codes(down)).toEqual(["SEAT_LIMIT"]);
    expect(codes(await app.gql(`mutation { changeSeats(seats: 51) { seats } }`, {}, t.ownerToken))).toEqual(["VALIDATION"]);
    // Stripe refuses: nothing changes here either.
    api.failNext(/^POST \/v1\/subscriptions\/sub_/, 402, { type: "card_error", code: "card_declined", message: "Your card was declined." });
    const declined = await app.gql(`mutation { changeSeats(seats: 6) { seats } }`, {}, t.ownerToken);
    expect(codes(declined)).toEqual(["BILLING_PROVIDER_ERROR"]);
    expect(declined.errors![0]!.extensions!.providerCode).toBe("card_declined");
    expect((await billing(t)).seats).toBe(4);
  });

  it("cancels at the end of the period and keeps the plan until Stripe deletes the subscription", async () => {
    const { t, subscription } = await subscribed("TEAM", 3);
    const r = await app.gql(`mutation { cancelSubscription { cancelAtPeriodEnd status plan } }`, {}, t.ownerToken);
    expect(r.data.cancelSubscription).toEqual({ cancelAtPeriodEnd: true, status: "ACTIVE", plan: "TEAM" });
    expect(lastOf(api.received, (x) => x.method === "POST")!.form).toEqual({ cancel_at_period_end: "true" });
    const ended = { ...api.subscriptions.get(subscription.id)!, status: "canceled" };
    await deliver(api.event("customer.subscription.deleted", ended));
    expect(await billing(t)).toMatchObject({ plan: "FREE", status: "CANCELED", seats: 3, cancelAtPeriodEnd: false });
  });
});

describe("plans", () => {
  it("PLAN_LIMIT when enabling a plugin the plan does not include; the plan that includes it allows it", async () => {
    const enable = (t: TestTenant) =>
      app.gql(`mutation { enablePlugin(id: "twilio-sms", acceptTransfer: true) { enabled } }`, {}, t.ownerToken);
    const free = await app.tenant();
    const refused = await enable(free);
    expect(codes(refused)).toEqual(["PLAN_LIMIT"]);
    expect(refused.errors![0]!.extensions).toMatchObject({ plan: "FREE", pluginId: "twilio-sms" });
    expect(await app.database.prisma.pluginInstall.count({ where: { tenantId: free.id, enabled: true } })).toBe(0);

    const { t } = await subscribed("TEAM", 2);
    // Past the plan check, the plugin's own rules apply: it is not configured yet.
    expect(codes(await enable(t))).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { enabled } }`, {}, t.ownerToken))).toEqual([
      "PLAN_LIMIT",
    ]);
  });

  it("is not a plugin tenants install", async () => {
    const t = await app.tenant();
    const list = await app.gql(`{ plugins { id } }`, {}, t.ownerToken);
    expect(list.data.plugins.map((p: any) => p.id)).not.toContain("stripe-billing");
    expect(codes(await app.gql(`mutation { enablePlugin(id: "stripe-billing") { id } }`, {}, t.ownerToken))).toEqual(["NOT_FOUND"]);
  });
});

describe("payment failure", () => {
  it("gives a grace period, then makes the tenant read-only, and payment restores full use at once", async () => {
    const { t, subscription, customer } = await subscribed("TEAM", 3);
    const failed = api.addInvoice(customer, subscription.id, { status: "open" });
    expect((await deliver(api.event("invoice.payment_failed", failed))).body.outcome).toBe("APPLIED");
    api.subscriptions.get(subscription.id)!.status = "past_due";
    await deliver(api.event("customer.subscription.updated", { ...subscription, status: "past_due" }));
    const grace = await billing(t);
    expect(grace).toMatchObject({ status: "PAST_DUE", plan: "TEAM", readOnly: false });
    expect(new Date(grace.graceEndsAt).getTime() - new Date(grace.paymentFailedAt).getTime()).toBe(7 * 86_400_000);
    const ticket = `mutation { createTicket(input: { subject: "s", body: "b", requester: { name: "R" } }) { id } }`;
    expect(codes(await app.gql(ticket, {}, t.ownerToken))).toEqual([]);

    // Eight days later (the stored date moves back; nothing sleeps).
    await app.database.prisma.billingAccount.update({
      where: { tenantId: t.id },
      data: { paymentFailedAt: new Date(Date.now() - 8 * 86_400_000) },
    });
    expect((await billing(t)).readOnly).toBe(true);
    const tickets = async () => (await app.gql(`{ tickets { totalCount } }`, {}, t.ownerToken)).data.tickets.totalCount;
    const count = await tickets();
    const refused = await app.gql(ticket, {}, t.ownerToken);
    expect(codes(refused)).toEqual(["TENANT_READ_ONLY"]);
    expect(await tickets()).toBe(count);
    expect(codes(await invite(t))).toEqual(["TENANT_READ_ONLY"]);
    // Reads, billing, sign-in and privacy duties still work.
    expect((await app.gql(`mutation { openBillingPortal { url } }`, {}, t.ownerToken)).errors).toBeUndefined();
    const token = await app.signIn(t.slug, t.ownerEmail, t.password);
    const contact = (await app.gql(`{ contacts(first: 1) { edges { node { id } } } }`, {}, token)).data.contacts.edges[0].node.id;
    expect(
      codes(
        await app.gql(`mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ACCESS }) { id } }`, { c: contact }, token),
      ),
    ).toEqual([]);
    expect((await app.gql(`mutation { signOut }`, {}, token)).data.signOut).toBe(true);
    // The refusal is in the audit log.
    const audit = await app.gql(
      `{ auditLog(first: 50, filter: { action: "mutation.createTicket" }) { edges { node { details } } } }`,
      {},
      t.ownerToken,
    );
    expect(audit.data.auditLog.edges.map((e: any) => e.node.details.errorCode)).toContain("TENANT_READ_ONLY");

    // The customer pays: full use again, nothing lost.
    api.subscriptions.get(subscription.id)!.status = "active";
    await deliver(api.event("invoice.paid", { ...failed, status: "paid" }));
    expect(await billing(t)).toMatchObject({ readOnly: false, paymentFailedAt: null, status: "ACTIVE" });
    expect(codes(await app.gql(ticket, {}, t.ownerToken))).toEqual([]);
    expect(await tickets()).toBe(count + 1);
  });
});

describe("a first payment that fails", () => {
  it("leaves the tenant on the free plan, never read-only", async () => {
    const t = await app.tenant();
    const r = await app.gql(CHECKOUT, { plan: "TEAM", seats: 2, details: DETAILS }, t.ownerToken);
    const { session, subscription } = api.completeCheckout(r.data.startCheckout.id, "incomplete");
    await deliver(api.event("customer.subscription.created", subscription));
    await deliver(api.event("invoice.payment_failed", api.addInvoice(session.customer, subscription.id, { status: "open" })));
    expect(await billing(t)).toMatchObject({ plan: "FREE", status: "INCOMPLETE", seats: 3, paymentFailedAt: null, readOnly: false });
  });
});

describe("webhook", () => {
  it("refuses a missing, wrong or too old signature with 400 and stores nothing", async () => {
    const { t, subscription } = await subscribed("TEAM", 2);
    const before = await billing(t);
    const count = await eventCount();
    const event = api.event("customer.subscription.updated", { ...subscription, status: "canceled" });
    expect((await deliver(event, { signature: null })).status).toBe(400);
    expect((await deliver(event, { secret: `whsec_${randomBytes(16).toString("hex")}` })).status).toBe(400);
    expect((await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(400);
    expect((await deliver(event, { signature: "t=1,v1=deadbeef" })).status).toBe(400);
    expect(await eventCount()).toBe(count);
    expect(await billing(t)).toEqual(before);
    // The same event, signed properly, is taken.
    expect((await deliver(event)).status).toBe(200);
    expect(await eventCount()).toBe(count + 1);
  });

  it("stores each event by id: a redelivery changes nothing, even when it arrives twice at once", async () => {
    const { t, subscription } = await subscribed("TEAM", 2);
    const event = api.event(
      "customer.subscription.updated",
      { ...subscription, items: { ...subscription.items, data: [{ ...subscription.items.data[0], quantity: 7 }] } },
      Math.floor(Date.now() / 1000) + 5,
    );
    const count = await eventCount();
    const [a, b] = await Promise.all([deliver(event), deliver(event)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.outcome, b.body.outcome].sort()).toEqual(["APPLIED", "DUPLICATE"]);
    expect((await deliver(event)).body.outcome).toBe("DUPLICATE");
    expect(await eventCount()).toBe(count + 1);
    expect((await billing(t)).seats).toBe(7);
    const audits = await app.database.prisma.auditEntry.count({
      where: { tenantId: t.id, action: "billing.updated", details: { path: ["eventId"], equals: event.id } },
    });
    expect(audits).toBe(1);
  });

  it("never moves a subscription back to an older state, and a deleted subscription stays deleted", async () => {
    const { t, subscription } = await subscribed("TEAM", 2);
    const at = Math.floor(Date.now() / 1000);
    const withSeats = (n: number, extra: object = {}) => ({
      ...subscription,
      ...extra,
      items: { ...subscription.items, data: [{ ...subscription.items.data[0], quantity: n }] },
    });
    const newer = api.event("customer.subscription.updated", withSeats(9), at + 20);
    const older = api.event("customer.subscription.updated", withSeats(3, { status: "past_due" }), at + 10);
    expect((await deliver(newer)).body.outcome).toBe("APPLIED");
    expect((await deliver(older)).body.outcome).toBe("STALE");
    expect(await billing(t)).toMatchObject({ seats: 9, status: "ACTIVE", paymentFailedAt: null });

    // An older payment failure after a newer success: ignored.
    const inv = api.addInvoice(subscription.customer, subscription.id);
    await deliver(api.event("invoice.paid", inv, at + 30));
    expect((await deliver(api.event("invoice.payment_failed", { ...inv, status: "open" }, at + 25))).body.outcome).toBe("STALE");
    expect((await billing(t)).paymentFailedAt).toBeNull();

    // Deleted is terminal for that subscription, whatever comes after.
    expect((await deliver(api.event("customer.subscription.deleted", withSeats(9, { status: "canceled" }), at + 40))).body.outcome).toBe(
      "APPLIED",
    );
    expect((await deliver(api.event("customer.subscription.updated", withSeats(9, { status: "active" }), at + 50))).body.outcome).toBe(
      "ENDED",
    );
    expect(await billing(t)).toMatchObject({ plan: "FREE", status: "CANCELED", seats: 3 });
  });

  it("settles two states of the same second by asking Stripe", async () => {
    const { t, subscription } = await subscribed("TEAM", 2);
    const at = Math.floor(Date.now() / 1000) + 60;
    await deliver(api.event("customer.subscription.updated", { ...subscription, status: "active" }, at));
    // Stripe's current state: 6 seats. An event of the same second claims past_due with 2.
    api.subscriptions.get(subscription.id)!.items.data[0].quantity = 6;
    const tie = await deliver(api.event("customer.subscription.updated", { ...subscription, status: "past_due" }, at));
    expect(tie.body.outcome).toBe("APPLIED");
    expect(await billing(t)).toMatchObject({ status: "ACTIVE", seats: 6 });
  });

  it("answers 200 to events it does not act on and to unknown customers, so Stripe stops resending", async () => {
    const r = await deliver(api.event("customer.created", { id: "cus_unknown", object: "customer" }));
    expect(r).toEqual({ status: 200, body: { received: true, outcome: "IGNORED" } });
    const orphan = await deliver(
      api.event("invoice.paid", { id: "in_x", object: "invoice", customer: "cus_nobody", parent: null, created: 1 }),
    );
    expect(orphan.body.outcome).toBe("UNKNOWN_TENANT");
  });
});

describe("reconciliation", () => {
  it("re-reads subscriptions from Stripe and repairs what missed webhooks left behind", async () => {
    const { t, subscription } = await subscribed("TEAM", 2);
    // Stripe changed while our webhooks were down: 8 seats, then a failed payment.
    const sub = api.subscriptions.get(subscription.id)!;
    sub.items.data[0].quantity = 8;
    sub.status = "past_due";
    const lines: string[] = [];
    const { createBillingHost } = await import("../../../src/billing/setup.js");
    const { operatorCapability } = await import("../../../src/plugin-host/capabilities.js");
    const config = loadConfig({
      DATA_DIR: "memory://",
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_URL: api.url,
      BILLING_PLANS_FILE: PLANS_FILE,
    });
    const billingHost = createBillingHost(config, await operatorCapability(loaded(config.environment), "billingProvider"))!;
    expect(await runReconcileCommand(billingHost, app.database, t.slug, (l) => lines.push(l))).toBe(0);
    expect(lines.join("\n")).toMatch(new RegExp(`${t.slug}\\s+TEAM ACTIVE seats=2\\s+TEAM PAST_DUE seats=8 payment-failed\\s+REPAIRED`));
    expect(await billing(t)).toMatchObject({ seats: 8, status: "PAST_DUE", readOnly: false });
    // Running again changes nothing.
    lines.length = 0;
    await runReconcileCommand(billingHost, app.database, t.slug, (l) => lines.push(l));
    expect(lines.join("\n")).toMatch(/UNCHANGED/);
    // The deletion it missed, too.
    sub.status = "canceled";
    await runReconcileCommand(billingHost, app.database, undefined, (l) => lines.push(l));
    expect(await billing(t)).toMatchObject({ plan: "FREE", status: "CANCELED" });
    expect(await runReconcileCommand(billingHost, app.database, "no-such-tenant", () => {})).toBe(2);
  });

  it("runs as deskgraph billing:reconcile (npm run billing:reconcile), from the environment", async () => {
    const env = {
      ...process.env,
      DATA_DIR: "memory://",
      DATABASE_URL: "",
      LOG_LEVEL: "silent",
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_URL: api.url,
      BILLING_PLANS_FILE: PLANS_FILE,
    };
    // As `deskgraph billing:reconcile` runs it, in this process.
    const run = async (args: string[]) => {
      const r = await cli(["billing:reconcile", ...args], env);
      return { code: r.code, out: [r.out, r.err].filter(Boolean).join("\n") };
    };
    expect(await run([])).toEqual({ code: 0, out: "No tenant has a Stripe customer yet." });
    expect(await run(["--tenant", "nobody"])).toEqual({ code: 2, out: 'No tenant "nobody".' });
  }, 60_000);
});

describe("who may see and change billing", () => {
  it("is OWNER and ADMIN only: agents, viewers and API keys get FORBIDDEN", async () => {
    const t = await app.tenant();
    const admin = await app.agent(t, "ADMIN");
    expect((await app.gql(`{ billing { plan } }`, {}, admin.token)).data.billing.plan).toBe("FREE");
    const agent = await app.agent(t, "AGENT");
    const key = await app.apiKey(t, ["TICKETS_READ", "AGENTS_READ"]);
    for (const token of [agent.token, key]) {
      expect(codes(await app.gql(`{ billing { plan } }`, {}, token))).toEqual(["FORBIDDEN"]);
      expect(codes(await app.gql(CHECKOUT, { plan: "TEAM", seats: 3, details: DETAILS }, token))).toEqual(["FORBIDDEN"]);
      expect(codes(await app.gql(`mutation { changeSeats(seats: 4) { seats } }`, {}, token))).toEqual(["FORBIDDEN"]);
    }
  });
});

describe("tenants", () => {
  it("keep their billing to themselves", async () => {
    const a = await subscribed("TEAM", 4);
    const b = await app.tenant();
    const seen = await app.gql(
      `{ billing { plan seats details { companyName } invoices(first: 5) { edges { node { id } } } } }`,
      {},
      b.ownerToken,
    );
    expect(seen.data.billing).toEqual({ plan: "FREE", seats: 3, details: null, invoices: { edges: [] } });
    for (const m of [
      `mutation { changeSeats(seats: 9) { seats } }`,
      `mutation { cancelSubscription { status } }`,
      `mutation { openBillingPortal { url } }`,
    ]) {
      expect(codes(await app.gql(m, {}, b.ownerToken))).toEqual(["CONFLICT"]);
    }
    expect(await billing(a.t)).toMatchObject({ plan: "TEAM", seats: 4, cancelAtPeriodEnd: false });
    // An event naming B in its metadata but about A's customer lands on A: the customer decides.
    const spoof = {
      ...a.subscription,
      metadata: { tenantId: b.id },
      items: { ...a.subscription.items, data: [{ ...a.subscription.items.data[0], quantity: 6 }] },
    };
    await deliver(api.event("customer.subscription.updated", spoof, Math.floor(Date.now() / 1000) + 5));
    expect((await billing(a.t)).seats).toBe(6);
    expect(await billing(b)).toMatchObject({ plan: "FREE", status: "NONE", seats: 3 });
  });
});

describe("without Stripe configured", () => {
  it("says billing is off and limits nothing", async () => {
    const plain = await startApp();
    try {
      const t = await plain.tenant();
      const r = await plain.gql(`{ billing { enabled plan status seats readOnly plans { id } } }`, {}, t.ownerToken);
      expect(r.data.billing).toEqual({ enabled: false, plan: null, status: "DISABLED", seats: null, readOnly: false, plans: [] });
      for (let i = 0; i < 4; i++)
        expect(
          codes(
            await plain.gql(
              `mutation($e: String!) { inviteAgent(input: { email: $e, name: "N" }) { invitationToken } }`,
              { e: `n${i}@x.test` },
              t.ownerToken,
            ),
          ),
        ).toEqual([]);
      expect(codes(await plain.gql(CHECKOUT, { plan: "TEAM", seats: 3, details: DETAILS }, t.ownerToken))).toEqual(["BILLING_DISABLED"]);
      const hook = await fetch(`${plain.url.replace(/\/graphql$/, "")}/billing/stripe/webhook`, { method: "POST", body: "{}" });
      expect(hook.status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it("refuses half a Stripe configuration at start", async () => {
    // What the server does first: the core's settings, then each plugin's options.
    const start = (env: Record<string, string>) => () => loaded(loadConfig({ DATA_DIR: "memory://", ...env }).environment);
    expect(start({ STRIPE_SECRET_KEY: SECRET_KEY })).toThrow(/STRIPE_WEBHOOK_SECRET: required[\s\S]*BILLING_PLANS_FILE: required/);
    expect(start({ STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET })).toThrow(/set STRIPE_SECRET_KEY too/);
    expect(start({ BILLING_PLANS_FILE: PLANS_FILE })).toThrow(/BILLING_PLANS_FILE: set STRIPE_SECRET_KEY too/);
    expect(start({ STRIPE_SECRET_KEY: "pk_test_abc", STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, BILLING_PLANS_FILE: PLANS_FILE })).toThrow(
      /STRIPE_SECRET_KEY: must be a Stripe secret/,
    );
    expect(start({ STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, BILLING_PLANS_FILE: "package.json" })).toThrow(
      /BILLING_PLANS_FILE: .*defaultPlan/,
    );
    expect(
      start({
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        BILLING_PLANS_FILE: PLANS_FILE,
        API_RATE_LIMIT_PER_MINUTE: "60",
      }),
    ).toThrow(/API_RATE_LIMIT_PER_MINUTE: with billing on/);
    // The server itself stops with the same error, before it opens a database.
    const { createServer } = await import("../../../src/server.js");
    await expect(createServer(loadConfig({ DATA_DIR: "memory://", LOG_LEVEL: "silent", STRIPE_SECRET_KEY: SECRET_KEY }))).rejects.toThrow(
      /STRIPE_WEBHOOK_SECRET: required/,
    );
  });
});
