import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../src/graphql/schema.js";
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
  const org = await app.gql(`mutation($n: String!) { createOrganization(input: { name: $n }) { id } }`, { n: "Shared Name Inc" }, t.ownerToken);
  const ticket = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    { i: { subject: `${label} secret subject`, body: `${label} secret body`, requester: { name: `${label} Person`, email: `person@${label}.example`, organizationId: org.data.createOrganization.id }, tags: [`${label}-tag`] } },
    t.ownerToken,
  );
  const note = await app.gql(
    `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
    { i: { ticketId: ticket.data.createTicket.id, body: `${label} internal`, internal: true } },
    t.ownerToken,
  );
  const second = await app.gql(`mutation($i: ContactInput!) { createContact(input: $i) { id } }`, { i: { name: `${label} Other`, email: `other@${label}.example` } }, t.ownerToken);
  const agent = await app.agent(t, "AGENT");
  const key = await app.gql(`mutation { createApiKey(input: { name: "k", scopes: [TICKETS_READ] }) { apiKey { id } secret } }`, {}, t.ownerToken);
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
  (await app.gql(`query($id: ID!) { ticket(id: $id) { subject status priority assignee { id } messages { totalCount } tags { name } } }`, { id: a.ticket }, A.ownerToken)).data.ticket;
const aContact = async (id = a.contact) =>
  (await app.gql(`query($id: ID!) { contact(id: $id) { name email tickets { totalCount } } }`, { id }, A.ownerToken)).data.contact;
const aAgent = async () => (await app.gql(`query($id: ID!) { node(id: $id) { ... on Agent { role disabled } } }`, { id: a.agent }, A.ownerToken)).data.node;

/** A's echo plugin, configured with a secret and enabled with the transfer accepted. */
const aPlugin = async () =>
  (await app.gql(`{ plugin(id: "test-echo") { enabled transfer settings { key value isSet } acceptance { manifestVersion } } }`, {}, A.ownerToken)).data;

const consentOp = (name: string, purpose: string) => `mutation($c: ID!) { ${name}(input: { contactId: $c, purpose: "${purpose}" }) { id } }`;
const aConsents = async () =>
  (await app.gql(`query($id: ID!) { contact(id: $id) { consents { purpose status } consentHistory { totalCount } } }`, { id: a.contact }, A.ownerToken)).data;
const aPrivacyState = async () =>
  (await app.gql(`query($id: ID!) { contact(id: $id) { restricted legalHold } }`, { id: a.contact }, A.ownerToken)).data;

/** Runs `op` as B and asserts NOT_FOUND, and that `probe` reads the same from A's side before and after. */
async function refused(query: string, variables: Record<string, unknown>, probe: () => Promise<unknown>, code = "NOT_FOUND") {
  const before = json(await probe());
  const r = await app.gql(query, variables, B.ownerToken);
  expect(codes(r)).toEqual([code]);
  expect(json(r.data ?? null)).not.toMatch(/A secret|A Person|person@A/);
  expect(json(await probe())).toBe(before);
}

const cases: Record<"Query" | "Mutation", Record<string, () => Promise<void>>> = {
  Query: {
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
      const filtered = await app.gql(`query($c: ID!) { tickets(filter: { requesterId: $c }) { totalCount } }`, { c: a.contact }, B.ownerToken);
      expect(filtered.data.tickets.totalCount).toBe(0);
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
    pluginCalls: async () => {
      expect((await app.gql(`{ pluginCalls { totalCount } }`, {}, A.ownerToken)).data.pluginCalls.totalCount).toBeGreaterThan(0);
      expect((await app.gql(`{ pluginCalls { totalCount } }`, {}, B.ownerToken)).data.pluginCalls.totalCount).toBe(0);
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
    tags: async () => {
      const r = await app.gql(`{ tags { id name } }`, {}, B.ownerToken);
      expect(r.data.tags.map((t: any) => t.name)).toEqual(["b-tag"]);
    },
  },
  Mutation: {
    signIn: async () => {
      // B's owner credentials do not open tenant A.
      const r = await app.gql(`mutation($t: String!, $e: String!, $p: String!) { signIn(tenant: $t, email: $e, password: $p) { token } }`, { t: A.slug, e: B.ownerEmail, p: B.password });
      expect(codes(r)).toEqual(["UNAUTHENTICATED"]);
    },
    signOut: async () => {
      const token = await app.signIn(B.slug, B.ownerEmail, B.password);
      expect((await app.gql(`mutation { signOut }`, {}, token)).data.signOut).toBe(true);
      expect((await app.gql(`{ viewer { kind } }`, {}, A.ownerToken)).data.viewer.kind).toBe("AGENT");
    },
    acceptInvitation: async () => {
      const invite = await app.gql(`mutation { inviteAgent(input: { email: "new@a.example", name: "New" }) { invitationToken } }`, {}, A.ownerToken);
      const r = await app.gql(`mutation($t: String!) { acceptInvitation(token: $t, password: "long enough password") { token } }`, { t: invite.data.inviteAgent.invitationToken });
      const viewer = await app.gql(`{ viewer { tenant { slug } } }`, {}, r.data.acceptInvitation.token);
      expect(viewer.data.viewer.tenant.slug).toBe(A.slug);
    },
    inviteAgent: async () => {
      // The same email may exist in both tenants without touching A's agent.
      const emailOfA = (await app.gql(`query($id: ID!) { node(id: $id) { ... on Agent { email } } }`, { id: a.agent }, A.ownerToken)).data.node.email;
      const before = json(await aAgent());
      const r = await app.gql(`mutation($e: String!) { inviteAgent(input: { email: $e, name: "Twin" }) { agent { id } } }`, { e: emailOfA }, B.ownerToken);
      expect(r.errors).toBeUndefined();
      expect(r.data.inviteAgent.agent.id).not.toBe(a.agent);
      expect(json(await aAgent())).toBe(before);
    },
    updateAgentRole: () => refused(`mutation($id: ID!) { updateAgentRole(id: $id, role: VIEWER) { id } }`, { id: a.agent }, aAgent),
    disableAgent: () => refused(`mutation($id: ID!) { disableAgent(id: $id) { id } }`, { id: a.agent }, aAgent),
    enableAgent: () => refused(`mutation($id: ID!) { enableAgent(id: $id) { id } }`, { id: a.agent }, aAgent),
    createApiKey: async () => {
      const r = await app.gql(`mutation { createApiKey(input: { name: "b2", scopes: [TICKETS_READ, CONTACTS_READ, NOTES_READ] }) { secret } }`, {}, B.ownerToken);
      const seen = await app.gql(`{ tickets { edges { node { id } } } }`, {}, r.data.createApiKey.secret);
      expect(seen.data.tickets.edges.map((e: any) => e.node.id)).toEqual([b.ticket]);
    },
    revokeApiKey: async () => {
      await refused(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: a.apiKey }, async () => (await app.gql(`{ viewer { kind } }`, {}, aKey)).data);
    },
    createContact: () =>
      refused(`mutation($o: ID!) { createContact(input: { name: "X", organizationId: $o }) { id } }`, { o: a.org }, () => aContact()),
    updateContact: () => refused(`mutation($id: ID!) { updateContact(id: $id, input: { name: "Hijacked" }) { id } }`, { id: a.contact }, () => aContact()),
    mergeContacts: async () => {
      await refused(`mutation($s: ID!, $t: ID!) { mergeContacts(sourceId: $s, targetId: $t) { id } }`, { s: a.contact, t: b.contact }, () => aContact());
      await refused(`mutation($s: ID!, $t: ID!) { mergeContacts(sourceId: $s, targetId: $t) { id } }`, { s: b.contact2, t: a.contact }, () => aContact());
    },
    createOrganization: async () => {
      // Names are unique per tenant only: B may use A's organization name.
      const r = await app.gql(`mutation { createOrganization(input: { name: "Other Shared" }) { id } }`, {}, A.ownerToken);
      const s = await app.gql(`mutation { createOrganization(input: { name: "Other Shared" }) { id } }`, {}, B.ownerToken);
      expect(r.errors).toBeUndefined();
      expect(s.errors).toBeUndefined();
    },
    createTicket: async () => {
      await refused(`mutation($c: ID!) { createTicket(input: { subject: "x", body: "y", requesterId: $c }) { id } }`, { c: a.contact }, () => aContact());
      await refused(
        `mutation($g: ID!, $c: ID!) { createTicket(input: { subject: "x", body: "y", requesterId: $c, assigneeId: $g }) { id } }`,
        { g: a.agent, c: b.contact },
        aAgent,
      );
    },
    updateTicket: () => refused(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "Hijacked", status: SOLVED }) { id } }`, { id: a.ticket }, aTicket),
    addMessage: () => refused(`mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "Hijacked" }) { id } }`, { id: a.ticket }, aTicket),
    addAttachment: async () => {
      const attachments = async () =>
        (await app.gql(`query($id: ID!) { node(id: $id) { ... on Message { attachments { filename } } } }`, { id: a.message }, A.ownerToken)).data;
      await refused(
        `mutation($m: ID!) { addAttachment(input: { messageId: $m, filename: "x.txt", contentType: "text/plain", contentBase64: "eA==" }) { id } }`,
        { m: a.message },
        attachments,
      );
    },
    configurePlugin: async () => {
      const before = json(await aPlugin());
      const r = await app.gql(`mutation { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: "http://127.0.0.1:9" }]) { settings { key value } } }`, {}, B.ownerToken);
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
    grantConsent: () => refused(consentOp("grantConsent", "marketing"), { c: a.contact }, aConsents),
    withdrawConsent: () => refused(consentOp("withdrawConsent", "marketing"), { c: a.contact }, aConsents),
    objectToProcessing: () => refused(consentOp("objectToProcessing", "analytics"), { c: a.contact }, aConsents),
    withdrawObjection: () => refused(consentOp("withdrawObjection", "analytics"), { c: a.contact }, aConsents),
    restrictProcessing: () => refused(`mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "x") { id } }`, { c: a.contact }, aPrivacyState),
    liftRestriction: () => refused(`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: a.contact }, aPrivacyState),
    placeLegalHold: () => refused(`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "x") { id } }`, { c: a.contact }, aPrivacyState),
    releaseLegalHold: () => refused(`mutation($c: ID!) { releaseLegalHold(contactId: $c) { id } }`, { c: a.contact }, aPrivacyState),
    issuePortalToken: () => refused(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: a.contact }, aPrivacyState),
    revokePortalTokens: async () => {
      const portal = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: a.contact }, A.ownerToken);
      const token = portal.data.issuePortalToken.token;
      await refused(`mutation($c: ID!) { revokePortalTokens(contactId: $c) }`, { c: a.contact }, async () => (await app.gql(`{ viewer { kind } }`, {}, token)).data);
    },
  },
};

beforeAll(async () => {
  app = await startApp();
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
  await app.gql(`mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "to the assistant" }) { id } }`, { id: a.ticket }, A.ownerToken);
});
afterAll(() => app?.close());

describe("tenant isolation", () => {
  for (const root of ["Query", "Mutation"] as const) {
    for (const [field, run] of Object.entries(cases[root])) {
      it(`${root}.${field}: tenant B cannot read or change tenant A's data`, run);
    }
  }

  it("has a case for every root query and mutation in the schema", () => {
    for (const root of ["Query", "Mutation"] as const) {
      const type = root === "Query" ? schema.getQueryType()! : schema.getMutationType()!;
      expect(Object.keys(type.getFields()).sort(), `${root} fields without an isolation case`).toEqual(Object.keys(cases[root]).sort());
    }
  });
});
