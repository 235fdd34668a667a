import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryHash } from "../src/audit/chain.js";
import { runAuditVerifyCommand } from "../src/audit/cli.js";
import { appendAudit, appendAuditIn, pruneAudit, verifyAuditChain } from "../src/audit/service.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;

beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

/** The raw database id inside a global ID. */
const raw = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":").slice(1).join(":");
const hex = () => randomBytes(4).toString("hex");

/** The tenant's entries once sealed, oldest first. */
async function entriesOf(t: TestTenant) {
  await app.sequenced(t);
  const rows = await app.database.prisma.auditEntry.findMany({ where: { tenantId: t.id }, orderBy: { seq: "asc" } });
  return rows.map((r) => ({ ...r, seq: r.seq!, prevHash: r.prevHash!, hash: r.hash! }));
}

const CREATE_CONTACT = `mutation($i: ContactInput!) { createContact(input: $i) { id name email } }`;
const UPDATE_CONTACT = `mutation($id: ID!, $i: UpdateContactInput!) { updateContact(id: $id, input: $i) { id } }`;
const MISSING_CONTACT = Buffer.from("Contact:00000000-0000-4000-8000-000000000000").toString("base64");
const AUDIT_LOG = `query($f: AuditFilter, $first: Int, $after: String, $last: Int, $before: String) {
  auditLog(filter: $f, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id seq at actorType actorId action subjectType subjectId subjectIds categories details requestId hash prevHash } }
  }
}`;
const VERIFY = `{ verifyAuditChain { valid checkedEntries firstInvalidSeq reason headSeq headHash } }`;

async function auditLog(t: TestTenant, variables: Record<string, unknown> = {}, token = t.ownerToken) {
  const r = await app.gql(AUDIT_LOG, { first: 100, ...variables }, token);
  expect(r.errors).toBeUndefined();
  return r.data.auditLog as { totalCount: number; pageInfo: any; edges: { cursor: string; node: any }[] };
}

/** A few mutations: contacts created and renamed. Returns the contacts' global IDs. */
async function activity(t: TestTenant, contacts = 3): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < contacts; i++) {
    const r = await app.gql(CREATE_CONTACT, { i: { name: `Person ${i}`, email: `p${i}-${hex()}@example.com` } }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    ids.push(r.data.createContact.id);
    await app.gql(UPDATE_CONTACT, { id: r.data.createContact.id, i: { locale: "fr" } }, t.ownerToken);
  }
  // Mutations' entries are chained shortly after their events are numbered: the tests that edit them by seq need them chained.
  await app.sequenced(t);
  return ids;
}

