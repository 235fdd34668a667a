import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../src/graphql/schema.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;
/** A ticket whose last message is an internal note, with its IDs. */
let ids: {
  ticket: string;
  contact: string;
  otherContact: string;
  note: string;
  agent: string;
  apiKey: string;
  suggestion: string;
  field?: string;
};

const ADD = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id internal } }`;
const MESSAGES = `query($id: ID!) {
  ticket(id: $id) {
    messages(first: 20) { totalCount edges { node { id body internal } } }
    lastMessage { body internal }
  }
}`;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  const created = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    {
      i: {
        subject: "Refund please",
        body: "public question",
        requester: { name: "Ada Lovelace", email: "ada@example.com", phone: "+44 20 7946 0958" },
      },
    },
    t.ownerToken,
  );
  const ticket = created.data.createTicket;
  const note = await app.gql(ADD, { i: { ticketId: ticket.id, body: "secret note: customer is a VIP", internal: true } }, t.ownerToken);
  const agent = await app.agent(t, "AGENT");
  await app.gql(
    `mutation($id: ID!, $a: ID!) { updateTicket(id: $id, input: { assigneeId: $a }) { id } }`,
    { id: ticket.id, a: agent.id },
    t.ownerToken,
  );
  const key = await app.gql(
    `mutation { createApiKey(input: { name: "victim", scopes: [TICKETS_READ] }) { apiKey { id } } }`,
    {},
    t.ownerToken,
  );
  const other = await app.gql(`mutation { createContact(input: { name: "Bob" }) { id } }`, {}, t.ownerToken);
  ids = {
    ticket: ticket.id,
    contact: ticket.requester.id,
    otherContact: other.data.createContact.id,
    note: note.data.addMessage.id,
    agent: agent.id,
    apiKey: key.data.createApiKey.apiKey.id,
    suggestion: "",
  };
  // A custom field, for the field mutations.
  ids.field = (
    await app.gql(
      `mutation { createCustomField(input: { entity: TICKET, key: "perm_field", label: "P", type: TEXT }) { id } }`,
      {},
      t.ownerToken,
    )
  ).data.createCustomField.id;
  // A suggestion of the owner's, for acceptSuggestion.
  const classified = await app.gql(
    `mutation($id: ID!) { classifyTicket(ticketId: $id) { suggestion { id } } }`,
    { id: ids.ticket },
    t.ownerToken,
  );
  ids.suggestion = classified.data.classifyTicket.suggestion.id;
});
afterAll(() => app?.close());

/** An open RESTRICTION request for the ticket's requester: completing it would show as `restricted` in the snapshot. */
let requestId = "";
beforeAll(async () => {
  const r = await app.gql(
    `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: RESTRICTION }) { id } }`,
    { c: ids.contact },
    t.ownerToken,
  );
  requestId = r.data.fileDataSubjectRequest.id;
});

/** A calendar, an SLA policy and a team of the tenant: changing or deleting them would show in the snapshot. */
const workflow = { calendar: "", policy: "", team: "" };
beforeAll(async () => {
  const cal = await app.gql(
    `mutation { createCalendar(input: { name: "Office", timeZone: "Europe/Paris", hours: [{ weekday: 1, from: "09:00", to: "17:00" }] }) { id } }`,
    {},
    t.ownerToken,
  );
  workflow.calendar = cal.data.createCalendar.id;
  const policy = await app.gql(`mutation { createSlaPolicy(input: { name: "Default", resolutionMinutes: 600 }) { id } }`, {}, t.ownerToken);
  workflow.policy = policy.data.createSlaPolicy.id;
  const team = await app.gql(`mutation { createTeam(input: { name: "Support" }) { id } }`, {}, t.ownerToken);
  workflow.team = team.data.createTeam.id;
});

/** A webhook endpoint and one delivery of the tenant, written directly (this app refuses loopback URLs; they never send). */
const webhook = { endpoint: "", delivery: "" };
beforeAll(async () => {
  const raw = (id: string) => Buffer.from(id, "base64").toString().split(":")[1]!;
  const endpoint = await app.database.prisma.webhookEndpoint.create({
    data: {
      tenantId: t.id,
      url: "http://127.0.0.1:9/hook",
      eventTypes: ["TICKET_CREATED"],
      selection: "seq",
      apiKeyId: raw(ids.apiKey),
      secrets: [],
      enabled: false,
    },
  });
  const delivery = await app.database.prisma.webhookDelivery.create({
    data: { tenantId: t.id, endpointId: endpoint.id, eventSeq: 1, eventType: "TICKET_CREATED", status: "FAILED", attempts: 1 },
  });
  webhook.endpoint = Buffer.from(`WebhookEndpoint:${endpoint.id}`).toString("base64");
  webhook.delivery = Buffer.from(`WebhookDelivery:${delivery.id}`).toString("base64");
});

/** A connected mailbox of the tenant, written directly (connecting one needs a mail server): disconnecting it would show in the snapshot. */
let mailboxId = "";
beforeAll(async () => {
  const row = await app.database.prisma.mailbox.create({
    data: {
      tenantId: t.id,
      kind: "IMAP",
      address: "support@example.com",
      imapHost: "imap.example.com",
      imapPort: 993,
      imapSecurity: "TLS",
      smtpHost: "smtp.example.com",
      smtpPort: 465,
      smtpSecurity: "TLS",
      username: "support@example.com",
    },
  });
  mailboxId = Buffer.from(`Mailbox:${row.id}`).toString("base64");
});

/** A shared macro and an automation rule of the tenant: changing either would show in the snapshot. */
const automation = { macro: "", rule: "" };
beforeAll(async () => {
  const macro = await app.gql(
    `mutation { createMacro(input: { title: "Ack", body: "Thanks {{requester.firstName}}", shared: true }) { id } }`,
    {},
    t.ownerToken,
  );
  automation.macro = macro.data.createMacro.id;
  const rule = await app.gql(
    `mutation { createAutomationRule(input: { name: "Never", trigger: TICKET_UPDATED, conditions: { all: [{ field: "subject", op: CONTAINS, value: "never-matches" }] }, actions: [{ type: ADD_TAGS, tags: ["x"] }] }) { id } }`,
    {},
    t.ownerToken,
  );
  automation.rule = rule.data.createAutomationRule.id;
});

/** What the owner sees of the ticket: proves a refused mutation changed nothing. */
const snapshot = async () =>
  JSON.stringify(
    (
      await app.gql(
        `query($id: ID!) {
          ticket(id: $id) { subject status assignee { id } messages { totalCount } requester { name email restricted legalHold consents { purpose status } } }
          contacts { totalCount } organizations { totalCount } agents { totalCount edges { node { role disabled } } }
          apiKeys { totalCount }
          mailboxes { address status }
          calendars { name } slaPolicies { name } teams { name strategy members { id } }
          macros { id title body } automationRules { id name enabled position }
          notificationSettings { kind enabled templates { locale subject body } }
        }`,
        { id: ids.ticket },
        t.ownerToken,
      )
    ).data,
  );

/** Each mutation with valid arguments; who may run it is what the tests vary. */
const mutations = (): Record<string, [string, Record<string, unknown>]> => ({
  createTicket: [`mutation($c: ID!) { createTicket(input: { subject: "s", body: "b", requesterId: $c }) { id } }`, { c: ids.contact }],
  updateTicket: [`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "changed" }) { id } }`, { id: ids.ticket }],
  addMessage: [ADD, { i: { ticketId: ids.ticket, body: "a reply" } }],
  createCustomField: [`mutation { createCustomField(input: { entity: TICKET, key: "viewer_try", label: "V", type: TEXT }) { id } }`, {}],
  updateCustomField: [`mutation($id: ID!) { updateCustomField(id: $id, input: { label: "changed" }) { id } }`, { id: ids.field }],
  deleteCustomField: [`mutation($id: ID!) { deleteCustomField(id: $id) { id } }`, { id: ids.field }],
  mergeTickets: [`mutation($s: [ID!]!, $t: ID!) { mergeTickets(sourceIds: $s, targetId: $t) { id } }`, { s: [ids.ticket], t: ids.ticket }],
  splitTicket: [`mutation($m: ID!) { splitTicket(messageId: $m) { id } }`, { m: ids.note }],
  addNote: [ADD, { i: { ticketId: ids.ticket, body: "a note", internal: true } }],
  createMacro: [`mutation { createMacro(input: { title: "Mine", body: "Hello" }) { id } }`, {}],
  setNotificationTemplate: [
    `mutation { setNotificationTemplate(input: { kind: TICKET_ACKNOWLEDGEMENT, locale: "en", subject: "Changed", body: "Changed" }) { kind } }`,
    {},
  ],
  deleteNotificationTemplate: [`mutation { deleteNotificationTemplate(kind: TICKET_ACKNOWLEDGEMENT, locale: "en") { kind } }`, {}],
  setNotificationEnabled: [`mutation { setNotificationEnabled(kind: TICKET_ACKNOWLEDGEMENT, enabled: true) { enabled } }`, {}],
  sendMarketingEmail: [
    `mutation($c: ID!) { sendMarketingEmail(input: { contactIds: [$c], subject: "S", body: "B" }) { queued } }`,
    { c: ids.contact },
  ],
  updateMacro: [`mutation($id: ID!) { updateMacro(id: $id, input: { body: "changed" }) { id } }`, { id: automation.macro }],
  deleteMacro: [`mutation($id: ID!) { deleteMacro(id: $id) }`, { id: automation.macro }],
  applyMacro: [
    `mutation($t: ID!, $m: ID!) { applyMacro(ticketId: $t, macroId: $m) { message { id } } }`,
    { t: ids.ticket, m: automation.macro },
  ],
  createAutomationRule: [
    `mutation { createAutomationRule(input: { name: "r", trigger: TICKET_CREATED, actions: [{ type: ADD_TAGS, tags: ["y"] }] }) { id } }`,
    {},
  ],
  updateAutomationRule: [`mutation($id: ID!) { updateAutomationRule(id: $id, input: { enabled: false }) { id } }`, { id: automation.rule }],
  deleteAutomationRule: [`mutation($id: ID!) { deleteAutomationRule(id: $id) }`, { id: automation.rule }],
  reorderAutomationRules: [`mutation($ids: [ID!]!) { reorderAutomationRules(ids: $ids) { id } }`, { ids: [automation.rule] }],
  createContact: [`mutation { createContact(input: { name: "New Person" }) { id } }`, {}],
  updateContact: [`mutation($id: ID!) { updateContact(id: $id, input: { name: "Renamed" }) { id } }`, { id: ids.contact }],
  mergeContacts: [
    `mutation($s: ID!, $t: ID!) { mergeContacts(sourceId: $s, targetId: $t) { id } }`,
    { s: ids.otherContact, t: ids.contact },
  ],
  createOrganization: [`mutation { createOrganization(input: { name: "Initech" }) { id } }`, {}],
  inviteAgent: [`mutation { inviteAgent(input: { email: "new@example.com", name: "New" }) { invitationToken } }`, {}],
  createApiKey: [`mutation { createApiKey(input: { name: "k", scopes: [TICKETS_READ] }) { secret } }`, {}],
  revokeApiKey: [`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: ids.apiKey }],
  updateAgentRole: [`mutation($id: ID!) { updateAgentRole(id: $id, role: VIEWER) { id } }`, { id: ids.agent }],
  disableAgent: [`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: ids.agent }],
  enableAgent: [`mutation($id: ID!) { enableAgent(id: $id) { id } }`, { id: ids.agent }],
  grantConsent: [`mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: ids.contact }],
  withdrawConsent: [`mutation($c: ID!) { withdrawConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: ids.contact }],
  objectToProcessing: [
    `mutation($c: ID!) { objectToProcessing(input: { contactId: $c, purpose: "analytics" }) { id } }`,
    { c: ids.contact },
  ],
  withdrawObjection: [`mutation($c: ID!) { withdrawObjection(input: { contactId: $c, purpose: "analytics" }) { id } }`, { c: ids.contact }],
  issuePortalToken: [`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: ids.contact }],
  revokePortalTokens: [`mutation($c: ID!) { revokePortalTokens(contactId: $c) }`, { c: ids.contact }],
  configurePlugin: [
    `mutation { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: "http://127.0.0.1:1" }]) { id } }`,
    {},
  ],
  enablePlugin: [`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { id } }`, {}],
  disablePlugin: [`mutation { disablePlugin(id: "test-echo") { id } }`, {}],
  connectMailbox: [
    `mutation { connectMailbox(input: { address: "x@example.com", passwordLogin: { imap: { host: "imap.example.com", port: 993, security: TLS }, smtp: { host: "smtp.example.com", port: 465, security: TLS }, password: "x" } }) { id } }`,
    {},
  ],
  disconnectMailbox: [`mutation($id: ID!) { disconnectMailbox(id: $id) { id } }`, { id: mailboxId }],
  startMailboxAuthorization: [
    `mutation { startMailboxAuthorization(input: { provider: GOOGLE, address: "x@example.com" }) { state } }`,
    {},
  ],
  completeMailboxAuthorization: [`mutation { completeMailboxAuthorization(input: { code: "c", state: "s" }) { id } }`, {}],
  setRetentionRule: [`mutation { setRetentionRule(target: SOLVED_TICKET_MESSAGES, keepDays: 1, action: DELETE) { target } }`, {}],
  removeRetentionRule: [`mutation { removeRetentionRule(target: SOLVED_TICKET_MESSAGES) { target } }`, {}],
  publishPolicyVersion: [`mutation { publishPolicyVersion(input: { version: "v-viewer" }) { id } }`, {}],
  addAttachment: [
    `mutation($m: ID!) { addAttachment(input: { messageId: $m, filename: "a.txt", contentType: "text/plain", contentBase64: "eA==" }) { id } }`,
    { m: ids.note },
  ],
  createAttachmentUpload: [
    `mutation($t: ID!) { createAttachmentUpload(input: { ticketId: $t, filename: "a.txt", contentType: "text/plain", size: 1 }) { uploadUrl } }`,
    { t: ids.ticket },
  ],
  uploadAttachment: [
    `mutation($t: ID!, $f: Upload!) { uploadAttachment(input: { ticketId: $t, file: $f }) { id } }`,
    { t: ids.ticket, f: new File(["x"], "a.txt", { type: "text/plain" }) },
  ],
  restrictProcessing: [`mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "asked") { id } }`, { c: ids.contact }],
  liftRestriction: [`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: ids.contact }],
  placeLegalHold: [`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "court") { id } }`, { c: ids.contact }],
  releaseLegalHold: [`mutation($c: ID!) { releaseLegalHold(contactId: $c) { id } }`, { c: ids.contact }],
  createWebhookEndpoint: [
    `mutation($k: ID!) { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hook", eventTypes: [TICKET_CREATED], selection: "seq", apiKeyId: $k }) { secret } }`,
    { k: ids.apiKey },
  ],
  updateWebhookEndpoint: [
    `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { selection: "type" }) { id } }`,
    { id: webhook.endpoint },
  ],
  deleteWebhookEndpoint: [`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: webhook.endpoint }],
  rotateWebhookSecret: [`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: webhook.endpoint }],
  resendWebhookDelivery: [`mutation($id: ID!) { resendWebhookDelivery(id: $id) { id } }`, { id: webhook.delivery }],
  fileDataSubjectRequest: [
    `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ACCESS }) { id } }`,
    { c: ids.contact },
  ],
  extendDataSubjectRequest: [`mutation($id: ID!) { extendDataSubjectRequest(id: $id, reason: "busy") { id } }`, { id: requestId }],
  refuseDataSubjectRequest: [`mutation($id: ID!) { refuseDataSubjectRequest(id: $id, reason: "no") { id } }`, { id: requestId }],
  completeDataSubjectRequest: [`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { id } }`, { id: requestId }],
  startCheckout: [`mutation { startCheckout(plan: "TEAM", seats: 3, returnUrl: "https://desk.example.com/billing") { url } }`, {}],
  openBillingPortal: [`mutation { openBillingPortal(returnUrl: "https://desk.example.com/billing") { url } }`, {}],
  changeSeats: [`mutation { changeSeats(seats: 4) { seats } }`, {}],
  cancelSubscription: [`mutation { cancelSubscription { status } }`, {}],
  operatorCreateTenant: [
    `mutation { operatorCreateTenant(input: { name: "Sneaky", slug: "sneaky", ownerEmail: "me@sneaky.example", ownerName: "Me" }) { invitationToken } }`,
    {},
  ],
  operatorCloseTenant: [`mutation($s: String!) { operatorCloseTenant(slug: $s) { closedAt } }`, { s: t.slug }],
  suggestReply: [`mutation($id: ID!) { suggestReply(ticketId: $id) { text } }`, { id: ids.ticket }],
  summarizeTicket: [`mutation($id: ID!) { summarizeTicket(ticketId: $id) { text } }`, { id: ids.ticket }],
  classifyTicket: [`mutation($id: ID!) { classifyTicket(ticketId: $id) { provider } }`, { id: ids.ticket }],
  translateMessage: [`mutation($m: ID!) { translateMessage(messageId: $m, targetLocale: "de") { text } }`, { m: ids.note }],
  acceptSuggestion: [`mutation($id: ID!) { acceptSuggestion(id: $id) { accepted } }`, { id: ids.suggestion }],
  updateAiSettings: [`mutation { updateAiSettings(input: { enabled: false }) { enabled } }`, {}],
  operatorReopenTenant: [`mutation($s: String!) { operatorReopenTenant(slug: $s) { closedAt } }`, { s: t.slug }],
  createCalendar: [
    `mutation { createCalendar(input: { name: "C", timeZone: "UTC", hours: [{ weekday: 1, from: "09:00", to: "17:00" }] }) { id } }`,
    {},
  ],
  updateCalendar: [`mutation($id: ID!) { updateCalendar(id: $id, input: { name: "X" }) { id } }`, { id: workflow.calendar }],
  deleteCalendar: [`mutation($id: ID!) { deleteCalendar(id: $id) }`, { id: workflow.calendar }],
  createSlaPolicy: [`mutation { createSlaPolicy(input: { name: "P", resolutionMinutes: 60 }) { id } }`, {}],
  updateSlaPolicy: [`mutation($id: ID!) { updateSlaPolicy(id: $id, input: { name: "X" }) { id } }`, { id: workflow.policy }],
  deleteSlaPolicy: [`mutation($id: ID!) { deleteSlaPolicy(id: $id) }`, { id: workflow.policy }],
  reorderSlaPolicies: [`mutation($id: ID!) { reorderSlaPolicies(ids: [$id]) { id } }`, { id: workflow.policy }],
  createTeam: [`mutation { createTeam(input: { name: "T" }) { id } }`, {}],
  updateTeam: [`mutation($id: ID!) { updateTeam(id: $id, input: { name: "X" }) { id } }`, { id: workflow.team }],
  deleteTeam: [`mutation($id: ID!) { deleteTeam(id: $id) }`, { id: workflow.team }],
  changeTeamMembers: [`mutation($id: ID!) { changeTeamMembers(teamId: $id, removeAgentIds: []) { id } }`, { id: workflow.team }],
  setMyAvailability: [`mutation { setMyAvailability(available: false) { available } }`, {}],
  assignTicket: [`mutation($t: ID!, $id: ID!) { assignTicket(ticketId: $t, teamId: $id) { id } }`, { t: ids.ticket, id: workflow.team }],
});

