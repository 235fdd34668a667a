import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/audit/service.js";
import { drainBlobDeletions } from "../src/blobs/deletions.js";
import { openDatabase } from "../src/db/database.js";
import { runSweepCommand } from "../src/retention/command.js";
import { scheduleRetentionSweeps } from "../src/retention/schedule.js";
import { sweep } from "../src/retention/sweep.js";
import { createTenant } from "../src/tenants/service.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { cli, embeddedEnv } from "./support/cli.js";

let app: TestApp;

beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const DAY = 86_400_000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY);
const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

const SET_RULE = `mutation($t: RetentionTarget!, $d: Int!, $a: RetentionAction!) { setRetentionRule(target: $t, keepDays: $d, action: $a) { target keepDays action } }`;
const setRule = async (t: TestTenant, target: string, keepDays: number, action: string) => {
  const r = await app.gql(SET_RULE, { t: target, d: keepDays, a: action }, t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r;
};

/** A ticket with two public messages and an internal note, from a new requester; solved if asked. */
async function ticket(t: TestTenant, label: string, opts: { solve?: boolean; attach?: boolean } = {}) {
  const created = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    {
      i: {
        subject: `${label} subject`,
        body: `${label} first message`,
        requester: { name: `${label} Person`, email: `${label.toLowerCase()}-${Math.random()}@example.com` },
      },
    },
    t.ownerToken,
  );
  const id = created.data.createTicket.id as string;
  const reply = await app.gql(
    `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
    { i: { ticketId: id, body: `${label} reply` } },
    t.ownerToken,
  );
  await app.gql(
    `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
    { i: { ticketId: id, body: `${label} note`, internal: true } },
    t.ownerToken,
  );
  if (opts.attach) {
    const a = await app.gql(
      `mutation($m: ID!) { addAttachment(input: { messageId: $m, filename: "invoice.txt", contentType: "text/plain", contentBase64: "aGVsbG8=" }) { id } }`,
      { m: reply.data.addMessage.id },
      t.ownerToken,
    );
    expect(a.errors).toBeUndefined();
  }
  if (opts.solve) {
    const s = await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { status } }`, { id }, t.ownerToken);
    expect(s.data.updateTicket.status).toBe("SOLVED");
  }
  return { id, contactId: created.data.createTicket.requester.id as string };
}

const messagesOf = async (t: TestTenant, id: string) =>
  (
    await app.gql(
      `query($id: ID!) { ticket(id: $id) { subject messages(first: 50) { totalCount edges { node { body redacted attachments { filename } } } } } }`,
      { id },
      t.ownerToken,
    )
  ).data.ticket;

const processed = (results: Awaited<ReturnType<typeof sweep>>, target: string) => results[0]?.counts[target as "SESSIONS"]?.processed;

describe("retention of solved tickets' messages", () => {
  it("anonymises them keepDays after solving, and leaves open tickets alone", async () => {
    const t = await app.tenant();
    await setRule(t, "SOLVED_TICKET_MESSAGES", 30, "ANONYMIZE");
    const solved = await ticket(t, "Solved", { solve: true, attach: true });
    const open = await ticket(t, "Open");
    const openBefore = await messagesOf(t, open.id);
    const SEARCH = `{ tickets(filter: { text: "Solved reply" }) { totalCount } }`;
    expect((await app.gql(SEARCH, {}, t.ownerToken)).data.tickets.totalCount).toBe(1);

    const early = await sweep(app.database, { tenantId: t.id, now: daysFromNow(29) });
    expect(processed(early, "SOLVED_TICKET_MESSAGES")).toBe(0);
    expect((await messagesOf(t, solved.id)).messages.edges[0].node.body).toBe("Solved first message");

    const late = await sweep(app.database, { tenantId: t.id, now: daysFromNow(31) });
    expect(late[0]).toMatchObject({
      finished: true,
      skippedForHold: 0,
      counts: { SOLVED_TICKET_MESSAGES: { action: "ANONYMIZE", keepDays: 30, processed: 3 } },
    });
    const after = await messagesOf(t, solved.id);
    expect(after.subject).toBe("Solved subject");
    expect(after.messages.totalCount).toBe(3);
    expect(after.messages.edges.map((e: any) => e.node)).toEqual([
      { body: "[redacted]", redacted: true, attachments: [] },
      { body: "[redacted]", redacted: true, attachments: [] },
      { body: "[redacted]", redacted: true, attachments: [] },
    ]);
    expect(await app.database.forTenant(t.id).attachment.count()).toBe(0);
    expect(await messagesOf(t, open.id)).toEqual(openBefore);
    expect((await app.gql(SEARCH, {}, t.ownerToken)).data.tickets.totalCount).toBe(0);
  });

  it("deletes them with DELETE, counting closed-without-solving tickets from when they were closed", async () => {
    const t = await app.tenant();
    await setRule(t, "SOLVED_TICKET_MESSAGES", 10, "DELETE");
    const solved = await ticket(t, "Gone", { solve: true, attach: true });
    const closed = await ticket(t, "Closed");
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: CLOSED }) { status } }`, { id: closed.id }, t.ownerToken);
    const reopened = await ticket(t, "Reopened", { solve: true });
    await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: OPEN }) { status } }`, { id: reopened.id }, t.ownerToken);

    const results = await sweep(app.database, { tenantId: t.id, now: daysFromNow(11) });
    expect(processed(results, "SOLVED_TICKET_MESSAGES")).toBe(6);
    expect((await messagesOf(t, solved.id)).messages.totalCount).toBe(0);
    expect((await messagesOf(t, closed.id)).messages.totalCount).toBe(0);
    expect((await messagesOf(t, reopened.id)).messages.totalCount).toBe(3);
    expect(await app.database.forTenant(t.id).attachment.count()).toBe(0);
  });

  it("skips and counts the messages of a contact under a legal hold until it is released", async () => {
    const t = await app.tenant();
    await setRule(t, "SOLVED_TICKET_MESSAGES", 30, "ANONYMIZE");
    const held = await ticket(t, "Held", { solve: true });
    const free = await ticket(t, "Free", { solve: true });
    await app.gql(`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "litigation") { id } }`, { c: held.contactId }, t.ownerToken);

    const first = await sweep(app.database, { tenantId: t.id, now: daysFromNow(31) });
    expect(first[0]).toMatchObject({ skippedForHold: 3, counts: { SOLVED_TICKET_MESSAGES: { processed: 3, skippedForHold: 3 } } });
    expect((await messagesOf(t, held.id)).messages.edges.map((e: any) => e.node.redacted)).toEqual([false, false, false]);
    expect((await messagesOf(t, free.id)).messages.edges.map((e: any) => e.node.redacted)).toEqual([true, true, true]);

    await app.gql(`mutation($c: ID!) { releaseLegalHold(contactId: $c) { id } }`, { c: held.contactId }, t.ownerToken);
    const second = await sweep(app.database, { tenantId: t.id, now: daysFromNow(31) });
    expect(second[0]).toMatchObject({ skippedForHold: 0, counts: { SOLVED_TICKET_MESSAGES: { processed: 3, skippedForHold: 0 } } });
    expect((await messagesOf(t, held.id)).messages.edges.map((e: any) => e.node.redacted)).toEqual([true, true, true]);
  });

  it("changes nothing when run a second time", async () => {
    const t = await app.tenant();
    await setRule(t, "SOLVED_TICKET_MESSAGES", 5, "ANONYMIZE");
    await setRule(t, "SESSIONS", 1, "DELETE");
    const solved = await ticket(t, "Twice", { solve: true });
    await app.gql(`mutation { signOut }`, {}, await app.signIn(t.slug, t.ownerEmail, t.password));
    const now = daysFromNow(6);

    const first = await sweep(app.database, { tenantId: t.id, now });
    expect(processed(first, "SOLVED_TICKET_MESSAGES")).toBe(3);
    expect(processed(first, "SESSIONS")).toBe(1);
    const state = JSON.stringify(await app.database.forTenant(t.id).message.findMany({ orderBy: { id: "asc" } }));
    const before = await messagesOf(t, solved.id);

    const second = await sweep(app.database, { tenantId: t.id, now });
    expect(second[0]!.counts).toEqual({
      SOLVED_TICKET_MESSAGES: { action: "ANONYMIZE", keepDays: 5, processed: 0, skippedForHold: 0 },
      SESSIONS: { action: "DELETE", keepDays: 1, processed: 0, skippedForHold: 0 },
    });
    expect(JSON.stringify(await app.database.forTenant(t.id).message.findMany({ orderBy: { id: "asc" } }))).toBe(state);
    expect(await messagesOf(t, solved.id)).toEqual(before);
  });

  it("resumes a sweep that stopped after its first batch, and records both runs", async () => {
    const t = await app.tenant();
    await setRule(t, "SOLVED_TICKET_MESSAGES", 1, "DELETE");
    const a = await ticket(t, "First", { solve: true });
    const b = await ticket(t, "Second", { solve: true });
    const now = daysFromNow(2);

    let batches = 0;
    const crashed = await sweep(app.database, {
      tenantId: t.id,
      now,
      batchSize: 1,
      onBatch: () => {
        if (++batches === 1) throw new Error("power cut");
      },
    });
    expect(crashed[0]).toMatchObject({ finished: false, error: "power cut", counts: { SOLVED_TICKET_MESSAGES: { processed: 1 } } });
    const left = (await messagesOf(t, a.id)).messages.totalCount + (await messagesOf(t, b.id)).messages.totalCount;
    expect(left).toBe(5);

    const resumed = await sweep(app.database, { tenantId: t.id, now, batchSize: 2 });
    expect(resumed[0]).toMatchObject({ finished: true, counts: { SOLVED_TICKET_MESSAGES: { processed: 5 } } });
    expect((await messagesOf(t, a.id)).messages.totalCount + (await messagesOf(t, b.id)).messages.totalCount).toBe(0);

    const runs = await app.gql(
      `{ sweepRuns(first: 10) { totalCount edges { node { id finished finishedAt processed skippedForHold counts { target action keepDays processed skippedForHold } } } } }`,
      {},
      t.ownerToken,
    );
    expect(runs.errors).toBeUndefined();
    expect(runs.data.sweepRuns.totalCount).toBe(2);
    const [latest, interrupted] = runs.data.sweepRuns.edges.map((e: any) => e.node);
    expect(interrupted).toMatchObject({ finished: false, finishedAt: null, processed: 1 });
    expect(latest).toMatchObject({
      finished: true,
      processed: 5,
      skippedForHold: 0,
      counts: [{ target: "SOLVED_TICKET_MESSAGES", action: "DELETE", keepDays: 1, processed: 5, skippedForHold: 0 }],
    });
    // Paging by cursor.
    const page = await app.gql(
      `query($a: String) { sweepRuns(first: 1, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }`,
      {},
      t.ownerToken,
    );
    expect(page.data.sweepRuns.edges.map((e: any) => e.node.id)).toEqual([latest.id]);
    expect(page.data.sweepRuns.pageInfo.hasNextPage).toBe(true);
  });
});

describe("retention of solved tickets' files", () => {
  it("deletes the files keepDays after solving, with their stored bytes, keeping the messages, open tickets' files and held contacts'", async () => {
    const t = await app.tenant();
    await setRule(t, "SOLVED_TICKET_ATTACHMENTS", 30, "DELETE");
    const solved = await ticket(t, "Filed", { solve: true, attach: true });
    const open = await ticket(t, "Pending", { attach: true });
    const held = await ticket(t, "Held", { solve: true, attach: true });
    await app.gql(`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "court") { id } }`, { c: held.contactId }, t.ownerToken);
    const db = app.database.forTenant(t.id);
    const solvedFile = await db.attachment.findFirstOrThrow({ where: { ticketId: rawId(solved.id) } });

    expect(processed(await sweep(app.database, { tenantId: t.id, now: daysFromNow(29) }), "SOLVED_TICKET_ATTACHMENTS")).toBe(0);
    const late = await sweep(app.database, { tenantId: t.id, now: daysFromNow(31) });
    expect(late[0]).toMatchObject({ finished: true, skippedForHold: 1, counts: { SOLVED_TICKET_ATTACHMENTS: { processed: 1 } } });

    const after = await messagesOf(t, solved.id);
    expect(after.messages.edges.map((e: any) => [e.node.body, e.node.attachments])).toEqual([
      ["Filed first message", []],
      ["Filed reply", []],
      ["Filed note", []],
    ]);
    for (const kept of [open, held]) expect(await db.attachment.count({ where: { ticketId: rawId(kept.id) } })).toBe(1);
    // The bytes leave the store after the sweep, as the server (and npm run sweep) drain the queue the rows' trigger filled.
    await drainBlobDeletions(app.database);
    await expect(db.$blobs.get(solvedFile.blobKey!)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
  });
});

describe("retention of credentials and exports", () => {
  it("deletes expired portal tokens, data exports and ended sessions, keeping live ones and held contacts'", async () => {
    const t = await app.tenant();
    const db = app.database.forTenant(t.id);
    for (const [target, days] of [
      ["PORTAL_TOKENS", 30],
      ["DATA_EXPORTS", 30],
      ["SESSIONS", 1],
    ] as const)
      await setRule(t, target, days, "DELETE");
    const { contactId } = await ticket(t, "Tokens");
    const held = await ticket(t, "HeldTokens");

    const issue = async (c: string, days: number) =>
      (
        await app.gql(
          `mutation($c: ID!, $d: Int) { issuePortalToken(contactId: $c, validForDays: $d) { token } }`,
          { c, d: days },
          t.ownerToken,
        )
      ).data.issuePortalToken.token;
    const shortLived = await issue(contactId, 1);
    const longLived = await issue(contactId, 365);
    await issue(held.contactId, 1);
    await app.gql(`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "court order") { id } }`, { c: held.contactId }, t.ownerToken);

    const exportFor = async (c: string, expiresInDays: number) => {
      const request = await db.dataSubjectRequest.create({
        data: { tenantId: t.id, contactId: rawId(c), type: "ACCESS", status: "COMPLETED", dueAt: daysFromNow(30), filedByType: "SYSTEM" },
      });
      return db.dataExport.create({
        data: {
          tenantId: t.id,
          requestId: request.id,
          contactId: rawId(c),
          content: Buffer.from("{}"),
          expiresAt: daysFromNow(expiresInDays),
        },
      });
    };
    const expiringExport = await exportFor(contactId, 1);
    const laterExport = await exportFor(contactId, 60);
    await exportFor(held.contactId, 1);

    const signedOut = await app.signIn(t.slug, t.ownerEmail, t.password);
    await app.gql(`mutation { signOut }`, {}, signedOut);
    expect(await db.session.count()).toBe(2); // the owner's, from app.tenant(), and the signed-out one

    const soon = await sweep(app.database, { tenantId: t.id, now: daysFromNow(2) });
    expect(soon[0]!.counts).toMatchObject({
      PORTAL_TOKENS: { processed: 1, skippedForHold: 1 },
      DATA_EXPORTS: { processed: 1, skippedForHold: 1 },
      SESSIONS: { processed: 1 },
    });
    expect(soon[0]!.skippedForHold).toBe(2);
    expect(codes(await app.gql(`{ viewer { kind } }`, {}, shortLived))).toEqual(["UNAUTHENTICATED"]);
    expect((await app.gql(`{ viewer { kind } }`, {}, longLived)).data.viewer.kind).toBe("CONTACT");
    expect((await db.dataExport.findMany({ where: { contactId: rawId(contactId) } })).map((e) => e.id)).toEqual([laterExport.id]);
    expect(await db.dataExport.count({ where: { id: expiringExport.id } })).toBe(0);
    expect(await db.session.count({ where: { revokedAt: { not: null } } })).toBe(0);
    // The owner's session is still in use.
    expect((await app.gql(`{ viewer { kind } }`, {}, t.ownerToken)).data.viewer.kind).toBe("AGENT");

    // A month on: the long-lived token is older than keepDays, the export expired, the owner's session too.
    const later = await sweep(app.database, { tenantId: t.id, now: daysFromNow(31) });
    expect(later[0]!.counts).toMatchObject({
      PORTAL_TOKENS: { processed: 1, skippedForHold: 1 },
      DATA_EXPORTS: { processed: 1, skippedForHold: 1 },
      SESSIONS: { processed: 1 },
    });
    expect(await db.portalToken.count({ where: { contactId: rawId(contactId) } })).toBe(0);
    expect(await db.portalToken.count({ where: { contactId: rawId(held.contactId) } })).toBe(1);
    expect(await db.dataExport.count({ where: { contactId: rawId(contactId) } })).toBe(0);
    expect(await db.dataExport.count({ where: { contactId: rawId(held.contactId) } })).toBe(1);
    expect(await db.session.count()).toBe(0);
  });
});

describe("retention of inactive contacts", () => {
  it("erases contacts without activity for keepDays, as an erasure request does, keeping held and restricted ones", async () => {
    const t = await app.tenant();
    const db = app.database.forTenant(t.id);
    await setRule(t, "INACTIVE_CONTACTS", 365, "ANONYMIZE");
    const gone = await ticket(t, "Gone", { solve: true });
    const busy = await ticket(t, "Busy");
    const held = await ticket(t, "Held");
    const restricted = await ticket(t, "Restricted");
    const fresh = await app.gql(
      `mutation { createContact(input: { name: "Fresh Person", email: "fresh@example.com" }) { id } }`,
      {},
      t.ownerToken,
    );
    await app.gql(`mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "litigation") { id } }`, { c: held.contactId }, t.ownerToken);
    await app.gql(
      `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "contested") { id } }`,
      { c: restricted.contactId },
      t.ownerToken,
    );

    // Everything but Busy's latest message happened 400 days ago.
    const old = new Date(Date.now() - 400 * DAY);
    const ids = [gone, busy, held, restricted].map((x) => rawId(x.contactId));
    await app.database.prisma.$executeRawUnsafe(`UPDATE "Contact" SET "updatedAt" = $1 WHERE id = ANY($2::uuid[])`, old, ids);
    await app.database.prisma.$executeRawUnsafe(
      `UPDATE "Ticket" SET "updatedAt" = $1, "lastMessageAt" = $1, "solvedAt" = $1 WHERE "requesterId" = ANY($2::uuid[])`,
      old,
      ids,
    );
    await app.database.prisma.$executeRawUnsafe(
      `UPDATE "Message" SET "createdAt" = $1 WHERE "ticketId" IN (SELECT id FROM "Ticket" WHERE "requesterId" = ANY($2::uuid[]))`,
      old,
      ids,
    );
    await app.database.prisma.$executeRawUnsafe(`UPDATE "Ticket" SET "lastMessageAt" = now() WHERE id = $1::uuid`, rawId(busy.id));

    const results = await sweep(app.database, { tenantId: t.id });
    expect(results[0]).toMatchObject({
      finished: true,
      skippedForHold: 2,
      counts: { INACTIVE_CONTACTS: { action: "ANONYMIZE", processed: 1, skippedForHold: 2 } },
    });

    const contact = (id: string) =>
      db.contact.findUniqueOrThrow({ where: { id: rawId(id) }, select: { name: true, email: true, erasedAt: true } });
    expect(await contact(gone.contactId)).toEqual({ name: "Erased contact", email: null, erasedAt: expect.any(Date) });
    for (const kept of [busy.contactId, held.contactId, restricted.contactId, fresh.data.createContact.id]) {
      expect((await contact(kept)).erasedAt, kept).toBeNull();
    }
    // The ticket stays, with the anonymous requester; the person's own words are gone.
    const goneTicket = await app.gql(
      `query($id: ID!) { ticket(id: $id) { subject requester { name } messages { edges { node { body } } } } }`,
      { id: gone.id },
      t.ownerToken,
    );
    expect(goneTicket.errors).toBeUndefined();
    expect(goneTicket.data.ticket.requester.name).toBe("Erased contact");
    expect(JSON.stringify(goneTicket.data)).not.toContain("Gone Person");

    const audit = await db.auditEntry.findMany({ where: { action: "retention.anonymized", subjectType: "Contact" } });
    expect(audit.map((e) => [e.subjectId, e.actorType, (e.details as any).target])).toEqual([
      [rawId(gone.contactId), "SYSTEM", "INACTIVE_CONTACTS"],
    ]);

    const again = await sweep(app.database, { tenantId: t.id });
    expect(again[0]!.counts.INACTIVE_CONTACTS).toMatchObject({ processed: 0, skippedForHold: 2 });
  });
});

describe("retention of the audit log", () => {
  it("prunes entries older than keepDays through the audit service, leaving a chain that verifies", async () => {
    const t = await app.tenant();
    const db = app.database.forTenant(t.id);
    await ticket(t, "Audited", { solve: true });
    await setRule(t, "AUDIT_ENTRIES", 30, "DELETE");
    await app.sequenced(t);
    const before = await db.auditEntry.count();
    expect(before).toBeGreaterThan(3);
    const head = (await app.database.prisma.tenant.findUniqueOrThrow({ where: { id: t.id } })).auditSeq;

    const early = await sweep(app.database, { tenantId: t.id, now: daysFromNow(29) });
    expect(early[0]!.counts.AUDIT_ENTRIES).toMatchObject({ processed: 0 });
    expect(await db.auditEntry.count()).toBe(before);

    const results = await sweep(app.database, { tenantId: t.id, now: daysFromNow(31), batchSize: 3 });
    expect(results[0]).toMatchObject({ finished: true, counts: { AUDIT_ENTRIES: { action: "DELETE", keepDays: 30, processed: before } } });
    const left = await db.auditEntry.findMany({ orderBy: { seq: "asc" } });
    // Only the audit service's own records of the pruning remain, each after the old head.
    expect(left.length).toBe(Math.ceil(before / 3));
    expect(left.every((e) => e.action === "audit.pruned" && e.seq! > head)).toBe(true);
    expect(await verifyAuditChain(app.database, t.id)).toMatchObject({ valid: true });
    const verified = await app.gql(`{ verifyAuditChain { valid } }`, {}, t.ownerToken);
    expect(verified.data.verifyAuditChain.valid).toBe(true);
  });

  it("records what other targets removed, by count, in the audit log", async () => {
    const t = await app.tenant();
    await setRule(t, "SOLVED_TICKET_MESSAGES", 1, "DELETE");
    await ticket(t, "Logged", { solve: true });
    await sweep(app.database, { tenantId: t.id, now: daysFromNow(2) });
    const entries = await app.database
      .forTenant(t.id)
      .auditEntry.findMany({ where: { action: "retention.deleted" }, omit: { appendOrder: true } });
    expect(entries.map((e) => ({ actorType: e.actorType, categories: e.categories, details: e.details }))).toEqual([
      {
        actorType: "SYSTEM",
        // A message's files and, for a mail, its headers (names and addresses) go with it.
        categories: ["user.contact.email", "user.content.attachment", "user.content.message", "user.name"],
        details: { runId: expect.any(String), target: "SOLVED_TICKET_MESSAGES", keepDays: 1, count: 3 },
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain("Logged");
  });
});

describe("retention rules over GraphQL", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await app.tenant();
  });

  it("lists every target, with nulls until a rule is set, and replaces and removes rules", async () => {
    const POLICY = `{ retentionPolicy { target category categories allowedActions keepDays action fixed suggestedKeepDays suggestedAction respectsLegalHold } }`;
    const empty = await app.gql(POLICY, {}, t.ownerToken);
    expect(empty.data.retentionPolicy.map((r: any) => r.target)).toEqual([
      "SOLVED_TICKET_MESSAGES",
      "SOLVED_TICKET_ATTACHMENTS",
      "INACTIVE_CONTACTS",
      "PORTAL_TOKENS",
      "DATA_EXPORTS",
      "SESSIONS",
      "AUDIT_ENTRIES",
      "PLUGIN_CALLS",
      "INFECTED_ATTACHMENTS",
      "DISCONNECTED_MAILBOXES",
      "AUTOMATION_RUNS",
      "SCHEDULED_JOBS",
    ]);
    const chosen = empty.data.retentionPolicy.filter((r: any) => !r.fixed);
    expect(chosen).toHaveLength(11);
    expect(chosen.every((r: any) => r.keepDays === null && r.action === null)).toBe(true);
    // A disconnected mailbox's data goes after 30 days: the product's promise, not a rule.
    expect(empty.data.retentionPolicy.find((r: any) => r.target === "DISCONNECTED_MAILBOXES")).toMatchObject({
      fixed: true,
      keepDays: 30,
      action: "DELETE",
      respectsLegalHold: true,
    });
    expect(codes(await app.gql(SET_RULE, { t: "DISCONNECTED_MAILBOXES", d: 3650, a: "DELETE" }, t.ownerToken))).toEqual(["VALIDATION"]);
    expect(empty.data.retentionPolicy[0]).toMatchObject({
      category: "user.content.message",
      allowedActions: ["DELETE", "ANONYMIZE"],
      respectsLegalHold: true,
    });
    expect(empty.data.retentionPolicy[1]).toMatchObject({ category: "user.content.attachment", allowedActions: ["DELETE"] });
    expect(empty.data.retentionPolicy[2]).toMatchObject({ category: "user.name", allowedActions: ["ANONYMIZE"] });
    const categories = (await app.gql(`{ dataCategories { name } }`, {}, t.ownerToken)).data.dataCategories.map((c: any) => c.name);
    for (const r of empty.data.retentionPolicy) for (const c of r.categories) expect(categories).toContain(c);

    await setRule(t, "SOLVED_TICKET_MESSAGES", 365, "ANONYMIZE");
    const replaced = await app.gql(SET_RULE, { t: "SOLVED_TICKET_MESSAGES", d: 730, a: "DELETE" }, t.ownerToken);
    expect(replaced.data.setRetentionRule).toEqual({ target: "SOLVED_TICKET_MESSAGES", keepDays: 730, action: "DELETE" });
    const set = await app.gql(POLICY, {}, t.ownerToken);
    expect(set.data.retentionPolicy[0]).toMatchObject({ keepDays: 730, action: "DELETE" });
    expect(await app.database.forTenant(t.id).retentionRule.count()).toBe(1);

    const removed = await app.gql(
      `mutation { removeRetentionRule(target: SOLVED_TICKET_MESSAGES) { target keepDays action } }`,
      {},
      t.ownerToken,
    );
    expect(removed.data.removeRetentionRule).toEqual({ target: "SOLVED_TICKET_MESSAGES", keepDays: null, action: null });
    expect(codes(await app.gql(`mutation { removeRetentionRule(target: SOLVED_TICKET_MESSAGES) { target } }`, {}, t.ownerToken))).toEqual([
      "NOT_FOUND",
    ]);
    expect(await sweep(app.database, { tenantId: t.id, now: daysFromNow(1000) })).toEqual([]);
  });

  it("refuses a period under a day and an action the target does not allow, naming the field", async () => {
    for (const [target, keepDays, action, field] of [
      ["SOLVED_TICKET_MESSAGES", 0, "DELETE", "keepDays"],
      ["SESSIONS", -5, "DELETE", "keepDays"],
      ["INACTIVE_CONTACTS", 30, "DELETE", "action"],
      ["PORTAL_TOKENS", 30, "ANONYMIZE", "action"],
    ] as const) {
      const r = await app.gql(SET_RULE, { t: target, d: keepDays, a: action }, t.ownerToken);
      expect(codes(r), `${target} ${keepDays} ${action}`).toEqual(["VALIDATION"]);
      expect(r.errors![0]!.extensions!.fields.map((f: any) => f.path)).toEqual([[field]]);
    }
    expect(await app.database.forTenant(t.id).retentionRule.count()).toBe(0);
  });

  it("is for owners and admins: AGENT, VIEWER and API keys get FORBIDDEN", async () => {
    const admin = await app.agent(t, "ADMIN");
    expect((await app.gql(`{ retentionPolicy { target } }`, {}, admin.token)).data.retentionPolicy).toHaveLength(12);
    const agent = await app.agent(t, "AGENT");
    const viewer = await app.agent(t, "VIEWER");
    const key = await app.apiKey(t, ["TICKETS_READ", "TICKETS_WRITE", "CONTACTS_READ", "CONTACTS_WRITE"]);
    for (const token of [agent.token, viewer.token, key]) {
      for (const doc of [
        `{ retentionPolicy { target } }`,
        `{ sweepRuns { totalCount } }`,
        `mutation { setRetentionRule(target: SESSIONS, keepDays: 1, action: DELETE) { target } }`,
        `mutation { removeRetentionRule(target: SESSIONS) { target } }`,
      ]) {
        const r = await app.gql(doc, {}, token);
        expect(codes(r), doc).toEqual(["FORBIDDEN"]);
        expect(r.data, doc).toBeNull();
      }
    }
    expect(await app.database.forTenant(t.id).retentionRule.count()).toBe(0);
  });
});

describe("scheduled sweeps", () => {
  it("run in the background one after another, log failures and go on", async () => {
    const t = await app.tenant();
    const db = app.database.forTenant(t.id);
    await setRule(t, "SESSIONS", 1, "DELETE");
    const lines: { msg?: string; level: number }[] = [];
    const log = pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const schedule = scheduleRetentionSweeps(app.database, log, {
      intervalMs: 5,
      firstDelayMs: 0,
      // Any batch fails, as a crash would, once it has been committed.
      sweepOptions: { tenantId: t.id, onBatch: () => Promise.reject(new Error("disk full")) },
    });
    try {
      const runs = () => db.sweepRun.findMany({ orderBy: { startedAt: "asc" } });
      await expect.poll(async () => (await runs()).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      // Every run but the newest has ended (with a 5 ms interval, the next one may be under way as we look).
      expect((await runs()).slice(0, -1).every((r) => r.finishedAt)).toBe(true);

      const old = new Date(Date.now() - 5 * DAY);
      await db.session.create({ data: { tenantId: t.id, agentId: t.ownerId, tokenHash: `old-${t.id}`, createdAt: old, expiresAt: old } });
      await expect
        .poll(() => lines.some((l) => l.msg?.includes("retention sweep stopped") && l.level >= 50), { timeout: 10_000 })
        .toBe(true);
      const failedAt = (await runs()).length;
      await expect.poll(async () => (await runs()).length, { timeout: 10_000 }).toBeGreaterThan(failedAt + 1);
      await schedule.stop();

      const all = await runs();
      // The failed run stays unfinished; stopping the schedule may also end one between batches.
      const unfinished = all.filter((r) => !r.finishedAt).length;
      expect(unfinished).toBeGreaterThanOrEqual(1);
      expect(unfinished).toBeLessThanOrEqual(2);
      expect(await db.session.count({ where: { tokenHash: `old-${t.id}` } })).toBe(0);
      // One at a time: every run started after the previous one had ended.
      for (let i = 1; i < all.length; i++) {
        const previous = all[i - 1]!;
        if (previous.finishedAt) expect(all[i]!.startedAt.getTime(), `run ${i}`).toBeGreaterThanOrEqual(previous.finishedAt.getTime());
      }
      // Stopped means stopped.
      await new Promise((r) => setTimeout(r, 50));
      expect((await runs()).length).toBe(all.length);
    } finally {
      await schedule.stop();
    }
  });
});

describe("npm run sweep", () => {
  it("sweeps one tenant of an embedded database and prints a table of counts", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "deskgraph-sweep-"));
    try {
      const database = await openDatabase({ dataDir });
      await database.migrate();
      const { tenant, owner } = await createTenant(database, {
        name: "CLI",
        slug: "cli",
        owner: { email: "o@cli.test", name: "O", password: "correct horse battery staple" },
      });
      const db = database.forTenant(tenant.id);
      await db.retentionRule.create({ data: { tenantId: tenant.id, target: "SESSIONS", keepDays: 3, action: "DELETE" } });
      const old = new Date(Date.now() - 10 * DAY);
      await db.session.createMany({
        data: [
          { tenantId: tenant.id, agentId: owner.id, tokenHash: "a", createdAt: old, expiresAt: new Date(Date.now() - 5 * DAY) },
          { tenantId: tenant.id, agentId: owner.id, tokenHash: "b", createdAt: old, expiresAt: new Date(Date.now() + DAY), revokedAt: old },
          { tenantId: tenant.id, agentId: owner.id, tokenHash: "c", createdAt: old, expiresAt: new Date(Date.now() + DAY) },
        ],
      });
      await database.close();

      // The command as `deskgraph sweep` runs it (in this process: spawning one costs seconds of start-up).
      const run = (args: string[]) => cli(["sweep", ...args], embeddedEnv(dataDir));

      const first = await run(["--tenant", "cli"]);
      expect(first.code, first.err).toBe(0);
      const lines = first.out.trim().split("\n");
      expect(lines[0]).toMatch(/^tenant\s+target\s+action\s+keep days\s+processed\s+kept \(hold\)\s+status$/);
      expect(lines[1]).toMatch(/^cli\s+SESSIONS\s+DELETE\s+3\s+2\s+0\s+done$/);

      const again = await run([]);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/^cli\s+SESSIONS\s+DELETE\s+3\s+0\s+0\s+done$/m);

      const reopened = await openDatabase({ dataDir });
      const left = await reopened.forTenant(tenant.id).session.findMany({ select: { tokenHash: true } });
      const runs = await reopened.forTenant(tenant.id).sweepRun.findMany({ orderBy: { startedAt: "asc" } });
      await reopened.close();
      expect(left.map((s) => s.tokenHash)).toEqual(["c"]);
      expect(runs.map((r) => [r.finishedAt !== null, (r.counts as any).SESSIONS.processed])).toEqual([
        [true, 2],
        [true, 0],
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("says so when the tenant does not exist or has no rules", async () => {
    const t = await app.tenant();
    const out: string[] = [];
    expect(await runSweepCommand(app.database, ["--tenant", "no-such-tenant"], (l) => out.push(l))).toBe(2);
    expect(await runSweepCommand(app.database, [`--tenant=${t.slug}`], (l) => out.push(l))).toBe(0);
    expect(out).toEqual(['No tenant "no-such-tenant".', `Tenant "${t.slug}" has no retention rules.`]);
    await setRule(t, "SESSIONS", 1, "DELETE");
    expect(await runSweepCommand(app.database, ["--tenant", t.slug], (l) => out.push(l))).toBe(0);
    expect(out[2]).toMatch(new RegExp(`^${t.slug}\\s+SESSIONS\\s+DELETE\\s+1\\s+0\\s+0\\s+done$`, "m"));
  });
});