/** Runs SQL on the audit table with its append-only trigger off, as a database superuser could. */
async function tamper(sql: string, ...params: unknown[]) {
  const { prisma } = app.database;
  await prisma.$executeRawUnsafe(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only"`);
  try {
    await prisma.$executeRawUnsafe(sql, ...params);
  } finally {
    await prisma.$executeRawUnsafe(`ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only"`);
  }
}

async function verifyOverHttp(t: TestTenant) {
  const r = await app.gql(VERIFY, {}, t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.verifyAuditChain;
}

async function command(t: TestTenant | string) {
  const lines: string[] = [];
  const code = await runAuditVerifyCommand(app.database, ["--tenant", typeof t === "string" ? t : t.slug], (l) => lines.push(l));
  return { code, output: lines.join("\n") };
}

describe("mutations", () => {
  it("records each mutation with its actor, outcome and the IDs it named, never personal data", async () => {
    const t = await app.tenant();
    const secret = hex();
    const email = `zebra-${secret}@audit-secret.example`;
    const name = `Quillon ${secret}`;
    const created = await app.gql(CREATE_CONTACT, { i: { name, email, phone: "+33 6 12 34 56 78" } }, t.ownerToken, {
      "x-request-id": "create-1",
    });
    expect(created.errors).toBeUndefined();
    const contactId = created.data.createContact.id;
    const updated = await app.gql(UPDATE_CONTACT, { id: contactId, i: { name: `${name} Jr`, email: `new-${email}` } }, t.ownerToken, {
      "x-request-id": "update-1",
    });
    expect(updated.errors).toBeUndefined();
    const failed = await app.gql(UPDATE_CONTACT, { id: MISSING_CONTACT, i: { name } }, t.ownerToken, { "x-request-id": "fail-1" });
    expect(codes(failed)).toEqual(["NOT_FOUND"]);

    const log = await auditLog(t, { f: { actionPrefix: "mutation." } });
    const byRequest = (id: string) => log.edges.map((e) => e.node).filter((n) => n.requestId === id);
    expect(byRequest("create-1")).toMatchObject([
      {
        action: "mutation.createContact",
        actorType: "AGENT",
        actorId: t.ownerId,
        subjectId: null,
        details: { outcome: "SUCCESS", ids: [] },
      },
    ]);
    expect(byRequest("update-1")).toMatchObject([
      {
        action: "mutation.updateContact",
        actorId: t.ownerId,
        subjectType: "Contact",
        subjectId: raw(contactId),
        details: { outcome: "SUCCESS", ids: [{ type: "Contact", id: raw(contactId) }] },
      },
    ]);
    expect(byRequest("fail-1")).toMatchObject([
      {
        action: "mutation.updateContact",
        details: { outcome: "FAILURE", errorCode: "NOT_FOUND", ids: [{ type: "Contact", id: raw(MISSING_CONTACT) }] },
      },
    ]);
    // Signing in (before there was a viewer) is recorded for the agent who signed in.
    expect(log.edges.map((e) => e.node)).toContainEqual(
      expect.objectContaining({ action: "mutation.signIn", actorType: "AGENT", actorId: t.ownerId }),
    );

    // The payload read the new contact's name and email: one read entry in that request.
    const reads = await auditLog(t, { f: { action: "personalData.read", requestId: "create-1" } });
    expect(reads.edges.map((e) => e.node)).toMatchObject([{ subjectId: raw(contactId), categories: ["user.contact.email", "user.name"] }]);

    // Nothing personal is copied: not in this tenant's entries, not anywhere in the table.
    const everything = JSON.stringify(await app.database.prisma.auditEntry.findMany({ omit: { appendOrder: true } }));
    for (const value of [email, name, secret, "612345678"]) expect(everything).not.toContain(value);
  });

  it("records mutations that ran, up to the one whose failure stopped the rest", async () => {
    const t = await app.tenant();
    const name = `Never Created ${hex()}`;
    const r = await app.gql(
      `mutation($missing: ID!, $name: String!) {
        first: updateContact(id: $missing, input: { locale: "de" }) { id }
        second: createContact(input: { name: $name }) { id }
      }`,
      { missing: MISSING_CONTACT, name },
      t.ownerToken,
      { "x-request-id": "two-mutations" },
    );
    expect(codes(r)).toEqual(["NOT_FOUND"]);
    const contacts = await app.gql(`query($n: String!) { contacts(filter: { text: $n }) { totalCount } }`, { n: name }, t.ownerToken);
    expect(contacts.data.contacts.totalCount).toBe(0);
    const log = await auditLog(t, { f: { requestId: "two-mutations" } });
    expect(log.edges.map((e) => [e.node.action, e.node.details.outcome])).toEqual([["mutation.updateContact", "FAILURE"]]);
  });

  it("counts a mutation as done when only reading its payload failed, and names API keys as actors", async () => {
    const t = await app.tenant();
    const key = await app.apiKey(t, ["CONTACTS_WRITE", "TICKETS_READ"]);
    const r = await app.gql(CREATE_CONTACT, { i: { name: "Keyed", email: `k-${hex()}@example.com` } }, key, { "x-request-id": "by-key" });
    expect(codes(r)).toEqual(["FORBIDDEN"]); // email needs contacts:read
    expect(r.data.createContact.id).toBeTruthy();
    const [entry] = (await auditLog(t, { f: { requestId: "by-key", action: "mutation.createContact" } })).edges.map((e) => e.node);
    expect(entry).toMatchObject({ actorType: "API_KEY", details: { outcome: "SUCCESS" } });
    const keyRow = await app.database.prisma.apiKey.findFirstOrThrow({ where: { tenantId: t.id, name: "test key" } });
    expect(entry.actorId).toBe(keyRow.id);
  });

  it("keeps the response when the audit log cannot be written", async () => {
    const t = await app.tenant();
    const { prisma } = app.database;
    const before = await entriesOf(t);
    await prisma.$executeRawUnsafe(
      `CREATE FUNCTION "audit_test_refuse"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
    );
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER "audit_test_refuse" BEFORE INSERT ON "AuditEntry" FOR EACH ROW WHEN (NEW."tenantId" = '${t.id}'::uuid) EXECUTE FUNCTION "audit_test_refuse"()`,
    );
    try {
      const r = await app.gql(CREATE_CONTACT, { i: { name: "Still Created" } }, t.ownerToken);
      expect(r.errors).toBeUndefined();
      expect(r.data.createContact.name).toBe("Still Created");
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER "audit_test_refuse" ON "AuditEntry"`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION "audit_test_refuse"()`);
    }
    expect((await entriesOf(t)).length).toBe(before.length);
    expect((await verifyOverHttp(t)).valid).toBe(true);
  });
});

describe("reads of personal data", () => {
  it("writes one entry per request naming every data subject read, with the categories read of each", async () => {
    const t = await app.tenant();
    const requesters: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await app.gql(
        `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
        { i: { subject: `Subject ${i}`, body: "Body", requester: { name: `Requester ${i}`, email: `r${i}-${hex()}@example.com` } } },
        t.ownerToken,
      );
      expect(r.errors).toBeUndefined();
      requesters.push(raw(r.data.createTicket.requester.id));
    }
    // A second ticket of the first requester: still one entry for them.
    await app.gql(
      `mutation($c: ID!) { createTicket(input: { subject: "Again", body: "b", requesterId: $c }) { id } }`,
      {
        c: Buffer.from(`Contact:${requesters[0]}`).toString("base64"),
      },
      t.ownerToken,
    );

    const emails = await app.gql(`{ tickets(first: 10) { edges { node { requester { email } } } } }`, {}, t.ownerToken, {
      "x-request-id": "read-emails",
    });
    expect(emails.data.tickets.edges).toHaveLength(4);
    const both = await app.gql(`{ tickets(first: 10) { edges { node { subject requester { email } } } } }`, {}, t.ownerToken, {
      "x-request-id": "read-both",
    });
    expect(both.errors).toBeUndefined();
    const none = await app.gql(`{ tickets(first: 10) { edges { node { number status } } } }`, {}, t.ownerToken, {
      "x-request-id": "read-none",
    });
    expect(none.errors).toBeUndefined();

    const readsOf = async (requestId: string) =>
      (await auditLog(t, { f: { action: "personalData.read", requestId } })).edges.map((e) => e.node);
    const emailReads = await readsOf("read-emails");
    expect(emailReads).toHaveLength(1);
    const sorted = [...requesters].sort();
    expect(emailReads[0]).toMatchObject({
      subjectType: null,
      subjectId: null,
      subjectIds: sorted,
      categories: ["user.contact.email"],
      actorType: "AGENT",
      actorId: t.ownerId,
      details: {
        rootFields: ["tickets"],
        subjects: Object.fromEntries(sorted.map((id) => [id, { type: "Contact", categories: ["user.contact.email"] }])),
      },
    });
    const bothReads = await readsOf("read-both");
    expect(bothReads).toHaveLength(1);
    expect(bothReads[0]!.categories).toEqual(["user.contact.email", "user.content.message"]);
    expect(bothReads[0]!.subjectIds).toEqual(sorted);
    expect(await readsOf("read-none")).toEqual([]);

    // Asked by subject, the log still finds each person's reads.
    const bySubject = await auditLog(t, {
      f: { action: "personalData.read", subjectId: Buffer.from(`Contact:${requesters[1]}`).toString("base64") },
    });
    expect(bySubject.edges.map((e) => e.node.requestId).sort()).toEqual(expect.arrayContaining(["read-both", "read-emails"]));
  });

  it("records nothing for anonymous requests", async () => {
    const t = await app.tenant();
    const before = (await entriesOf(t)).length;
    const r = await app.gql(`query($t: String!) { subprocessors(tenant: $t) { vendor } }`, { t: t.slug });
    expect(r.errors).toBeUndefined();
    const wrong = await app.gql(
      `mutation($t: String!) { signIn(tenant: $t, email: "nobody@x.test", password: "wrong password") { token } }`,
      { t: t.slug },
    );
    expect(codes(wrong)).toEqual(["UNAUTHENTICATED"]);
    expect((await entriesOf(t)).length).toBe(before);
  });
});

describe("auditLog", () => {
  let t: TestTenant;
  let agent: { token: string; id: string };
  let contacts: string[];
  let middle: Date;

  beforeAll(async () => {
    t = await app.tenant();
    contacts = await activity(t, 3);
    agent = await app.agent(t, "AGENT");
    await new Promise((r) => setTimeout(r, 20));
    middle = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await app.gql(UPDATE_CONTACT, { id: contacts[1], i: { locale: "de" } }, agent.token);
    await app.gql(`query($id: ID!) { contact(id: $id) { name } }`, { id: contacts[1] }, agent.token);
  });

  it("lists and counts a change's entry right after it, before the entry had a sequencer run of its own", async () => {
    const fresh = await app.tenant();
    await app.sequenced(fresh);
    const r = await app.gql(CREATE_CONTACT, { i: { name: "Counted", email: `c-${hex()}@example.com` } }, fresh.ownerToken);
    expect(r.errors).toBeUndefined();
    const log = await auditLog(fresh);
    expect(log.edges.map((e) => e.node.action)).toContain("mutation.createContact");
    expect(log.totalCount).toBe(log.edges.length);
  });

  it("counts an entry committed before the request when only the count is asked", async () => {
    const fresh = await app.tenant();
    await app.sequenced(fresh);
    // Appended without telling the sequencer: only the request's own wait numbers it in time.
    await appendAuditIn(app.database.prisma, fresh.id, [{ actorType: "SYSTEM", actorId: null, action: "test.countedAlone" }]);
    const counted = await app.gql(`{ auditLog(filter: { action: "test.countedAlone" }) { totalCount } }`, {}, fresh.ownerToken);
    expect(counted.data.auditLog.totalCount).toBe(1);
  });

  it("lists the tenant's entries newest first, page by page", async () => {
    const all = (await entriesOf(t)).reverse();
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await auditLog(t, { first: 3, after });
      expect(page.totalCount).toBe(all.length);
      seen.push(...page.edges.map((e) => raw(e.node.id)));
      pages++;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));
    expect(pages).toBe(Math.ceil(all.length / 3));

    const first = await auditLog(t, { first: 5 });
    const seqs = first.edges.map((e) => e.node.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const before = await auditLog(t, { first: undefined, last: 2, before: first.edges[4]!.cursor });
    expect(before.edges.map((e) => e.node.seq)).toEqual(seqs.slice(2, 4));
    const oldest = await auditLog(t, { first: undefined, last: 2 });
    expect(oldest.edges.map((e) => e.node.seq)).toEqual([all[all.length - 2]!.seq, all[all.length - 1]!.seq]);
  });

  it("filters by action, actor, subject and time", async () => {
    const all = await entriesOf(t);
    const count = (pred: (e: (typeof all)[number]) => boolean) => all.filter(pred).length;

    const exact = await auditLog(t, { f: { action: "mutation.updateContact" } });
    expect(exact.totalCount).toBe(4);
    expect(exact.edges.every((e) => e.node.action === "mutation.updateContact")).toBe(true);
    const prefix = await auditLog(t, { f: { actionPrefix: "mutation." } });
    expect(prefix.totalCount).toBe(count((e) => e.action.startsWith("mutation.")));
    expect(prefix.totalCount).toBeGreaterThan(exact.totalCount);
    expect((await auditLog(t, { f: { action: "mutation." } })).totalCount).toBe(0);

    const byAgent = await auditLog(t, { f: { actorId: agent.id } });
    expect(byAgent.edges.map((e) => e.node.action).sort()).toEqual([
      "mutation.acceptInvitation",
      "mutation.updateContact",
      "personalData.read",
    ]);
    expect(byAgent.edges.every((e) => e.node.actorId === raw(agent.id))).toBe(true);

    const aboutSecond = await auditLog(t, { f: { subjectId: contacts[1] } });
    expect(aboutSecond.totalCount).toBe(count((e) => e.subjectId === raw(contacts[1]!)));
    expect(aboutSecond.edges.map((e) => e.node.action)).toEqual(expect.arrayContaining(["mutation.updateContact", "personalData.read"]));
    const combined = await auditLog(t, { f: { subjectId: contacts[1], actorId: agent.id, action: "mutation.updateContact" } });
    expect(combined.totalCount).toBe(1);

    const since = await auditLog(t, { f: { since: middle.toISOString() } });
    expect(since.totalCount).toBe(count((e) => e.at >= middle));
    expect(since.totalCount).toBe(2); // the agent's update and its read of the contact
    const until = await auditLog(t, { f: { until: middle.toISOString() } });
    expect(until.totalCount).toBe(all.length - 2);
  });

  it("refuses callers without privacy:manage", async () => {
    const viewer = await app.agent(t, "VIEWER");
    const key = await app.apiKey(t, [
      "TICKETS_READ",
      "TICKETS_WRITE",
      "NOTES_READ",
      "NOTES_WRITE",
      "CONTACTS_READ",
      "CONTACTS_WRITE",
      "AGENTS_READ",
    ]);
    for (const token of [agent.token, viewer.token, key]) {
      expect(codes(await app.gql(`{ auditLog { totalCount } }`, {}, token))).toEqual(["FORBIDDEN"]);
      expect(codes(await app.gql(VERIFY, {}, token))).toEqual(["FORBIDDEN"]);
    }
    expect(codes(await app.gql(`{ auditLog { totalCount } }`, {}))).toEqual(["UNAUTHENTICATED"]);
    const admin = await app.agent(t, "ADMIN");
    const asAdmin = await app.gql(`{ auditLog { totalCount } }`, {}, admin.token);
    expect(asAdmin.data.auditLog.totalCount).toBeGreaterThan(0);
    // Not through node() either.
    const entry = (await auditLog(t, { first: 1 })).edges[0]!.node;
    const viaNode = await app.gql(`query($id: ID!) { node(id: $id) { ... on AuditEntry { action } } }`, { id: entry.id }, agent.token);
    expect(viaNode.data?.node ?? null).toBeNull();
  });

  it("shows each tenant only its own entries", async () => {
    const other = await app.tenant();
    await activity(other, 1);
    const mine = await auditLog(other);
    expect(mine.totalCount).toBe((await entriesOf(other)).length);
    const theirs = new Set((await entriesOf(t)).map((e) => e.id));
    expect(mine.edges.some((e) => theirs.has(raw(e.node.id)))).toBe(false);
    expect((await auditLog(other, { f: { subjectId: contacts[0] } })).totalCount).toBe(0);
    expect((await auditLog(t, { f: { subjectId: contacts[0] } })).totalCount).toBeGreaterThan(0);
    const someEntry = (await auditLog(t, { first: 1 })).edges[0]!.node.id;
    expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: someEntry }, other.ownerToken)).data.node).toBeNull();
    expect((await verifyOverHttp(other)).checkedEntries).toBe(mine.totalCount);
  });
});

describe("verification", () => {
  it("finds a log intact after activity, over the API and with the command", async () => {
    const t = await app.tenant();
    await activity(t, 2);
    const entries = await entriesOf(t);
    const last = entries[entries.length - 1]!;
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(await verifyOverHttp(t)).toEqual({
      valid: true,
      checkedEntries: entries.length,
      firstInvalidSeq: null,
      reason: null,
      headSeq: last.seq,
      headHash: last.hash,
    });
    const cli = await command(t);
    expect(cli.code).toBe(0);
    expect(cli.output).toContain("valid");
    expect(cli.output).toContain(`${entries.length} entries checked`);
    expect((await command("no-such-tenant")).code).toBe(2);
    expect(await runAuditVerifyCommand(app.database, [], () => {})).toBe(2);
  });

  it("checks in batches", async () => {
    const t = await app.tenant();
    await activity(t, 3);
    const n = (await entriesOf(t)).length;
    expect(await verifyAuditChain(app.database, t.id, { batchSize: 2 })).toMatchObject({ valid: true, checkedEntries: n });
    await tamper(`UPDATE "AuditEntry" SET "categories" = ARRAY['user.name'] WHERE "tenantId" = $1::uuid AND "seq" = $2`, t.id, n - 1);
    expect(await verifyAuditChain(app.database, t.id, { batchSize: 2 })).toMatchObject({
      valid: false,
      firstInvalidSeq: n - 1,
      checkedEntries: n - 2,
    });
  });

  it("has a table that refuses updates", async () => {
    const t = await app.tenant();
    const update = [`UPDATE "AuditEntry" SET "action" = 'x' WHERE "tenantId" = $1::uuid`, t.id] as const;
    // (The embedded driver loses the message, "AuditEntry is append-only", on the way up.)
    await expect(app.database.prisma.$executeRawUnsafe(...update)).rejects.toThrow();
    expect((await entriesOf(t)).map((e) => e.action)).toEqual(["mutation.signIn"]);
    // The same statement goes through with the trigger off: the trigger is what refused it.
    await tamper(...update);
    expect((await entriesOf(t)).map((e) => e.action)).toEqual(["x"]);
  });

  it("detects an edited entry", async () => {
    const t = await app.tenant();
    await activity(t, 2);
    await tamper(`UPDATE "AuditEntry" SET "details" = '{"outcome":"FAILURE"}' WHERE "tenantId" = $1::uuid AND "seq" = 3`, t.id);
    const r = await verifyOverHttp(t);
    expect(r).toMatchObject({ valid: false, firstInvalidSeq: 3, checkedEntries: 2 });
    expect(r.reason).toMatch(/changed/);
    const cli = await command(t);
    expect(cli.code).toBe(1);
    expect(cli.output).toContain("INVALID at seq 3");
  });

  it("detects an edit whose hash was recomputed, at the next link", async () => {
    const t = await app.tenant();
    await activity(t, 2);
    const e = (await entriesOf(t))[2]!;
    const forged = { ...e, actorId: "someone-else" };
    await tamper(
      `UPDATE "AuditEntry" SET "actorId" = $1, "hash" = $2 WHERE "id" = $3::uuid`,
      forged.actorId,
      entryHash(e.prevHash, forged),
      e.id,
    );
    expect(await verifyOverHttp(t)).toMatchObject({ valid: false, firstInvalidSeq: 4 });
  });

  it("detects a deleted entry in the middle", async () => {
    const t = await app.tenant();
    await activity(t, 2);
    await app.database.prisma.auditEntry.deleteMany({ where: { tenantId: t.id, seq: 4 } });
    const r = await verifyOverHttp(t);
    expect(r).toMatchObject({ valid: false, firstInvalidSeq: 4, checkedEntries: 3 });
    expect(r.reason).toMatch(/Entry 4 is missing/);
  });

  it("detects deleted newest entries and a moved head", async () => {
    const t = await app.tenant();
    await activity(t, 2);
    const entries = await entriesOf(t);
    const last = entries[entries.length - 1]!;
    await app.database.prisma.auditEntry.delete({ where: { id: last.id } });
    expect(await verifyAuditChain(app.database, t.id)).toMatchObject({ valid: false, firstInvalidSeq: last.seq });

    const u = await app.tenant();
    await activity(u, 1);
    await app.database.prisma.tenant.update({ where: { id: u.id }, data: { auditHeadHash: "0".repeat(64) } });
    const r = await verifyAuditChain(app.database, u.id);
    expect(r).toMatchObject({ valid: false });
    expect(r.reason).toMatch(/head/);
  });

  it("keeps a pruned log valid, and detects oldest entries deleted without pruning", async () => {
    const t = await app.tenant();
    await activity(t, 3);
    const before = await entriesOf(t);
    expect(await pruneAudit(app.database, t.id, 4)).toBe(4);
    const after = await entriesOf(t);
    expect(after[0]!.seq).toBe(5);
    const pruned = after[after.length - 1]!;
    expect(pruned).toMatchObject({
      action: "audit.pruned",
      actorType: "SYSTEM",
      details: { throughSeq: 4, hashAtThroughSeq: before[3]!.hash, deletedEntries: 4 },
    });
    expect(await verifyOverHttp(t)).toMatchObject({ valid: true, checkedEntries: after.length });

    // Pruning again, through the first pruning's own entry, and asking for what is gone already.
    await activity(t, 1);
    expect(await pruneAudit(app.database, t.id, pruned.seq)).toBe(pruned.seq - 4);
    expect(await pruneAudit(app.database, t.id, 3)).toBe(0);
    await expect(pruneAudit(app.database, t.id, 10_000)).rejects.toThrow(/throughSeq/);
    expect(await verifyAuditChain(app.database, t.id)).toMatchObject({ valid: true, firstInvalidSeq: null });

    // Deleting the oldest remaining entry without pruneAudit breaks it.
    const oldest = (await entriesOf(t))[0]!;
    await app.database.prisma.auditEntry.delete({ where: { id: oldest.id } });
    const r = await verifyOverHttp(t);
    expect(r).toMatchObject({ valid: false, firstInvalidSeq: oldest.seq });
    expect(r.reason).toMatch(/pruning/);
  });

  it("detects the oldest entries deleted from a log that was never pruned", async () => {
    const t = await app.tenant();
    await activity(t, 2);
    await app.database.prisma.auditEntry.deleteMany({ where: { tenantId: t.id, seq: { lte: 2 } } });
    const r = await verifyOverHttp(t);
    expect(r).toMatchObject({ valid: false, firstInvalidSeq: 1, checkedEntries: 0 });
    expect(r.reason).toMatch(/no audit\.pruned entry/);
  });
});

describe("appendAudit", () => {
  it("numbers concurrent appends without gaps and chains them", async () => {
    const t = await app.tenant();
    await app.sequenced(t);
    const start = (await app.database.prisma.tenant.findUniqueOrThrow({ where: { id: t.id } })).auditSeq;
    const sizes = Array.from({ length: 20 }, (_, i) => (i % 3) + 1);
    await Promise.all(
      sizes.map((size, i) =>
        appendAudit(
          app.database,
          t.id,
          Array.from({ length: size }, (_, j) => ({
            actorType: "SYSTEM" as const,
            actorId: null,
            action: "test.parallel",
            details: { i, j },
          })),
        ),
      ),
    );
    const entries = await entriesOf(t);
    const added = sizes.reduce((a, b) => a + b, 0);
    expect(entries.length).toBe(start + added);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
    // Each append's entries keep the order given (concurrent appends may interleave).
    const parallel = entries.filter((e) => e.action === "test.parallel").map((e) => e.details as { i: number; j: number });
    for (const [i, size] of sizes.entries())
      expect(parallel.filter((p) => p.i === i).map((p) => p.j)).toEqual(Array.from({ length: size }, (_, j) => j));
    expect(await verifyAuditChain(app.database, t.id)).toMatchObject({ valid: true, checkedEntries: start + added });
  });

  const entry = (action: string, details: Record<string, number> = {}) => ({
    actorType: "SYSTEM" as const,
    actorId: null,
    action,
    details,
  });

  it("sends appends that arrive while one is being written in one statement", async () => {
    const t = await app.tenant();
    await app.sequenced(t);
    const before = app.database.queryCount;
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendAudit(app.database, t.id, [entry("test.shared", { i })])));
    // The first goes alone; the other 19 arrived while it was on its way and share the next.
    expect(app.database.queryCount - before).toBe(2);
    const rows = await app.database.prisma.auditEntry.findMany({ where: { tenantId: t.id, action: "test.shared" } });
    expect(rows.map((r) => (r.details as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("writes each tenant's entries under its own tenant, never waiting for another tenant's statement", async () => {
    const [a, b] = [await app.tenant(), await app.tenant()];
    const before = app.database.queryCount;
    await Promise.all([
      appendAudit(app.database, a.id, [entry("test.first")]),
      appendAudit(app.database, a.id, [entry("test.mine", { n: 1 })]),
      appendAudit(app.database, b.id, [entry("test.mine", { n: 2 })]),
    ]);
    const sent = app.database.queryCount - before;
    const mine = await app.database.prisma.auditEntry.findMany({
      where: { action: "test.mine" },
      select: { tenantId: true, details: true },
    });
    expect(mine).toEqual(
      expect.arrayContaining([
        { tenantId: a.id, details: { n: 1 } },
        { tenantId: b.id, details: { n: 2 } },
      ]),
    );
    expect(mine.filter((m) => m.tenantId === a.id || m.tenantId === b.id)).toHaveLength(2);
    // A's first goes alone and A's second waits for it; B's is sent at once, beside A's first.
    expect(sent).toBe(3);
  });

  it("fails only the append whose entry the database refuses, not those that shared its statement", async () => {
    const t = await app.tenant();
    // An actor type the database's enum does not have: only the INSERT refuses it.
    const refused = { ...entry("test.orphan"), actorType: "NOBODY" as never };
    const results = await Promise.allSettled([
      appendAudit(app.database, t.id, [entry("test.before")]),
      appendAudit(app.database, t.id, [entry("test.good", { n: 1 })]),
      appendAudit(app.database, t.id, [refused]),
      appendAudit(app.database, t.id, [entry("test.good", { n: 2 })]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const good = await app.database.prisma.auditEntry.findMany({ where: { tenantId: t.id, action: "test.good" } });
    expect(good.map((g) => g.details)).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
    expect(good).toHaveLength(2);
    expect(await app.database.prisma.auditEntry.count({ where: { action: "test.orphan" } })).toBe(0);
    expect(await verifyAuditChain(app.database, t.id)).toMatchObject({ valid: true });
  });

  it("refuses categories outside the taxonomy", async () => {
    const t = await app.tenant();
    await expect(
      appendAudit(app.database, t.id, [{ actorType: "SYSTEM", actorId: null, action: "test.bad", categories: ["user.shoe.size"] }]),
    ).rejects.toThrow(/Unknown data category/);
  });
});