/** The operator API's fields: for OPERATOR_KEY only, never a tenant's credential. */
const OPERATOR_MUTATIONS = ["operatorCreateTenant", "operatorCloseTenant", "operatorReopenTenant"];
const OPERATOR_QUERIES = [
  `{ operatorTenants(first: 5) { edges { node { slug closedAt } } } }`,
  `{ operatorClosureReceipts { slug counts } }`,
  `{ operatorAuditLog(first: 5) { action } }`,
];

/** Managing people, keys and privacy: OWNER and ADMIN only, never a key. */
const MANAGE = [
  "inviteAgent",
  "createApiKey",
  "revokeApiKey",
  "updateAgentRole",
  "disableAgent",
  "enableAgent",
  "restrictProcessing",
  "liftRestriction",
  "placeLegalHold",
  "releaseLegalHold",
  "setRetentionRule",
  "removeRetentionRule",
  "publishPolicyVersion",
  "fileDataSubjectRequest",
  "extendDataSubjectRequest",
  "refuseDataSubjectRequest",
  "completeDataSubjectRequest",
];
// Webhooks send the tenant's data out under an API key's permissions: managed like the keys.
MANAGE.push("createWebhookEndpoint", "updateWebhookEndpoint", "deleteWebhookEndpoint", "rotateWebhookSecret", "resendWebhookDelivery");
// The team's shared macros and automation rules are the admins' to shape; an agent keeps personal macros.
MANAGE.push("updateMacro", "deleteMacro", "createAutomationRule", "updateAutomationRule", "deleteAutomationRule", "reorderAutomationRules");
// Buying, changing and cancelling the subscription: billing:manage, OWNER and ADMIN only.
MANAGE.push("startCheckout", "openBillingPortal", "changeSeats", "cancelSubscription");
// Turning AI assistance off or allowing special categories is a privacy decision.
MANAGE.push("updateAiSettings");
// Calendars, SLA policies and teams are tenant configuration: agents:manage, like API keys and webhooks.
MANAGE.push(
  "createCalendar",
  "updateCalendar",
  "deleteCalendar",
  "createSlaPolicy",
  "updateSlaPolicy",
  "deleteSlaPolicy",
  "reorderSlaPolicies",
  "createTeam",
  "updateTeam",
  "deleteTeam",
  "changeTeamMembers",
);
// Connecting and disconnecting mailboxes: plugins:manage, OWNER and ADMIN only (the mailbox's password is a key to the tenant's mail).
MANAGE.push("connectMailbox", "disconnectMailbox", "startMailboxAuthorization", "completeMailboxAuthorization");
// What the helpdesk tells people on its own, in which words: tenant settings, plugins:manage like the channels it uses.
MANAGE.push("setNotificationTemplate", "deleteNotificationTemplate", "setNotificationEnabled", "sendMarketingEmail");
// Creating and closing tenants: the operator's, never a tenant's (see "operator API" below).
MANAGE.push(...OPERATOR_MUTATIONS);

