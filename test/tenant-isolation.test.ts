import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../src/graphql/schema.js";
import { sweep } from "../src/retention/sweep.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

/**
 * Tenant B tries every root query and mutation against tenant A's data. The
 * last test fails when a root field is added without a case here.
 */
let app: TestApp;
let A: TestTenant;
let B: TestTenant;
let a: Record<string, string>; // A's object IDs
let b: Record<string, string>; // B's object IDs
let aKey: string;

const json = (v: unknown) => JSON.stringify(v);

async function seed(t: TestTenant, label: string) {
  const org = await app.gql(
    `mutation($n: String!) { createOrganization(input: { name: $n }) { id } }`,
    { n: "Shared Name Inc" },
    t.ownerToken,
  );
  const ticket = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    {
      i: {
        subject: `${label} secret subject`,
        body: `${label} secret body`,
        requester: { name: `${label} Person`, email: `person@${label}.example`, organizationId: org.data.createOrganization.id },
        tags: [`${label}-tag`],
      },
    },
    t.ownerToken,
  );
  const note = await app.gql(
    `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
    { i: { ticketId: ticket.data.createTicket.id, body: `${label} internal`, internal: true } },
    t.ownerToken,
  );
  const second = await app.gql(
    `mutation($i: ContactInput!) { createContact(input: $i) { id } }`,
    { i: { name: `${label} Other`, email: `other@${label}.example` } },
    t.ownerToken,
  );
  const agent = await app.agent(t, "AGENT");
  const key = await app.gql(
    `mutation { createApiKey(input: { name: "k", scopes: [TICKETS_READ] }) { apiKey { id } secret } }`,
    {},
    t.ownerToken,
  );
  const tag = await app.gql(`{ tags { id } }`, {}, t.ownerToken);
  return {
    ids: {
      org: org.data.createOrganization.id,
      ticket: ticket.data.createTicket.id,
      contact: ticket.data.createTicket.requester.id,
      contact2: second.data.createContact.id,
      message: note.data.addMessage.id,
      agent: agent.id,
      apiKey: key.data.createApiKey.apiKey.id,
      tag: tag.data.tags[0].id,
    },
    key: key.data.createApiKey.secret as string,
  };
}

/** A's ticket, seen by A, to prove nothing changed. */
const aTicket = async () =>
  (
    await app.gql(
      `query($id: ID!) { ticket(id: $id) { subject status priority assignee { id } messages { totalCount } tags { name } } }`,
      { id: a.ticket },
      A.ownerToken,
    )
  ).data.ticket;
const aContact = async (id = a.contact) =>
  (await app.gql(`query($id: ID!) { contact(id: $id) { name email tickets { totalCount } } }`, { id }, A.ownerToken)).data.contact;
const aAgent = async () =>
  (await app.gql(`query($id: ID!) { node(id: $id) { ... on Agent { role disabled } } }`, { id: a.agent }, A.ownerToken)).data.node;

/** A's echo plugin, configured with a secret and enabled with the transfer accepted. */
const aPlugin = async () =>
  (
    await app.gql(
      `{ plugin(id: "test-echo") { enabled transfer settings { key value isSet } acceptance { manifestVersion } } }`,
      {},
      A.ownerToken,
    )
  ).data;

const consentOp = (name: string, purpose: string) =>
  `mutation($c: ID!) { ${name}(input: { contactId: $c, purpose: "${purpose}" }) { id } }`;
const aConsents = async () =>
  (
    await app.gql(
      `query($id: ID!) { contact(id: $id) { consents { purpose status } consentHistory { totalCount } } }`,
      { id: a.contact },
      A.ownerToken,
    )
  ).data;
const aPrivacyState = async () =>
  (await app.gql(`query($id: ID!) { contact(id: $id) { restricted legalHold } }`, { id: a.contact }, A.ownerToken)).data;

/** A's retention rules and privacy policy versions, as A sees them. */
const aRetention = async () => (await app.gql(`{ retentionPolicy { target keepDays action fixed } }`, {}, A.ownerToken)).data;
const aPolicies = async () => (await app.gql(`{ policyVersions { id version url acceptanceCount } }`, {}, A.ownerToken)).data;
let aPolicyId: string | undefined;
/** A's published policy "2026-01" (published once), with A's retention rules for sessions and exports. */
async function aPolicyAndRules() {
  if (aPolicyId) return aPolicyId;
  await app.gql(`mutation { setRetentionRule(target: SESSIONS, keepDays: 30, action: DELETE) { target } }`, {}, A.ownerToken);
  await app.gql(`mutation { setRetentionRule(target: DATA_EXPORTS, keepDays: 7, action: DELETE) { target } }`, {}, A.ownerToken);
  const r = await app.gql(
    `mutation { publishPolicyVersion(input: { version: "2026-01", url: "https://a.example/privacy" }) { id } }`,
    {},
    A.ownerToken,
  );
  aPolicyId = r.data.publishPolicyVersion.id as string;
  return aPolicyId;
}

/** A's open data-subject request (filed once, for its second contact) and A's view of it. */
let aRequestId: string | undefined;
async function aRequest() {
  aRequestId ??= (
    await app.gql(
      `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ACCESS }) { id } }`,
      { c: a.contact2 },
      A.ownerToken,
    )
  ).data.fileDataSubjectRequest.id as string;
  return aRequestId;
}
const aRequests = async () =>
  (
    await app.gql(
      `query($id: ID!, $c: ID!) { node(id: $id) { ... on DataSubjectRequest { status dueAt extensionReason refusalReason receipt } } contact(id: $c) { name dataSubjectRequests { totalCount } } }`,
      { id: await aRequest(), c: a.contact2 },
      A.ownerToken,
    )
  ).data;

/** A's webhook endpoint and one delivery, written directly: this app refuses loopback URLs, and A's events go nowhere. */
let aWebhookIds: { endpoint: string; delivery: string } | undefined;
async function aWebhook() {
  if (aWebhookIds) return aWebhookIds;
  const raw = (id: string) => Buffer.from(id, "base64").toString().split(":")[1]!;
  const endpoint = await app.database.prisma.webhookEndpoint.create({
    data: {
      tenantId: A.id,
      url: "http://127.0.0.1:9/a-hook",
      eventTypes: ["TICKET_CREATED"],
      selection: "seq",
      apiKeyId: raw(a.apiKey!),
      secrets: [],
      enabled: false,
    },
  });
  const delivery = await app.database.prisma.webhookDelivery.create({
    data: {
      tenantId: A.id,
      endpointId: endpoint.id,
      eventSeq: 1,
      eventType: "TICKET_CREATED",
      status: "FAILED",
      attempts: 3,
      lastError: "HTTP 500",
    },
  });
  const id = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString("base64");
  aWebhookIds = { endpoint: id("WebhookEndpoint", endpoint.id), delivery: id("WebhookDelivery", delivery.id) };
  return aWebhookIds;
}
const aWebhookState = async () =>
  (
    await app.gql(
      `query($e: ID!) { node(id: $e) { ... on WebhookEndpoint { url enabled selection eventTypes signingSecrets { createdAt } } } webhookDeliveries(endpointId: $e) { totalCount edges { node { status attempts } } } }`,
      { e: (await aWebhook()).endpoint },
      A.ownerToken,
    )
  ).data;

/** A's mailbox, written directly (connecting needs a mail server this app may not call), and A's view of it. */
let aMailboxId: string | undefined;
const START_AUTHORIZATION = `mutation($a: String!) { startMailboxAuthorization(input: { provider: GOOGLE, address: $a }) { state } }`;
async function aMailbox() {
  if (aMailboxId) return aMailboxId;
  const row = await app.database.prisma.mailbox.create({
    data: {
      tenantId: A.id,
      kind: "IMAP",
      address: "support@a.example",
      displayName: "A secret support",
      imapHost: "imap.a.example",
      imapPort: 993,
      imapSecurity: "TLS",
      smtpHost: "smtp.a.example",
      smtpPort: 465,
      smtpSecurity: "TLS",
      username: "support@a.example",
      status: "NEEDS_RECONNECT",
      statusReason: "AUTHENTICATION_FAILED",
    },
  });
  aMailboxId = Buffer.from(`Mailbox:${row.id}`).toString("base64");
  return aMailboxId;
}
const aMailboxes = async () => (await app.gql(`{ mailboxes { id address displayName status disconnectedAt } }`, {}, A.ownerToken)).data;

/** A's billing account with its details, written directly (this app runs without Stripe), and A's view of it. */
let aBilled = false;
async function aBilling() {
  if (!aBilled) {
    await app.database.prisma.billingAccount.create({
      data: {
        tenantId: A.id,
        customerId: "cus_A",
        subscriptionId: "sub_A",
        plan: "TEAM",
        status: "ACTIVE",
        seats: 5,
        companyName: "A secret GmbH",
        address: { line1: "A secret street 1", postalCode: "10115", city: "Berlin", country: "DE" },
        vatNumber: "DE123456789",
      },
    });
    aBilled = true;
  }
  return (await app.gql(`{ billing { status seatsUsed details { companyName vatNumber address { line1 } } } }`, {}, A.ownerToken)).data;
}

/** A suggestion of A's (a classification of A's ticket, made once) and A's view of it. */
let aSuggestionId: string | undefined;
async function aSuggestion() {
  aSuggestionId ??= (
    await app.gql(`mutation($id: ID!) { classifyTicket(ticketId: $id) { suggestion { id } } }`, { id: a.ticket }, A.ownerToken)
  ).data.classifyTicket.suggestion.id as string;
  return aSuggestionId;
}
const aSuggestionState = async () =>
  (await app.gql(`query($id: ID!) { node(id: $id) { ... on AiSuggestion { accepted kind } } }`, { id: await aSuggestion() }, A.ownerToken))
    .data;
const aAiSettings = async () =>
  (await app.gql(`{ aiSettings { enabled allowedSpecialCategories fallbackToLocal } }`, {}, A.ownerToken)).data;

/** A's custom field and saved view, made once, and how A sees them. */
let aFieldId: string | undefined;
const aField = async () =>
  (aFieldId ??= (
    await app.gql(
      `mutation { createCustomField(input: { entity: TICKET, key: "a_secret", label: "A secret", type: TEXT }) { id } }`,
      {},
      A.ownerToken,
    )
  ).data.createCustomField.id as string);
const aFields = async () => (await app.gql(`{ customFields(includeDeleted: true) { id key label type active } }`, {}, A.ownerToken)).data;
let aViewId: string | undefined;
const aView = async () =>
  (aViewId ??= (await app.gql(`mutation { createView(input: { name: "A secret view", sharing: EVERYONE }) { id } }`, {}, A.ownerToken)).data
    .createView.id as string);
const aViews = async () => (await app.gql(`{ views { id name sharing } }`, {}, A.ownerToken)).data;
/** A's calendar, SLA policy and team (made once), and A's view of them. */
let aWorkflowIds: { calendar: string; policy: string; team: string } | undefined;
async function aWorkflow() {
  if (aWorkflowIds) return aWorkflowIds;
  const cal = await app.gql(
    `mutation { createCalendar(input: { name: "A secret hours", timeZone: "Europe/Vienna", hours: [{ weekday: 1, from: "09:00", to: "17:00" }] }) { id } }`,
    {},
    A.ownerToken,
  );
  const policy = await app.gql(
    `mutation { createSlaPolicy(input: { name: "A secret SLA", resolutionMinutes: 60 }) { id } }`,
    {},
    A.ownerToken,
  );
  const team = await app.gql(
    `mutation($m: [ID!]) { createTeam(input: { name: "A secret team", strategy: ROUND_ROBIN, memberIds: $m }) { id } }`,
    { m: [a.agent] },
    A.ownerToken,
  );
  aWorkflowIds = { calendar: cal.data.createCalendar.id, policy: policy.data.createSlaPolicy.id, team: team.data.createTeam.id };
  return aWorkflowIds;
}
/** A's shared macro and A's automation rule (made once), and A's view of its workflow. */
let aAutomationIds: { macro: string; rule: string } | undefined;
async function aAutomation() {
  if (aAutomationIds) return aAutomationIds;
  const macro = await app.gql(
    `mutation { createMacro(input: { title: "A macro", body: "A secret {{ticket.number}}", shared: true }) { id } }`,
    {},
    A.ownerToken,
  );
  const rule = await app.gql(
    `mutation($m: ID!) { createAutomationRule(input: { name: "A rule", trigger: TICKET_UPDATED, conditions: { all: [{ field: "subject", op: CONTAINS, value: "never-matches-a" }] }, actions: [{ type: SEND_MACRO, macroId: $m }] }) { id } }`,
    { m: macro.data.createMacro.id },
    A.ownerToken,
  );
  aAutomationIds = { macro: macro.data.createMacro.id as string, rule: rule.data.createAutomationRule.id as string };
  return aAutomationIds;
}
const aWorkflowState = async () => {
  await aWorkflow();
  return (
    await app.gql(
      `query($t: ID!) { calendars { name timeZone isDefault } slaPolicies { name position resolutionMinutes } teams { name strategy members { id } }
        ticket(id: $t) { team { id } assignee { id } } }`,
      { t: a.ticket },
      A.ownerToken,
    )
  ).data;
};
const aAutomationState = async () => {
  await aAutomation();
  return (
    await app.gql(
      `{ macros { id title body actions { type } } automationRules { id name enabled position actions { type } } }`,
      {},
      A.ownerToken,
    )
  ).data;
};

/**
 * A's own acknowledgement wording in Swiss German, and a notification to A's contact about A's
 * ticket. The notification is written as sent: a queued one is the notification worker's to take,
 * which would change its status between the probe's two reads.
 */
let aNotificationsDone = false;
const rawOf = (id: string | undefined) => Buffer.from(id!, "base64").toString().split(":")[1]!;
async function aNotifications() {
  if (aNotificationsDone) return;
  aNotificationsDone = true;
  await app.gql(
    `mutation { setNotificationTemplate(input: { kind: TICKET_ACKNOWLEDGEMENT, locale: "de-ch", subject: "A secret subject", body: "A secret body" }) { kind } }`,
    {},
    A.ownerToken,
  );
  await app.database.forTenant(A.id).notification.create({
    data: {
      tenantId: A.id,
      kind: "TICKET_ACKNOWLEDGEMENT",
      channel: "EMAIL",
      key: "a-ack",
      contactId: rawOf(a.contact),
      ticketId: rawOf(a.ticket),
      status: "SENT",
      sentAt: new Date(),
    },
  });
}
const aNotificationState = async () => {
  await aNotifications();
  return (
    await app.gql(
      `{ notificationSettings { kind enabled templates { locale subject body } } notifications { kind status } }`,
      {},
      A.ownerToken,
    )
  ).data;
};

/** Runs `op` as B and asserts NOT_FOUND, and that `probe` reads the same from A's side before and after. */
async function refused(query: string, variables: Record<string, unknown>, probe: () => Promise<unknown>, code = "NOT_FOUND") {
  const before = json(await probe());
  const r = await app.gql(query, variables, B.ownerToken);
  expect(codes(r)).toEqual([code]);
  expect(json(r.data ?? null)).not.toMatch(/A secret|A Person|person@A/);
  expect(json(await probe())).toBe(before);
}

/** Every tenant's slug and closure state, straight from the database. */
const tenantRows = () =>
  app.database.prisma.tenant.findMany({ select: { slug: true, closedAt: true, deletionDueAt: true }, orderBy: { slug: "asc" } });

const cases: Record<"Query" | "Mutation", Record<string, () => Promise<void>>> = {
  Query: {
    operatorTenants: () => refused(`{ operatorTenants { edges { node { slug name } } } }`, {}, tenantRows, "FORBIDDEN"),
    operatorClosureReceipts: () => refused(`{ operatorClosureReceipts { slug counts } }`, {}, tenantRows, "FORBIDDEN"),
    operatorAuditLog: () => refused(`{ operatorAuditLog { action tenantSlug } }`, {}, tenantRows, "FORBIDDEN"),
    viewer: async () => {
      const r = await app.gql(`{ viewer { tenant { id slug } } }`, {}, B.ownerToken);
      expect(r.data.viewer.tenant.slug).toBe(B.slug);
    },
    node: async () => {
      for (const id of Object.values(a)) {
        const r = await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, B.ownerToken);
        expect(r.data.node).toBeNull();
      }
    },
    ticket: async () => {
      expect(codes(await app.gql(`query($id: ID!) { ticket(id: $id) { id } }`, { id: a.ticket }, B.ownerToken))).toEqual(["NOT_FOUND"]);
    },
    contact: async () => {
      expect(codes(await app.gql(`query($id: ID!) { contact(id: $id) { id } }`, { id: a.contact }, B.ownerToken))).toEqual(["NOT_FOUND"]);
    },
    tickets: async () => {
      const r = await app.gql(`{ tickets(first: 100) { totalCount edges { node { id subject } } } }`, {}, B.ownerToken);
      expect(r.data.tickets.edges.map((e: any) => e.node.id)).toEqual([b.ticket]);
      expect(r.data.tickets.totalCount).toBe(1);
      const filtered = await app.gql(
        `query($c: ID!) { tickets(filter: { requesterId: $c }) { totalCount } }`,
        { c: a.contact },
        B.ownerToken,
      );
      expect(filtered.data.tickets.totalCount).toBe(0);
    },
    search: async () => {
      // The same words are in both tenants: B finds its own objects only, and counts only them.
      const r = await app.gql(
        `{ search(query: "secret OR internal OR person OR other@b.example", first: 100) { totalCount edges { node { highlights { snippet } result { ... on Node { id } } } } } }`,
        {},
        B.ownerToken,
      );
      const found = r.data.search.edges.map((e: any) => e.node.result.id);
      expect(found.filter((id: string) => Object.values(a).includes(id))).toEqual([]);
      expect(found).toEqual(expect.arrayContaining([b.ticket, b.contact, b.contact2, b.message]));
      expect(r.data.search.totalCount).toBe(found.length);
      expect(json(r)).not.toContain("A secret");
      const typo = await app.gql(
        `{ search(query: "secrte") { totalCount edges { node { result { ... on Node { id } } } } } }`,
        {},
        B.ownerToken,
      );
      expect(typo.data.search.edges.map((e: any) => e.node.result.id).filter((id: string) => Object.values(a).includes(id))).toEqual([]);
    },
    contacts: async () => {
      const r = await app.gql(`{ contacts(first: 100) { totalCount edges { node { id name } } } }`, {}, B.ownerToken);
      expect(r.data.contacts.edges.map((e: any) => e.node.id).sort()).toEqual([b.contact, b.contact2].sort());
    },
    organizations: async () => {
      const r = await app.gql(`{ organizations(first: 100) { totalCount edges { node { id } } } }`, {}, B.ownerToken);
      expect(r.data.organizations.edges.map((e: any) => e.node.id)).toEqual([b.org]);
    },
    agents: async () => {
      const r = await app.gql(`{ agents(first: 100) { edges { node { id } } } }`, {}, B.ownerToken);
      const ids = r.data.agents.edges.map((e: any) => e.node.id);
      expect(ids).toContain(b.agent);
      expect(ids).not.toContain(a.agent);
    },
    apiKeys: async () => {
      const r = await app.gql(`{ apiKeys(first: 100) { edges { node { id } } } }`, {}, B.ownerToken);
      expect(r.data.apiKeys.edges.map((e: any) => e.node.id)).toEqual([b.apiKey]);
    },
    dataCategories: async () => {
      // The taxonomy is the product's, the same for every tenant.
      const r = await app.gql(`{ dataCategories { name } }`, {}, B.ownerToken);
      expect(r.data.dataCategories.map((c: any) => c.name)).toContain("user.contact.email");
    },
    processingPurposes: async () => {
      const r = await app.gql(`{ processingPurposes { name legalBasis } }`, {}, B.ownerToken);
      expect(r.data.processingPurposes.map((p: any) => p.name)).toContain("analytics");
    },
    plugins: async () => {
      const r = await app.gql(`{ plugins { id enabled transfer settings { key value isSet } } }`, {}, B.ownerToken);
      const echo = r.data.plugins.find((p: any) => p.id === "test-echo");
      expect(echo).toMatchObject({ enabled: false, transfer: "ACCEPTANCE_REQUIRED" });
      expect(echo.settings.every((s: any) => !s.isSet && s.value === null)).toBe(true);
    },
    plugin: async () => {
      const r = await app.gql(`{ plugin(id: "test-echo") { enabled acceptance { acceptedAt } } }`, {}, B.ownerToken);
      expect(r.data.plugin).toEqual({ enabled: false, acceptance: null });
    },
    mailboxes: async () => {
      await aMailbox();
      expect((await aMailboxes()).mailboxes).toHaveLength(1);
      expect((await app.gql(`{ mailboxes { id } }`, {}, B.ownerToken)).data.mailboxes).toEqual([]);
      expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: await aMailbox() }, B.ownerToken)).data.node).toBeNull();
    },
    pluginCalls: async () => {
      expect((await app.gql(`{ pluginCalls { totalCount } }`, {}, A.ownerToken)).data.pluginCalls.totalCount).toBeGreaterThan(0);
      expect((await app.gql(`{ pluginCalls { totalCount } }`, {}, B.ownerToken)).data.pluginCalls.totalCount).toBe(0);
    },
    auditLog: async () => {
      const raw = (id: string) => Buffer.from(id, "base64").toString().split(":")[1] ?? "";
      const log = async (t: TestTenant, f: Record<string, unknown> = {}) =>
        (
          await app.gql(
            `query($f: AuditFilter) { auditLog(first: 100, filter: $f) { totalCount edges { node { id actorId action details } } } }`,
            { f },
            t.ownerToken,
          )
        ).data.auditLog;
      await aContact(); // A reads its contact's name and email: an entry about that subject in A's log
      const ofB = await log(B);
      expect(ofB.totalCount).toBe(await app.database.prisma.auditEntry.count({ where: { tenantId: B.id } }));
      const ofA = new Set(
        (await app.database.prisma.auditEntry.findMany({ where: { tenantId: A.id }, select: { id: true } })).map((e) => e.id),
      );
      expect(ofA.size).toBeGreaterThan(0);
      expect(ofB.edges.filter((e: any) => ofA.has(raw(e.node.id)))).toEqual([]);
      const actorsOfA = [A.ownerId, raw(a.agent!), raw(a.apiKey!)];
      expect(ofB.edges.filter((e: any) => actorsOfA.includes(e.node.actorId))).toEqual([]);
      expect((await log(B, { actorId: a.agent })).totalCount).toBe(0);
      // About A's contact, B's log has at most B's own refused attempts naming its id.
      expect((await log(A, { subjectId: a.contact })).totalCount).toBeGreaterThan(0);
      for (const e of (await log(B, { subjectId: a.contact })).edges) expect(e.node.details.outcome).toBe("FAILURE");
      const entryOfA = Buffer.from(`AuditEntry:${[...ofA][0]}`).toString("base64");
      expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: entryOfA }, B.ownerToken)).data.node).toBeNull();
      expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: entryOfA }, A.ownerToken)).data.node).toEqual({
        id: entryOfA,
      });
    },
    verifyAuditChain: async () => {
      const verify = async (t: TestTenant) =>
        (await app.gql(`{ verifyAuditChain { valid checkedEntries headSeq } }`, {}, t.ownerToken)).data.verifyAuditChain;
      const count = (t: TestTenant) => app.database.prisma.auditEntry.count({ where: { tenantId: t.id } });
      await aContact(); // one more entry in A's log than B's
      const ofB = await verify(B);
      expect(ofB).toEqual({ valid: true, checkedEntries: await count(B), headSeq: await count(B) });
      const ofA = await verify(A);
      expect(ofA.checkedEntries).toBe(await count(A));
      expect(ofA.checkedEntries).not.toBe(ofB.checkedEntries);
    },
    recordOfProcessing: async () => {
      const r = await app.gql(`{ recordOfProcessing { markdown } }`, {}, B.ownerToken);
      expect(r.data.recordOfProcessing.markdown).toContain(`Tenant ${B.slug}`);
      expect(r.data.recordOfProcessing.markdown).not.toMatch(/Echo Test Inc|Tenant a\b/);
    },
    subprocessors: async () => {
      const ofA = await app.gql(`query($t: String!) { subprocessors(tenant: $t) { vendor } }`, { t: A.slug });
      const ofB = await app.gql(`query($t: String!) { subprocessors(tenant: $t) { vendor } }`, { t: B.slug });
      expect(ofA.data.subprocessors).toEqual([{ vendor: "Echo Test Inc." }]);
      expect(ofB.data.subprocessors).toEqual([]);
    },
    events: async () => {
      const ofA = await app.gql(`{ events(first: 200) { edges { node { ticket { id } } } } }`, {}, A.ownerToken);
      const ofB = await app.gql(`{ events(first: 200) { edges { node { ticket { id } } } } }`, {}, B.ownerToken);
      expect(ofA.data.events.edges.map((e: any) => e.node.ticket?.id)).toContain(a.ticket);
      expect(json(ofB.data)).not.toContain(a.ticket);
      expect(ofB.data.events.edges.map((e: any) => e.node.ticket?.id)).toContain(b.ticket);
    },
    webhookEndpoints: async () => {
      const { endpoint } = await aWebhook();
      expect(json((await app.gql(`{ webhookEndpoints { totalCount edges { node { id } } } }`, {}, B.ownerToken)).data)).not.toContain(
        endpoint,
      );
      expect(json((await app.gql(`{ webhookEndpoints { edges { node { id } } } }`, {}, A.ownerToken)).data)).toContain(endpoint);
    },
    webhookDeliveries: async () => {
      const { endpoint, delivery } = await aWebhook();
      expect(
        codes(await app.gql(`query($e: ID!) { webhookDeliveries(endpointId: $e) { totalCount } }`, { e: endpoint }, B.ownerToken)),
      ).toEqual(["NOT_FOUND"]);
      expect(json((await app.gql(`{ webhookDeliveries { totalCount edges { node { id } } } }`, {}, B.ownerToken)).data)).not.toContain(
        delivery,
      );
      expect((await aWebhookState()).webhookDeliveries.totalCount).toBe(1);
    },
    retentionPolicy: async () => {
      await aPolicyAndRules();
      // Fixed periods are the product's, the same in every tenant; rules are the tenant's.
      const r = await app.gql(`{ retentionPolicy { target keepDays action fixed } }`, {}, B.ownerToken);
      expect(r.data.retentionPolicy.filter((x: any) => !x.fixed && (x.keepDays !== null || x.action !== null))).toEqual([]);
      expect((await aRetention()).retentionPolicy.filter((x: any) => !x.fixed && x.keepDays !== null)).toHaveLength(2);
    },
    sweepRuns: async () => {
      await aPolicyAndRules();
      await sweep(app.database);
      expect((await app.gql(`{ sweepRuns { totalCount } }`, {}, A.ownerToken)).data.sweepRuns.totalCount).toBeGreaterThan(0);
      expect((await app.gql(`{ sweepRuns { totalCount edges { node { id } } } }`, {}, B.ownerToken)).data.sweepRuns).toEqual({
        totalCount: 0,
        edges: [],
      });
    },
    policyVersions: async () => {
      await aPolicyAndRules();
      expect((await app.gql(`{ policyVersions { id } }`, {}, B.ownerToken)).data.policyVersions).toEqual([]);
      expect((await app.gql(`{ viewer { pendingPolicy { id } } }`, {}, B.ownerToken)).data.viewer.pendingPolicy).toBeNull();
    },
    tags: async () => {
      const r = await app.gql(`{ tags { id name } }`, {}, B.ownerToken);
      expect(r.data.tags.map((t: any) => t.name)).toEqual(["b-tag"]);
    },
    dataSubjectRequests: async () => {
      const id = await aRequest();
      const list = async (t: TestTenant, c = "") =>
        (
          await app.gql(
            `query($c: ID) { dataSubjectRequests(first: 100, filter: { contactId: $c }) { totalCount edges { node { id } } } }`,
            { c: c || null },
            t.ownerToken,
          )
        ).data.dataSubjectRequests;
      expect((await list(A)).edges.map((e: any) => e.node.id)).toContain(id);
      expect((await list(B)).edges.map((e: any) => e.node.id)).not.toContain(id);
      expect(await list(B, a.contact2)).toEqual({ totalCount: 0, edges: [] });
      expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, B.ownerToken)).data.node).toBeNull();
    },
    calendars: async () => {
      await aWorkflow();
      const r = await app.gql(`{ calendars { name } }`, {}, B.ownerToken);
      expect(r.data.calendars).toEqual([]);
    },
    slaPolicies: async () => {
      await aWorkflow();
      const r = await app.gql(`{ slaPolicies { name } }`, {}, B.ownerToken);
      expect(r.data.slaPolicies).toEqual([]);
    },
    teams: async () => {
      await aWorkflow();
      const r = await app.gql(`{ teams { name } }`, {}, B.ownerToken);
      expect(r.data.teams).toEqual([]);
    },
    metrics: async () => {
      const from = new Date(Date.now() - 300 * 86_400_000).toISOString();
      const to = new Date(Date.now() + 300 * 86_400_000).toISOString();
      const q = `query($f: DateTime!, $t: DateTime!) { metrics(range: { from: $f, to: $t }, groupBy: CHANNEL) { ticketsCreated } }`;
      const total = async (t: TestTenant) =>
        (await app.gql(q, { f: from, t: to }, t.ownerToken)).data.metrics.reduce(
          (n: number, r: { ticketsCreated: number }) => n + r.ticketsCreated,
          0,
        );
      // Each tenant counts its own tickets only.
      expect(await total(B)).toBe(await app.database.prisma.ticket.count({ where: { tenantId: B.id } }));
      expect(await total(A)).toBe(await app.database.prisma.ticket.count({ where: { tenantId: A.id } }));
    },
    billing: async () => {
      expect((await aBilling()).billing.details.companyName).toBe("A secret GmbH");
      const r = await app.gql(`{ billing { status seatsUsed details { companyName vatNumber } } }`, {}, B.ownerToken);
      expect(r.data.billing.details).toBeNull();
      expect(json(r)).not.toMatch(/A secret|DE123456789/);
    },
    similarTickets: () =>
      refused(`query($id: ID!) { similarTickets(ticketId: $id) { tickets { ticket { id subject } } } }`, { id: a.ticket }, aTicket),
    aiCalls: async () => {
      await aSuggestion(); // a model call in A
      expect((await app.gql(`{ aiCalls { totalCount } }`, {}, A.ownerToken)).data.aiCalls.totalCount).toBeGreaterThan(0);
      expect((await app.gql(`{ aiCalls { totalCount } }`, {}, B.ownerToken)).data.aiCalls.totalCount).toBe(0);
      const ofA = await app.gql(`query($t: ID!) { aiCalls(filter: { ticketId: $t }) { totalCount } }`, { t: a.ticket }, B.ownerToken);
      expect(ofA.data.aiCalls.totalCount).toBe(0);
    },
    aiSettings: async () => {
      await app.gql(`mutation { updateAiSettings(input: { allowedSpecialCategories: [HEALTH] }) { enabled } }`, {}, A.ownerToken);
      expect((await aAiSettings()).aiSettings.allowedSpecialCategories).toEqual(["HEALTH"]);
      const r = await app.gql(`{ aiSettings { enabled allowedSpecialCategories } }`, {}, B.ownerToken);
      expect(r.data.aiSettings).toEqual({ enabled: true, allowedSpecialCategories: [] });
    },
    personalDataScan: async () => {
      const scan = async (t: TestTenant, email: string, name: string) =>
        (
          await app.gql(
            `query($e: String, $n: String) { personalDataScan(email: $e, name: $n) { total } }`,
            { e: email, n: name },
            t.ownerToken,
          )
        ).data.personalDataScan.total;
      expect(await scan(A, "person@a.example", "A Person")).toBeGreaterThan(0);
      expect(await scan(B, "person@a.example", "A Person")).toBe(0);
      expect(await scan(B, "person@b.example", "b Person")).toBeGreaterThan(0);
    },
    customFields: async () => {
      await aField();
      const r = await app.gql(`{ customFields(includeDeleted: true) { key label } }`, {}, B.ownerToken);
      expect(json(r.data)).not.toMatch(/a_secret/);
    },
    views: async () => {
      await aView();
      const r = await app.gql(`{ views { name } }`, {}, B.ownerToken);
      expect(json(r.data)).not.toMatch(/A secret/);
    },
    view: async () => refused(`query($id: ID!) { view(id: $id) { name } }`, { id: await aView() }, aViews),
    macros: async () => {
      const { macro } = await aAutomation();
      expect(json((await app.gql(`{ macros { id } }`, {}, B.ownerToken)).data)).not.toContain(macro);
    },
    previewMacro: async () => {
      const { macro } = await aAutomation();
      // A's macro on B's ticket, and a template on A's ticket: both as missing as ones that never existed.
      expect(
        codes(
          await app.gql(
            `query($t: ID!, $m: ID!) { previewMacro(ticketId: $t, macroId: $m) { body } }`,
            { t: b.ticket, m: macro },
            B.ownerToken,
          ),
        ),
      ).toEqual(["NOT_FOUND"]);
      const r = await app.gql(
        `query($t: ID!) { previewMacro(ticketId: $t, body: "{{requester.name}}") { body } }`,
        { t: a.ticket },
        B.ownerToken,
      );
      expect(codes(r)).toEqual(["NOT_FOUND"]);
      expect(json(r.data)).not.toContain("A Person");
    },
    notificationSettings: async () => {
      await aNotifications();
      const r = await app.gql(`{ notificationSettings { templates { subject body } } }`, {}, B.ownerToken);
      expect(json(r.data)).not.toMatch(/A secret/);
    },
    notifications: async () => {
      await aNotifications();
      expect((await app.gql(`{ notifications { kind } }`, {}, B.ownerToken)).data.notifications).toEqual([]);
      const r = await app.gql(
        `query($c: ID, $t: ID) { notifications(filter: { contactId: $c, ticketId: $t }) { kind } }`,
        { c: a.contact, t: a.ticket },
        B.ownerToken,
      );
      expect(r.data.notifications).toEqual([]);
    },
    automationRules: async () => {
      const { rule } = await aAutomation();
      expect(json((await app.gql(`{ automationRules { id } }`, {}, B.ownerToken)).data)).not.toContain(rule);
    },
    automationRuns: async () => {
      const { rule } = await aAutomation();
      expect(
        codes(await app.gql(`query($r: ID) { automationRuns(ruleId: $r) { edges { node { id } } } }`, { r: rule }, B.ownerToken)),
      ).toEqual([]);
      const r = await app.gql(
        `query($r: ID, $t: ID) { automationRuns(ruleId: $r, ticketId: $t) { edges { node { id } } } }`,
        { r: rule, t: a.ticket },
        B.ownerToken,
      );
      expect(r.data.automationRuns.edges).toEqual([]);
    },
    testAutomation: async () => {
      const { rule } = await aAutomation();
      expect(codes(await app.gql(`query($t: ID!) { testAutomation(ticketId: $t) { matched } }`, { t: a.ticket }, B.ownerToken))).toEqual([
        "NOT_FOUND",
      ]);
      expect(
        codes(
          await app.gql(
            `query($t: ID!, $r: ID) { testAutomation(ticketId: $t, ruleId: $r) { matched } }`,
            { t: b.ticket, r: rule },
            B.ownerToken,
          ),
        ),
      ).toEqual(["NOT_FOUND"]);
    },
  },
  Mutation: {
    signIn: async () => {
      // B's owner credentials do not open tenant A.
      const r = await app.gql(`mutation($t: String!, $e: String!, $p: String!) { signIn(tenant: $t, email: $e, password: $p) { token } }`, {
        t: A.slug,
        e: B.ownerEmail,
        p: B.password,
      });
      expect(codes(r)).toEqual(["UNAUTHENTICATED"]);
    },
    signOut: async () => {
      const token = await app.signIn(B.slug, B.ownerEmail, B.password);
      expect((await app.gql(`mutation { signOut }`, {}, token)).data.signOut).toBe(true);
      expect((await app.gql(`{ viewer { kind } }`, {}, A.ownerToken)).data.viewer.kind).toBe("AGENT");
    },
    acceptInvitation: async () => {
      const invite = await app.gql(
        `mutation { inviteAgent(input: { email: "new@a.example", name: "New" }) { invitationToken } }`,
        {},
        A.ownerToken,
      );
      const r = await app.gql(`mutation($t: String!) { acceptInvitation(token: $t, password: "long enough password") { token } }`, {
        t: invite.data.inviteAgent.invitationToken,
      });
      const viewer = await app.gql(`{ viewer { tenant { slug } } }`, {}, r.data.acceptInvitation.token);
      expect(viewer.data.viewer.tenant.slug).toBe(A.slug);
    },
    inviteAgent: async () => {
      // The same email may exist in both tenants without touching A's agent.
      const emailOfA = (await app.gql(`query($id: ID!) { node(id: $id) { ... on Agent { email } } }`, { id: a.agent }, A.ownerToken)).data
        .node.email;
      const before = json(await aAgent());
      const r = await app.gql(
        `mutation($e: String!) { inviteAgent(input: { email: $e, name: "Twin" }) { agent { id } } }`,
        { e: emailOfA },
        B.ownerToken,
      );
      expect(r.errors).toBeUndefined();
      expect(r.data.inviteAgent.agent.id).not.toBe(a.agent);
      expect(json(await aAgent())).toBe(before);
    },
    updateAgentRole: () => refused(`mutation($id: ID!) { updateAgentRole(id: $id, role: VIEWER) { id } }`, { id: a.agent }, aAgent),
    disableAgent: () => refused(`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: a.agent }, aAgent),
    enableAgent: () => refused(`mutation($id: ID!) { enableAgent(id: $id) { id } }`, { id: a.agent }, aAgent),
    createApiKey: async () => {
      const r = await app.gql(
        `mutation { createApiKey(input: { name: "b2", scopes: [TICKETS_READ, CONTACTS_READ, NOTES_READ] }) { secret } }`,
        {},
        B.ownerToken,
      );
      const seen = await app.gql(`{ tickets { edges { node { id } } } }`, {}, r.data.createApiKey.secret);
      expect(seen.data.tickets.edges.map((e: any) => e.node.id)).toEqual([b.ticket]);
    },
    revokeApiKey: async () => {
      await refused(
        `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
        { id: a.apiKey },
        async () => (await app.gql(`{ viewer { kind } }`, {}, aKey)).data,
      );
    },
    createContact: () =>
      refused(`mutation($o: ID!) { createContact(input: { name: "X", organizationId: $o }) { id } }`, { o: a.org }, () => aContact()),
    updateContact: () =>
      refused(`mutation($id: ID!) { updateContact(id: $id, input: { name: "Hijacked" }) { id } }`, { id: a.contact }, () => aContact()),
    mergeContacts: async () => {
      await refused(`mutation($s: ID!, $t: ID!) { mergeContacts(sourceId: $s, targetId: $t) { id } }`, { s: a.contact, t: b.contact }, () =>
        aContact(),
      );
      await refused(
        `mutation($s: ID!, $t: ID!) { mergeContacts(sourceId: $s, targetId: $t) { id } }`,
        { s: b.contact2, t: a.contact },
        () => aContact(),
      );
    },
    createOrganization: async () => {
      // Names are unique per tenant only: B may use A's organization name.
      const r = await app.gql(`mutation { createOrganization(input: { name: "Other Shared" }) { id } }`, {}, A.ownerToken);
      const s = await app.gql(`mutation { createOrganization(input: { name: "Other Shared" }) { id } }`, {}, B.ownerToken);
      expect(r.errors).toBeUndefined();
      expect(s.errors).toBeUndefined();
    },
    createTicket: async () => {
      await refused(
        `mutation($c: ID!) { createTicket(input: { subject: "x", body: "y", requesterId: $c }) { id } }`,
        { c: a.contact },
        () => aContact(),
      );
      await refused(
        `mutation($g: ID!, $c: ID!) { createTicket(input: { subject: "x", body: "y", requesterId: $c, assigneeId: $g }) { id } }`,
        { g: a.agent, c: b.contact },
        aAgent,
      );
    },
    updateTicket: () =>
      refused(
        `mutation($id: ID!) { updateTicket(id: $id, input: { subject: "Hijacked", status: SOLVED }) { id } }`,
        { id: a.ticket },
        aTicket,
      ),
    addMessage: () =>
      refused(`mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "Hijacked" }) { id } }`, { id: a.ticket }, aTicket),
    addAttachment: async () => {
      const attachments = async () =>
        (
          await app.gql(
            `query($id: ID!) { node(id: $id) { ... on Message { attachments { filename } } } }`,
            { id: a.message },
            A.ownerToken,
          )
        ).data;
      await refused(
        `mutation($m: ID!) { addAttachment(input: { messageId: $m, filename: "x.txt", contentType: "text/plain", contentBase64: "eA==" }) { id } }`,
        { m: a.message },
        attachments,
      );
    },
    createAttachmentUpload: async () => {
      const aUploads = () => app.database.prisma.attachment.count({ where: { tenantId: A.id } });
      await refused(
        `mutation($t: ID!) { createAttachmentUpload(input: { ticketId: $t, filename: "x.txt", contentType: "text/plain", size: 1 }) { uploadUrl } }`,
        { t: a.ticket },
        aUploads,
      );
    },
    uploadAttachment: async () => {
      const aFiles = () => app.database.prisma.attachment.count({ where: { tenantId: A.id } });
      await refused(
        `mutation($t: ID!, $f: Upload!) { uploadAttachment(input: { ticketId: $t, file: $f }) { id } }`,
        { t: a.ticket, f: new File(["x"], "x.txt", { type: "text/plain" }) },
        aFiles,
      );
    },
    configurePlugin: async () => {
      const before = json(await aPlugin());
      const r = await app.gql(
        `mutation { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: "http://127.0.0.1:9" }]) { settings { key value } } }`,
        {},
        B.ownerToken,
      );
      expect(r.errors).toBeUndefined();
      expect(json(await aPlugin())).toBe(before);
    },
    enablePlugin: async () => {
      const before = json(await aPlugin());
      const r = await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { enabled } }`, {}, B.ownerToken);
      expect(codes(r)).toEqual(["VALIDATION"]); // B has not configured its own API key
      expect(json(await aPlugin())).toBe(before);
    },
    disablePlugin: async () => {
      const before = json(await aPlugin());
      expect(codes(await app.gql(`mutation { disablePlugin(id: "test-echo") { enabled } }`, {}, B.ownerToken))).toEqual(["CONFLICT"]);
      expect(json(await aPlugin())).toBe(before);
      expect(JSON.parse(before).plugin.enabled).toBe(true);
    },
    connectMailbox: async () => {
      await aMailbox();
      const before = json(await aMailboxes());
      // A's address is no business of B's: B's own attempt goes to B's own check (a host this app may not call).
      await app.gql(`mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`, {}, B.ownerToken);
      const r = await app.gql(
        `mutation($i: ConnectMailboxInput!) { connectMailbox(input: $i) { id } }`,
        {
          i: {
            address: "support@a.example",
            passwordLogin: {
              imap: { host: "127.0.0.1", port: 993, security: "TLS" },
              smtp: { host: "127.0.0.1", port: 465, security: "TLS" },
              password: "x",
            },
          },
        },
        B.ownerToken,
      );
      expect(codes(r)).toEqual(["ADDRESS_NOT_ALLOWED"]);
      expect(json(await aMailboxes())).toBe(before);
      expect((await app.gql(`{ mailboxes { id } }`, {}, B.ownerToken)).data.mailboxes).toEqual([]);
    },
    disconnectMailbox: async () =>
      refused(`mutation($id: ID!) { disconnectMailbox(id: $id) { id } }`, { id: await aMailbox() }, aMailboxes),
    startMailboxAuthorization: async () => {
      await aMailbox();
      const before = json(await aMailboxes());
      // B asking to connect A's address starts B's own authorization: A's mailboxes stay as they are.
      await app.gql(`mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`, {}, B.ownerToken);
      const r = await app.gql(START_AUTHORIZATION, { a: "support@a.example" }, B.ownerToken);
      expect(r.errors).toBeUndefined();
      expect(json(await aMailboxes())).toBe(before);
    },
    completeMailboxAuthorization: async () => {
      await aMailbox();
      // An authorization A started, completed by B (its link and the provider's code in B's hands): refused before any code is exchanged.
      await app.gql(`mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`, {}, A.ownerToken);
      const started = await app.gql(START_AUTHORIZATION, { a: "other@a.example" }, A.ownerToken);
      expect(started.errors).toBeUndefined();
      const { state } = started.data.startMailboxAuthorization;
      await refused(
        `mutation($i: CompleteMailboxAuthorizationInput!) { completeMailboxAuthorization(input: $i) { id } }`,
        { i: { code: "a-code", state } },
        aMailboxes,
        "MAILBOX_AUTHORIZATION_FAILED",
      );
    },
    grantConsent: () => refused(consentOp("grantConsent", "marketing"), { c: a.contact }, aConsents),
    withdrawConsent: () => refused(consentOp("withdrawConsent", "marketing"), { c: a.contact }, aConsents),
    objectToProcessing: () => refused(consentOp("objectToProcessing", "analytics"), { c: a.contact }, aConsents),
    withdrawObjection: () => refused(consentOp("withdrawObjection", "analytics"), { c: a.contact }, aConsents),
    restrictProcessing: () =>
      refused(`mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "x") { id } }`, { c: a.contact }, aPrivacyState),
    liftRestriction: () => refused(`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: a.contact }, aPrivacyState),
    placeLegalHold: () =>
      refused(`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "x") { id } }`, { c: a.contact }, aPrivacyState),
    releaseLegalHold: () => refused(`mutation($c: ID!) { releaseLegalHold(contactId: $c) { id } }`, { c: a.contact }, aPrivacyState),
    issuePortalToken: () => refused(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: a.contact }, aPrivacyState),
    setRetentionRule: async () => {
      await aPolicyAndRules();
      const before = json(await aRetention());
      const r = await app.gql(
        `mutation { setRetentionRule(target: SESSIONS, keepDays: 1, action: DELETE) { keepDays } }`,
        {},
        B.ownerToken,
      );
      expect(r.data.setRetentionRule.keepDays).toBe(1);
      expect(json(await aRetention())).toBe(before);
    },
    removeRetentionRule: async () => {
      await aPolicyAndRules();
      await refused(`mutation { removeRetentionRule(target: DATA_EXPORTS) { target } }`, {}, aRetention);
    },
    publishPolicyVersion: async () => {
      await aPolicyAndRules();
      const before = json(await aPolicies());
      // Version names are unique per tenant only.
      const r = await app.gql(`mutation { publishPolicyVersion(input: { version: "2026-01" }) { version } }`, {}, B.ownerToken);
      expect(r.data.publishPolicyVersion.version).toBe("2026-01");
      expect(json(await aPolicies())).toBe(before);
    },
    acceptPolicyVersion: async () => {
      const id = await aPolicyAndRules();
      await refused(`mutation($id: ID!) { acceptPolicyVersion(id: $id) { id } }`, { id }, aPolicies);
    },
    createWebhookEndpoint: async () => {
      // With A's API key: as missing as a key that does not exist.
      await refused(
        `mutation($k: ID!) { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/b-hook", eventTypes: [TICKET_CREATED], selection: "seq", apiKeyId: $k }) { secret } }`,
        { k: a.apiKey },
        aWebhookState,
      );
    },
    updateWebhookEndpoint: async () =>
      refused(
        `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { selection: "type", enabled: true }) { id } }`,
        { id: (await aWebhook()).endpoint },
        aWebhookState,
      ),
    deleteWebhookEndpoint: async () =>
      refused(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: (await aWebhook()).endpoint }, aWebhookState),
    rotateWebhookSecret: async () =>
      refused(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: (await aWebhook()).endpoint }, aWebhookState),
    resendWebhookDelivery: async () =>
      refused(`mutation($id: ID!) { resendWebhookDelivery(id: $id) { id } }`, { id: (await aWebhook()).delivery }, aWebhookState),
    revokePortalTokens: async () => {
      const portal = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: a.contact }, A.ownerToken);
      const token = portal.data.issuePortalToken.token;
      await refused(
        `mutation($c: ID!) { revokePortalTokens(contactId: $c) }`,
        { c: a.contact },
        async () => (await app.gql(`{ viewer { kind } }`, {}, token)).data,
      );
    },
    fileDataSubjectRequest: async () => {
      await aRequest();
      await refused(
        `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ERASURE }) { id } }`,
        { c: a.contact2 },
        aRequests,
      );
    },
    extendDataSubjectRequest: async () =>
      refused(`mutation($id: ID!) { extendDataSubjectRequest(id: $id, reason: "x") { id } }`, { id: await aRequest() }, aRequests),
    refuseDataSubjectRequest: async () =>
      refused(`mutation($id: ID!) { refuseDataSubjectRequest(id: $id, reason: "x") { id } }`, { id: await aRequest() }, aRequests),
    // This app runs without Stripe: each is BILLING_DISABLED and A's account stays as it is.
    // With billing on, plugins/stripe-billing/stripe-billing.test.ts tries them across tenants too.
    startCheckout: () => refused(`mutation { startCheckout(plan: "TEAM", seats: 2) { url } }`, {}, aBilling, "BILLING_DISABLED"),
    openBillingPortal: () => refused(`mutation { openBillingPortal { url } }`, {}, aBilling, "BILLING_DISABLED"),
    changeSeats: () => refused(`mutation { changeSeats(seats: 9) { seats } }`, {}, aBilling, "BILLING_DISABLED"),
    cancelSubscription: () => refused(`mutation { cancelSubscription { status } }`, {}, aBilling, "BILLING_DISABLED"),
    // The operator API: refused to every tenant credential, so B can neither close nor reopen A.
    operatorCreateTenant: () =>
      refused(
        `mutation { operatorCreateTenant(input: { name: "A copy", slug: "a-copy", ownerEmail: "b@b.example", ownerName: "B" }) { invitationToken } }`,
        {},
        tenantRows,
        "FORBIDDEN",
      ),
    operatorCloseTenant: () =>
      refused(`mutation($s: String!) { operatorCloseTenant(slug: $s) { slug } }`, { s: A.slug }, tenantRows, "FORBIDDEN"),
    operatorReopenTenant: () =>
      refused(`mutation($s: String!) { operatorReopenTenant(slug: $s) { slug } }`, { s: A.slug }, tenantRows, "FORBIDDEN"),
    suggestReply: () => refused(`mutation($id: ID!) { suggestReply(ticketId: $id) { text } }`, { id: a.ticket }, aTicket),
    summarizeTicket: () => refused(`mutation($id: ID!) { summarizeTicket(ticketId: $id) { text } }`, { id: a.ticket }, aTicket),
    classifyTicket: () => refused(`mutation($id: ID!) { classifyTicket(ticketId: $id) { provider } }`, { id: a.ticket }, aTicket),
    translateMessage: () =>
      refused(`mutation($m: ID!) { translateMessage(messageId: $m, targetLocale: "de") { text } }`, { m: a.message }, aTicket),
    acceptSuggestion: async () =>
      refused(`mutation($id: ID!) { acceptSuggestion(id: $id) { accepted } }`, { id: await aSuggestion() }, aSuggestionState),
    updateAiSettings: async () => {
      const before = json(await aAiSettings());
      const r = await app.gql(`mutation { updateAiSettings(input: { enabled: false }) { enabled } }`, {}, B.ownerToken);
      expect(r.data.updateAiSettings.enabled).toBe(false);
      expect(json(await aAiSettings())).toBe(before);
      await app.gql(`mutation { updateAiSettings(input: { enabled: true }) { enabled } }`, {}, B.ownerToken);
    },
    createCalendar: async () => {
      const before = json(await aWorkflowState());
      const r = await app.gql(
        `mutation { createCalendar(input: { name: "A secret hours", timeZone: "UTC", isDefault: true, hours: [{ weekday: 2, from: "08:00", to: "12:00" }] }) { id } }`,
        {},
        B.ownerToken,
      );
      expect(r.errors).toBeUndefined();
      expect(json(await aWorkflowState())).toBe(before);
    },
    updateCalendar: async () =>
      refused(
        `mutation($id: ID!) { updateCalendar(id: $id, input: { name: "Hijacked", isDefault: true }) { id } }`,
        { id: (await aWorkflow()).calendar },
        aWorkflowState,
      ),
    deleteCalendar: async () =>
      refused(`mutation($id: ID!) { deleteCalendar(id: $id) }`, { id: (await aWorkflow()).calendar }, aWorkflowState),
    createSlaPolicy: async () => {
      const { calendar } = await aWorkflow();
      // A's calendar does not exist for B.
      const r = await app.gql(
        `mutation($c: ID!) { createSlaPolicy(input: { name: "B", calendarId: $c, resolutionMinutes: 5 }) { id } }`,
        { c: calendar },
        B.ownerToken,
      );
      expect(codes(r)).toEqual(["VALIDATION"]);
      const org = await app.gql(
        `mutation($o: [ID!]) { createSlaPolicy(input: { name: "B2", conditions: { organizationIds: $o }, resolutionMinutes: 5 }) { id } }`,
        { o: [a.org] },
        B.ownerToken,
      );
      expect(codes(org)).toEqual(["VALIDATION"]);
    },
    updateSlaPolicy: async () =>
      refused(
        `mutation($id: ID!) { updateSlaPolicy(id: $id, input: { name: "Hijacked" }) { id } }`,
        { id: (await aWorkflow()).policy },
        aWorkflowState,
      ),
    deleteSlaPolicy: async () =>
      refused(`mutation($id: ID!) { deleteSlaPolicy(id: $id) }`, { id: (await aWorkflow()).policy }, aWorkflowState),
    reorderSlaPolicies: async () =>
      refused(
        `mutation($id: ID!) { reorderSlaPolicies(ids: [$id]) { id } }`,
        { id: (await aWorkflow()).policy },
        aWorkflowState,
        "VALIDATION",
      ),
    createTeam: async () => {
      await aWorkflow();
      const before = json(await aWorkflowState());
      const r = await app.gql(
        `mutation($m: [ID!]) { createTeam(input: { name: "A secret team", memberIds: $m }) { id } }`,
        { m: [a.agent] },
        B.ownerToken,
      );
      expect(codes(r)).toEqual(["VALIDATION"]);
      expect(json(await aWorkflowState())).toBe(before);
    },
    updateTeam: async () =>
      refused(
        `mutation($id: ID!) { updateTeam(id: $id, input: { name: "Hijacked", strategy: MANUAL }) { id } }`,
        { id: (await aWorkflow()).team },
        aWorkflowState,
      ),
    deleteTeam: async () => refused(`mutation($id: ID!) { deleteTeam(id: $id) }`, { id: (await aWorkflow()).team }, aWorkflowState),
    changeTeamMembers: async () =>
      refused(
        `mutation($id: ID!, $m: [ID!]) { changeTeamMembers(teamId: $id, removeAgentIds: $m) { id } }`,
        { id: (await aWorkflow()).team, m: [a.agent] },
        aWorkflowState,
      ),
    setMyAvailability: async () => {
      const before = json(await aAgent());
      const r = await app.gql(`mutation { setMyAvailability(available: false) { available } }`, {}, B.ownerToken);
      expect(r.data.setMyAvailability.available).toBe(false);
      expect(json(await aAgent())).toBe(before);
      await app.gql(`mutation { setMyAvailability(available: true) { available } }`, {}, B.ownerToken);
    },
    assignTicket: async () => {
      const { team } = await aWorkflow();
      await refused(
        `mutation($t: ID!, $id: ID!) { assignTicket(ticketId: $t, teamId: $id) { id } }`,
        { t: a.ticket, id: team },
        aWorkflowState,
      );
      const bTeam = await app.gql(`mutation { createTeam(input: { name: "B team" }) { id } }`, {}, B.ownerToken);
      await refused(
        `mutation($t: ID!, $id: ID!) { assignTicket(ticketId: $t, teamId: $id) { id } }`,
        { t: a.ticket, id: bTeam.data.createTeam.id },
        aWorkflowState,
      );
    },
    completeDataSubjectRequest: async () =>
      refused(`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { id receipt } }`, { id: await aRequest() }, aRequests),
    createCustomField: async () => {
      await aField();
      // Keys are unique per tenant only.
      const r = await app.gql(
        `mutation { createCustomField(input: { entity: TICKET, key: "a_secret", label: "B's", type: NUMBER }) { key } }`,
        {},
        B.ownerToken,
      );
      expect(r.errors).toBeUndefined();
    },
    updateCustomField: async () =>
      refused(`mutation($id: ID!) { updateCustomField(id: $id, input: { label: "Hijacked" }) { id } }`, { id: await aField() }, aFields),
    deleteCustomField: async () => refused(`mutation($id: ID!) { deleteCustomField(id: $id) { id } }`, { id: await aField() }, aFields),
    mergeTickets: async () => {
      const own = await app.gql(
        `mutation($c: ID!) { createTicket(input: { subject: "B's", body: "b", requesterId: $c }) { id } }`,
        { c: b.contact },
        B.ownerToken,
      );
      const bTicket = own.data.createTicket.id;
      await refused(
        `mutation($s: [ID!]!, $t: ID!) { mergeTickets(sourceIds: $s, targetId: $t) { id } }`,
        { s: [a.ticket], t: bTicket },
        aTicket,
      );
      await refused(
        `mutation($s: [ID!]!, $t: ID!) { mergeTickets(sourceIds: $s, targetId: $t) { id } }`,
        { s: [bTicket], t: a.ticket },
        aTicket,
      );
    },
    setNotificationTemplate: async () => {
      const before = json(await aNotificationState());
      const r = await app.gql(
        `mutation { setNotificationTemplate(input: { kind: TICKET_ACKNOWLEDGEMENT, locale: "en", subject: "B's", body: "B's" }) { templates { subject } } }`,
        {},
        B.ownerToken,
      );
      expect(json(r.data)).not.toMatch(/A secret/);
      expect(json(await aNotificationState())).toBe(before);
    },
    deleteNotificationTemplate: async () => {
      await aNotifications();
      // A's Swiss German wording is not B's to delete: B has none.
      await refused(
        `mutation { deleteNotificationTemplate(kind: TICKET_ACKNOWLEDGEMENT, locale: "de-ch") { kind } }`,
        {},
        aNotificationState,
      );
    },
    sendMarketingEmail: async () => {
      const before = json(await aNotificationState());
      // A's contact is as missing to B as one that never existed: skipped (or refused for want of a mailbox), never mailed.
      const r = await app.gql(
        `mutation($c: ID!) { sendMarketingEmail(input: { contactIds: [$c], subject: "B's", body: "B's" }) { queued skipped { reason } } }`,
        { c: a.contact },
        B.ownerToken,
      );
      expect(r.data?.sendMarketingEmail?.queued ?? 0).toBe(0);
      expect(json(r)).not.toMatch(/A Person|person@A/);
      expect(json(await aNotificationState())).toBe(before);
      expect(await app.database.prisma.notification.count({ where: { kind: "MARKETING" } })).toBe(0);
    },
    setNotificationEnabled: async () => {
      const before = json(await aNotificationState());
      await app.gql(`mutation { setNotificationEnabled(kind: DSR_RECEIPT, enabled: false) { enabled } }`, {}, B.ownerToken);
      expect(json(await aNotificationState())).toBe(before);
    },
    splitTicket: () => refused(`mutation($m: ID!) { splitTicket(messageId: $m) { id } }`, { m: a.message }, aTicket),
    submitSatisfaction: async () => {
      const c = await app.gql(
        `mutation($c: ID!) { createTicket(input: { subject: "A rated", body: "b", requesterId: $c }) { id } }`,
        { c: a.contact },
        A.ownerToken,
      );
      const id = c.data.createTicket.id;
      await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`, { id }, A.ownerToken);
      const seen = async () =>
        (
          await app.gql(
            `query($id: ID!) { ticket(id: $id) { satisfaction { rating } satisfactionRequest { token } } }`,
            { id },
            A.ownerToken,
          )
        ).data;
      const token = (await seen()).ticket.satisfactionRequest.token;
      // Signed in to B, A's link is not valid: B's caller rates in B only.
      await refused(`mutation($t: String!) { submitSatisfaction(token: $t, rating: 1) { rating } }`, { t: token }, seen, "VALIDATION");
    },
    createView: async () => {
      const r = await app.gql(
        `mutation($c: ID!) { createView(input: { name: "B's", filter: { requesterId: $c } }) { tickets { totalCount } } }`,
        { c: a.contact },
        B.ownerToken,
      );
      expect(r.data.createView.tickets.totalCount).toBe(0);
    },
    updateView: async () =>
      refused(`mutation($id: ID!) { updateView(id: $id, input: { name: "Hijacked" }) { id } }`, { id: await aView() }, aViews),
    deleteView: async () => refused(`mutation($id: ID!) { deleteView(id: $id) }`, { id: await aView() }, aViews),
    createMacro: async () => {
      await aAutomation();
      const before = json(await aAutomationState());
      const r = await app.gql(`mutation { createMacro(input: { title: "A macro", body: "B's", shared: true }) { id } }`, {}, B.ownerToken);
      expect(r.errors).toBeUndefined();
      expect(json(await aAutomationState())).toBe(before);
    },
    updateMacro: async () =>
      refused(
        `mutation($id: ID!) { updateMacro(id: $id, input: { body: "changed by B" }) { id } }`,
        { id: (await aAutomation()).macro },
        aAutomationState,
      ),
    deleteMacro: async () => refused(`mutation($id: ID!) { deleteMacro(id: $id) }`, { id: (await aAutomation()).macro }, aAutomationState),
    applyMacro: async () => {
      const { macro } = await aAutomation();
      await refused(
        `mutation($t: ID!, $m: ID!) { applyMacro(ticketId: $t, macroId: $m) { message { id } } }`,
        { t: b.ticket, m: macro },
        aAutomationState,
      );
      await refused(
        `mutation($t: ID!, $m: ID!) { applyMacro(ticketId: $t, macroId: $m) { message { id } } }`,
        { t: a.ticket, m: macro },
        aTicket,
      );
    },
    createAutomationRule: async () => {
      const { macro } = await aAutomation();
      // A's macro named in B's rule: as missing as one that never existed.
      const r = await app.gql(
        `mutation($m: ID!) { createAutomationRule(input: { name: "B rule", trigger: TICKET_CREATED, actions: [{ type: SEND_MACRO, macroId: $m }, { type: SET_ASSIGNEE, agentId: "${a.agent}" }] }) { id } }`,
        { m: macro },
        B.ownerToken,
      );
      expect(codes(r)).toEqual(["VALIDATION"]);
      expect((r.errors![0]!.extensions!.fields as { message: string }[]).map((f) => f.message)).toEqual(["no such macro", "no such agent"]);
    },
    updateAutomationRule: async () =>
      refused(
        `mutation($id: ID!) { updateAutomationRule(id: $id, input: { enabled: false }) { id } }`,
        { id: (await aAutomation()).rule },
        aAutomationState,
      ),
    deleteAutomationRule: async () =>
      refused(`mutation($id: ID!) { deleteAutomationRule(id: $id) }`, { id: (await aAutomation()).rule }, aAutomationState),
    reorderAutomationRules: async () => {
      // B's order naming A's rule: refused as a rule B does not have.
      await refused(
        `mutation($ids: [ID!]!) { reorderAutomationRules(ids: $ids) { id } }`,
        { ids: [(await aAutomation()).rule] },
        aAutomationState,
        "VALIDATION",
      );
    },
  },
};

beforeAll(async () => {
  // A Google client for mailboxes: starting an authorization only builds a URL, no request leaves.
  app = await startApp({
    EMAIL_GOOGLE_CLIENT_ID: "isolation-client",
    EMAIL_GOOGLE_CLIENT_SECRET: "isolation-secret",
    EMAIL_OAUTH_REDIRECT_URL: "https://desk.example.test/oauth",
  });
  A = await app.tenant("a");
  B = await app.tenant("b");
  const sa = await seed(A, "A");
  a = sa.ids;
  aKey = sa.key;
  b = (await seed(B, "b")).ids;
  // A runs the echo plugin against a vendor that is down: calls still get recorded.
  await app.gql(
    `mutation { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: "http://127.0.0.1:9" }, { key: "apiKey", value: "a-secret" }]) { id } }`,
    {},
    A.ownerToken,
  );
  await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { id } }`, {}, A.ownerToken);
  await app.gql(
    `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "to the assistant" }) { id } }`,
    { id: a.ticket },
    A.ownerToken,
  );
});
afterAll(() => app?.close());