async function expectForbidden(names: string[], token: string) {
  const before = await snapshot();
  for (const name of names) {
    const [query, variables] = mutations()[name]!;
    const r = await app.gql(query, variables, token);
    expect(codes(r), name).toEqual(["FORBIDDEN"]);
    // No data: null, or a nullable field left null (AI operations, which carry @consent).
    expect(
      Object.values(r.data ?? {}).filter((v) => v !== null),
      name,
    ).toEqual([]);
  }
  expect(await snapshot()).toBe(before);
}

describe("roles", () => {
  it("has a VIEWER case for every mutation", () => {
    // Mutations a VIEWER may run: they change no tenant data.
    // Saved views are the caller's own preferences (sharing them needs fields:manage); a satisfaction link is its own credential.
    const open = [
      "signIn",
      "signOut",
      "acceptInvitation",
      "acceptPolicyVersion",
      "createView",
      "updateView",
      "deleteView",
      "submitSatisfaction",
    ];
    const cases = Object.keys(mutations()).filter((m) => m !== "addNote");
    expect([...cases, ...open].sort()).toEqual(Object.keys(schema.getMutationType()!.getFields()).sort());
  });

  it("VIEWER reads everything but cannot run any mutation that changes data", async () => {
    const viewer = await app.agent(t, "VIEWER");
    const read = await app.gql(MESSAGES, { id: ids.ticket }, viewer.token);
    expect(read.data.ticket.messages.totalCount).toBe(2);
    await expectForbidden(Object.keys(mutations()), viewer.token);
  });

  it("AGENT works tickets and contacts but cannot manage the team, API keys or privacy holds", async () => {
    const agent = await app.agent(t, "AGENT");
    await expectForbidden(MANAGE, agent.token);
    expect(codes(await app.gql(`{ apiKeys { totalCount } }`, {}, agent.token))).toEqual(["FORBIDDEN"]);
    const [query, variables] = mutations().createOrganization!;
    expect(codes(await app.gql(query, variables, agent.token))).toEqual([]);
  });
});

describe("operator API", () => {
  it("has a case here for every operator root field", () => {
    const roots = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) => Object.keys(type.getFields()));
    const covered = [...OPERATOR_MUTATIONS, ...OPERATOR_QUERIES.map((q) => /\{ (\w+)/.exec(q)![1]!)];
    expect(roots.filter((f) => f.startsWith("operator")).sort()).toEqual(covered.sort());
  });

  it("is refused to agents of every role, API keys and portal contacts", async () => {
    const portal = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: ids.contact }, t.ownerToken);
    const callers: Record<string, string> = {
      OWNER: t.ownerToken,
      ADMIN: (await app.agent(t, "ADMIN")).token,
      AGENT: (await app.agent(t, "AGENT")).token,
      VIEWER: (await app.agent(t, "VIEWER")).token,
      "API key": await app.apiKey(t, [
        "TICKETS_READ",
        "TICKETS_WRITE",
        "NOTES_READ",
        "NOTES_WRITE",
        "CONTACTS_READ",
        "CONTACTS_WRITE",
        "AGENTS_READ",
      ]),
      "portal contact": portal.data.issuePortalToken.token,
    };
    const tenantsBefore = await app.database.prisma.tenant.findMany({ select: { slug: true, closedAt: true }, orderBy: { slug: "asc" } });
    for (const [who, token] of Object.entries(callers)) {
      for (const query of OPERATOR_QUERIES) {
        const r = await app.gql(query, {}, token);
        expect(codes(r), `${who}: ${query}`).toEqual(["FORBIDDEN"]);
        expect(r.data, `${who}: ${query}`).toBeNull();
      }
      await expectForbidden(OPERATOR_MUTATIONS, token);
    }
    expect(await app.database.prisma.tenant.findMany({ select: { slug: true, closedAt: true }, orderBy: { slug: "asc" } })).toEqual(
      tenantsBefore,
    );
  });
});