describe("tenant isolation", () => {
  for (const root of ["Query", "Mutation"] as const) {
    for (const [field, run] of Object.entries(cases[root])) {
      it(`${root}.${field}: tenant B cannot read or change tenant A's data`, run);
    }
  }

  it("lists nested in a page hold only the caller's rows, even where a foreign key points across tenants", async () => {
    // Rows the services never write: B's message and B's tag linked to A's ticket by foreign key.
    const raw = (id: string | undefined) => Buffer.from(id!, "base64").toString().split(":")[1]!;
    const db = app.database.prisma;
    const message = await db.message.create({
      data: {
        tenantId: B.id,
        ticketId: raw(a.ticket),
        authorType: "SYSTEM",
        body: "b's stray message",
        channel: "API",
        createdAt: new Date(Date.now() + 60_000),
      },
    });
    await db.ticketTag.create({ data: { tenantId: B.id, ticketId: raw(a.ticket), tagId: raw(b.tag) } });
    try {
      const page = `{ tickets(first: 10) { edges { node { id lastMessage { body } messages(first: 10) { totalCount edges { node { body } } } tags { name } } } } }`;
      const r = await app.gql(page, {}, A.ownerToken);
      expect(r.errors).toBeUndefined();
      const node = r.data.tickets.edges.map((e: any) => e.node).find((n: any) => n.id === a.ticket);
      expect(node.lastMessage.body).not.toContain("stray");
      expect(json(node.messages)).not.toContain("stray");
      expect(node.messages.totalCount).toBe(node.messages.edges.length);
      expect(node.tags).toEqual([{ name: "a-tag" }]);
    } finally {
      await db.ticketTag.delete({ where: { ticketId_tagId: { ticketId: raw(a.ticket), tagId: raw(b.tag) } } });
      await db.message.delete({ where: { id: message.id } });
    }
  });

  it("has a case for every root query and mutation in the schema", () => {
    for (const root of ["Query", "Mutation"] as const) {
      const type = root === "Query" ? schema.getQueryType()! : schema.getMutationType()!;
      expect(Object.keys(type.getFields()).sort(), `${root} fields without an isolation case`).toEqual(Object.keys(cases[root]).sort());
    }
  });
});