describe("internal notes", () => {
  it("are invisible to an API key without NOTES_READ: messages, totalCount, lastMessage, node, text search", async () => {
    const key = await app.apiKey(t, ["TICKETS_READ"]);
    const r = await app.gql(MESSAGES, { id: ids.ticket }, key);
    expect(r.errors).toBeUndefined();
    expect(r.data.ticket.messages.totalCount).toBe(1);
    expect(r.data.ticket.messages.edges.map((e: any) => e.node.body)).toEqual(["public question"]);
    expect(r.data.ticket.lastMessage).toEqual({ body: "public question", internal: false });

    const node = await app.gql(`query($id: ID!) { node(id: $id) { id ... on Message { body } } }`, { id: ids.note }, key);
    expect(node.data.node).toBeNull();
    expect(JSON.stringify(node)).not.toContain("secret note");
    // Exactly as if there were no such message.
    const missing = Buffer.from("Message:00000000-0000-0000-0000-000000000000").toString("base64");
    const none = await app.gql(`query($id: ID!) { node(id: $id) { id ... on Message { body } } }`, { id: missing }, key);
    expect(codes(node)).toEqual(codes(none));

    const search = await app.gql(`{ tickets(filter: { text: "customer is a VIP" }) { totalCount } }`, {}, key);
    expect(search.data.tickets.totalCount).toBe(0);
  });

  it("are visible to an API key with NOTES_READ", async () => {
    const key = await app.apiKey(t, ["TICKETS_READ", "NOTES_READ"]);
    const r = await app.gql(MESSAGES, { id: ids.ticket }, key);
    expect(r.data.ticket.messages.totalCount).toBe(2);
    expect(r.data.ticket.messages.edges.map((e: any) => e.node.internal)).toEqual([false, true]);
    expect(r.data.ticket.lastMessage).toEqual({ body: "secret note: customer is a VIP", internal: true });
    const node = await app.gql(`query($id: ID!) { node(id: $id) { ... on Message { body } } }`, { id: ids.note }, key);
    expect(node.data.node.body).toBe("secret note: customer is a VIP");
    const search = await app.gql(`{ tickets(filter: { text: "customer is a VIP" }) { totalCount } }`, {}, key);
    expect(search.data.tickets.totalCount).toBe(1);
  });

  it("can be added only with NOTES_WRITE; public replies need TICKETS_WRITE", async () => {
    const notesOnly = await app.apiKey(t, ["TICKETS_READ", "NOTES_READ", "NOTES_WRITE"]);
    const repliesOnly = await app.apiKey(t, ["TICKETS_READ", "NOTES_READ", "TICKETS_WRITE"]);
    const count = async () => (await app.gql(MESSAGES, { id: ids.ticket }, notesOnly)).data.ticket.messages.totalCount;
    const before = await count();

    expect(codes(await app.gql(ADD, { i: { ticketId: ids.ticket, body: "note", internal: true } }, repliesOnly))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(ADD, { i: { ticketId: ids.ticket, body: "reply" } }, notesOnly))).toEqual(["FORBIDDEN"]);
    expect(await count()).toBe(before);

    expect((await app.gql(ADD, { i: { ticketId: ids.ticket, body: "note", internal: true } }, notesOnly)).data.addMessage.internal).toBe(
      true,
    );
    expect((await app.gql(ADD, { i: { ticketId: ids.ticket, body: "reply" } }, repliesOnly)).data.addMessage.internal).toBe(false);
    expect(await count()).toBe(before + 2);
  });
});

describe("personal data of contacts and agents", () => {
  const TICKETS = `{ tickets { edges { node { subject requester { name email phone } assignee { name email } } } } }`;

  it("a key without CONTACTS_READ gets FORBIDDEN on email and phone, and the rest of the response", async () => {
    const key = await app.apiKey(t, ["TICKETS_READ"]);
    const r = await app.gql(TICKETS, {}, key);
    const node = r.data.tickets.edges[0].node;
    expect(node).toEqual({
      subject: "Refund please",
      requester: { name: "Ada Lovelace", email: null, phone: null },
      assignee: { name: "AGENT person", email: null },
    });
    const denied = r.errors!.map((e) => [e.extensions!.code, e.path!.slice(-2).join(".")]);
    expect(denied).toEqual([
      ["FORBIDDEN", "requester.email"],
      ["FORBIDDEN", "requester.phone"],
      ["FORBIDDEN", "assignee.email"],
    ]);
    expect(JSON.stringify(r)).not.toMatch(/ada@example\.com|\+442079460958/);

    expect(codes(await app.gql(`{ contacts { totalCount } }`, {}, key))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(`query($id: ID!) { contact(id: $id) { name } }`, { id: ids.contact }, key))).toEqual(["FORBIDDEN"]);
  });

  it("a key with CONTACTS_READ and AGENTS_READ sees them", async () => {
    const key = await app.apiKey(t, ["TICKETS_READ", "CONTACTS_READ", "AGENTS_READ"]);
    const r = await app.gql(TICKETS, {}, key);
    expect(r.errors).toBeUndefined();
    expect(r.data.tickets.edges[0].node.requester).toEqual({ name: "Ada Lovelace", email: "ada@example.com", phone: "+442079460958" });
    expect(r.data.tickets.edges[0].node.assignee.email).toMatch(/@/);
    expect((await app.gql(`{ contacts { totalCount } }`, {}, key)).data.contacts.totalCount).toBe(2);
  });

  it("a key without CONTACTS_WRITE cannot create a requester along with a ticket", async () => {
    const key = await app.apiKey(t, ["TICKETS_READ", "TICKETS_WRITE"]);
    const r = await app.gql(
      `mutation { createTicket(input: { subject: "s", body: "b", requester: { name: "Sneaky", email: "sneaky@example.com" } }) { id } }`,
      {},
      key,
    );
    expect(codes(r)).toEqual(["FORBIDDEN"]);
    const found = await app.gql(`{ contacts(filter: { email: "sneaky@example.com" }) { totalCount } }`, {}, t.ownerToken);
    expect(found.data.contacts.totalCount).toBe(0);
  });
});

describe("tickets", () => {
  it("a key without TICKETS_READ cannot read tickets in any way", async () => {
    const key = await app.apiKey(t, ["CONTACTS_READ"]);
    expect(codes(await app.gql(`{ tickets { totalCount } }`, {}, key))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(`{ ticket(number: 1) { subject } }`, {}, key))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(`{ tags { name } }`, {}, key))).toEqual(["FORBIDDEN"]);
    const node = await app.gql(`query($id: ID!) { node(id: $id) { ... on Ticket { subject } } }`, { id: ids.ticket }, key);
    expect(node.data.node).toBeNull();
    expect(codes(node)).toEqual(["FORBIDDEN"]);
    const viaContact = await app.gql(`query($id: ID!) { contact(id: $id) { name tickets { totalCount } } }`, { id: ids.contact }, key);
    expect(codes(viaContact)).toEqual(["FORBIDDEN"]);
    expect(JSON.stringify(viaContact)).not.toContain("Refund please");
    // Contacts themselves are readable with this key.
    expect((await app.gql(`query($id: ID!) { contact(id: $id) { email } }`, { id: ids.contact }, key)).data.contact.email).toBe(
      "ada@example.com",
    );
  });
});

describe("API key scopes", () => {
  it("offer exactly the API key scopes, never agents:manage", async () => {
    const r = await app.gql(`{ __type(name: "ApiScope") { enumValues { name } } }`, {}, t.ownerToken);
    expect(r.data.__type.enumValues.map((v: any) => v.name).sort()).toEqual([
      "AGENTS_READ",
      "AI_USE",
      "CONTACTS_READ",
      "CONTACTS_WRITE",
      "NOTES_READ",
      "NOTES_WRITE",
      "TICKETS_READ",
      "TICKETS_WRITE",
    ]);
    const manage = await app.gql(
      `mutation($s: [ApiScope!]!) { createApiKey(input: { name: "k", scopes: $s }) { secret } }`,
      { s: ["AGENTS_MANAGE"] },
      t.ownerToken,
    );
    expect(codes(manage)).toEqual(["VALIDATION"]);
  });

  it("a key with every scope still cannot manage agents, keys or privacy holds", async () => {
    const key = await app.apiKey(t, [
      "TICKETS_READ",
      "TICKETS_WRITE",
      "NOTES_READ",
      "NOTES_WRITE",
      "CONTACTS_READ",
      "CONTACTS_WRITE",
      "AGENTS_READ",
      "AI_USE",
    ]);
    const me = await app.gql(`{ viewer { permissions } }`, {}, key);
    expect(me.data.viewer.permissions).toHaveLength(8);
    expect(me.data.viewer.permissions).not.toContain("agents:manage");
    await expectForbidden(MANAGE, key);
    expect(codes(await app.gql(`{ apiKeys { totalCount } }`, {}, key))).toEqual(["FORBIDDEN"]);
    // It can read the team, though (AGENTS_READ).
    expect((await app.gql(`{ agents { totalCount } }`, {}, key)).data.agents.totalCount).toBeGreaterThan(1);
  });
});
