import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matcherFor, contains } from "../src/privacy/requests/identifiers.js";
import { eraseContact, type ErasureReceipt } from "../src/privacy/requests/erasure.js";
import { buildExport } from "../src/privacy/requests/export.js";
import { markedColumns, modelsReferencingContact } from "../src/privacy/stores/annotations.js";
import { coverageProblems } from "../src/privacy/stores/coverage.js";
import { exportedCategories, isExported, storeOf, STORES, type PersonalDataStore } from "../src/privacy/stores/index.js";
import { TARGETS } from "../src/retention/targets.js";
import { textExtractor } from "../src/attachments/extract/pool.js";
import { extractPendingTexts } from "../src/attachments/extract/service.js";
import { readAll } from "../src/blobs/store.js";
import { loadConfig } from "../src/config.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { pdfWith } from "./support/documents.js";
import { readExportArchive } from "./support/export-archive.js";

/**
 * The registry of personal-data stores (src/privacy/stores/) against the
 * `/// @personal` marks of prisma/schema.prisma, and against the database: one
 * row in every store for one person, then an export that has every store's
 * section and an erasure after which no marked column anywhere still holds an
 * identifier (read column by column here, not through the stores' own scans).
 */

const marked = markedColumns();
const referencing = modelsReferencingContact();

describe("the registry and the schema's @personal marks", () => {
  it("agree: every marked column is handled, every model pointing at a contact has a store", () => {
    expect(marked.length).toBeGreaterThan(10);
    expect(coverageProblems(STORES, marked, referencing)).toEqual([]);
  });

  it("would have caught attachment contents and their extracted text that no store erased or scanned", () => {
    // The registry as it was before contents were handled: file names only.
    const attachment = storeOf("Attachment")!;
    const { content: _content, textBlobKey: _text, ...namesOnly } = attachment.columns;
    const contentLines = ["Attachment.content", "Attachment.text"];
    const before: PersonalDataStore = {
      ...attachment,
      columns: namesOnly,
      erasure: { ...attachment.erasure, lines: attachment.erasure.lines.filter((l) => !contentLines.includes(l.store)) },
      scan: attachment.scan.filter((p) => p.store !== "Attachment.content"),
    };
    const registry = STORES.map((s) => (s === attachment ? before : s));
    expect(coverageProblems(registry, marked, referencing)).toEqual([
      "Attachment.content: marked @personal, but the Attachment store does not say how it is erased and scanned",
      "Attachment.textBlobKey: marked @personal, but the Attachment store does not say how it is erased and scanned",
    ]);
    // Declared, but pointing at receipt lines and a scan that do not exist: caught as well.
    const pretending = { ...before, columns: attachment.columns };
    expect(
      coverageProblems(
        STORES.map((s) => (s === attachment ? pretending : s)),
        marked,
        referencing,
      ),
    ).toEqual([
      `Attachment.content: erased by "Attachment.content", which is not a receipt line of the store`,
      `Attachment.content: scanned as "Attachment.content", which is not a scan of the store`,
      `Attachment.textBlobKey: erased by "Attachment.text", which is not a receipt line of the store`,
      `Attachment.textBlobKey: scanned as "Attachment.content", which is not a scan of the store`,
    ]);
  });

  it("catches a new model that points at a contact, and a store whose categories drift from its marks", () => {
    expect(coverageProblems(STORES, marked, [...referencing, "Survey"])).toEqual([
      "Survey: its rows belong to a contact, but it has no store in src/privacy/stores/",
    ]);
    const ticket = storeOf("Ticket")!;
    const drifted = STORES.map((s) => (s === ticket ? { ...ticket, categories: ["user.name" as const] } : s));
    expect(coverageProblems(drifted, marked, referencing)).toEqual([
      "Ticket: categories differ from its marks (missing user.content.message; not marked user.name)",
    ]);
  });

  it("names a retention target for each store that covers the store's categories, or says why there is none", () => {
    for (const s of STORES) {
      if ("none" in s.retention) expect(s.retention.none.length, s.model).toBeGreaterThan(10);
      else expect(TARGETS[s.retention.target].categories, s.model).toEqual(expect.arrayContaining(s.categories));
    }
  });

  it("says what an export is a copy of: the categories of every exported store", () => {
    expect(new Set(storeOf("DataExport")!.categories)).toEqual(new Set(exportedCategories()));
    for (const s of STORES) if (!isExported(s)) expect((s.export as { omitted: string }).omitted.length, s.model).toBeGreaterThan(10);
  });
});

describe("every store, for one person", () => {
  let app: TestApp;
  let t: TestTenant;
  const sam = { name: "Sam Seeded", email: "sam.seeded@example.org", phone: "+44 20 7946 0958" };
  const ids = { name: sam.name, email: sam.email, phone: "+442079460958" };
  let contactId: string;
  let receipt: ErasureReceipt;
  let exported: Record<string, any>;
  let exportedFiles: Map<string, Buffer>;
  let exportCounts: Record<string, number>;
  const rowsBefore: Record<string, number> = {};

  const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;
  async function ok(query: string, variables: Record<string, unknown> = {}, token = t.ownerToken) {
    const r = await app.gql(query, variables, token);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data;
  }
  const ticket = async (requester: Record<string, unknown>, subject: string, body: string) =>
    (await ok(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`, { i: { subject, body, requester } }))
      .createTicket;
  const say = async (ticketId: string, body: string, extra: Record<string, unknown> = {}) =>
    (await ok(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body, ...extra } })).addMessage
      .id as string;
  const attach = (messageId: string, filename: string, text: string) =>
    ok(`mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id } }`, {
      i: { messageId, filename, contentType: "text/plain", contentBase64: Buffer.from(text).toString("base64") },
    });
  const delegate = (model: string) => (app.database.forTenant(t.id) as any)[model[0]!.toLowerCase() + model.slice(1)];
  const fileAndComplete = async (input: Record<string, unknown>) => {
    const filed = await ok(`mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`, { i: input });
    return (await ok(`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { receipt } }`, { id: filed.fileDataSubjectRequest.id }))
      .completeDataSubjectRequest;
  };

  beforeAll(async () => {
    app = await startApp();
    t = await app.tenant();
    // Their own ticket, message and file.
    const own = await ticket(sam, "Order for Sam Seeded", "Where is my order?");
    contactId = own.requester.id;
    const mine = await say(own.id, "Here is my receipt.", { from: "REQUESTER" });
    await attach(mine, "receipt.txt", "order 1234");
    // Others write about them: a subject, an agent's note, a file name and a file's contents.
    const other = await ticket({ name: "Olga Other", email: "olga@example.org" }, "About Sam Seeded", "My neighbour Sam ordered too.");
    const note = await say(other.id, `Sam's address is ${sam.email}, call 020 7946 0958.`, { internal: true });
    await attach(note, "Sam Seeded call.txt", `Called ${sam.name} on +44 20 7946 0958.`);
    // A PDF about them: found through its extracted text (a blob of its own), which cannot be redacted in place.
    const pdf = await pdfWith([`Delivery note for ${sam.name}`, "Phone: 020 7946 0958"]);
    const upload = (
      await ok(`mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`, {
        i: { ticketId: other.id, filename: "delivery.pdf", contentType: "application/pdf", size: pdf.length, internal: true },
      })
    ).createAttachmentUpload;
    expect(
      (await fetch(upload.uploadUrl, { method: "PUT", body: new Uint8Array(pdf), headers: { "content-type": "application/pdf" } })).status,
    ).toBe(201);
    await say(other.id, "Delivery note attached.", { internal: true, attachmentIds: [upload.attachmentId] });
    await app.consumed(t);
    expect((await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: rawId(upload.attachmentId) } })).textStatus).toBe(
      "EXTRACTED",
    );
    // The files attached the deprecated way get their text from the backfill.
    const extractor = textExtractor(loadConfig({ DATA_DIR: "memory://" }));
    await extractPendingTexts({ config: loadConfig({ DATA_DIR: "memory://" }), database: app.database, log: app.server.log, extractor });
    await extractor.close();
    // Privacy records: consent, a rectification (its details hold the corrected value), an export, a portal token, an accepted policy.
    await ok(`mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`, { c: contactId });
    await ok(`mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`, {
      i: { contactId, type: "RECTIFICATION", corrections: { name: `${sam.name} Jr` } },
    });
    await fileAndComplete({ contactId, type: "ACCESS" });
    const portal = (await ok(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: contactId })).issuePortalToken.token;
    const policy = (await ok(`mutation { publishPolicyVersion(input: { version: "2026-01" }) { id } }`)).publishPolicyVersion.id;
    await ok(`mutation($id: ID!) { acceptPolicyVersion(id: $id) { id } }`, { id: policy }, portal);
    // Reads of their data are in the audit log; a call to an integration about them is recorded by the gateway.
    await ok(`query($c: ID!) { contact(id: $c) { email phone } }`, { c: contactId });
    await app.database.forTenant(t.id).pluginCall.create({
      data: {
        tenantId: t.id,
        pluginId: "test-echo",
        operation: "suggest",
        purpose: "ai.assistance",
        categories: ["user.content.message"],
        subjectIds: [rawId(contactId)],
        outcome: "OK",
        durationMs: 1,
      },
    });
    // Mail (the email plugin): their own mail's headers and HTML, and a reply to someone else that copies them in.
    const tdb = app.database.forTenant(t.id);
    const mailbox = await tdb.mailbox.create({
      data: {
        tenantId: t.id,
        kind: "IMAP",
        address: "support@desk.example",
        imapHost: "imap.desk.example",
        imapPort: 993,
        imapSecurity: "TLS",
        smtpHost: "smtp.desk.example",
        smtpPort: 465,
        smtpSecurity: "TLS",
        username: "support@desk.example",
      },
    });
    await tdb.emailMessage.create({
      data: {
        tenantId: t.id,
        messageId: rawId(mine),
        mailboxId: mailbox.id,
        direction: "INBOUND",
        fromHeader: `"${sam.name}" <${sam.email}>`,
        toHeader: "support@desk.example",
        html: `<p>Here is my receipt.</p><p>${sam.name}<br>${sam.phone}</p>`,
        quoted: "> Please send the receipt.",
      },
    });
    const toOlga = await say(other.id, "We have asked your neighbour too.");
    await tdb.emailMessage.create({
      data: {
        tenantId: t.id,
        messageId: rawId(toOlga),
        mailboxId: mailbox.id,
        direction: "OUTBOUND",
        fromHeader: '"Support" <support@desk.example>',
        toHeader: '"Olga Other" <olga@example.org>',
        ccHeader: `"${sam.name}" <${sam.email}>`,
        html: `<p>We have asked ${sam.name} too.</p>`,
        quoted: `> My neighbour ${sam.email} ordered too.`,
      },
    });
    // Workflow: a personal custom field about them, their rating (with a comment) of their ticket, a ticket they are copied on.
    const field = await tdb.customFieldDefinition.create({
      data: { tenantId: t.id, entity: "CONTACT", key: "loyalty_note", label: "Loyalty", type: "TEXT", personalData: true },
    });
    await tdb.customFieldValue.create({
      data: { tenantId: t.id, fieldId: field.id, contactId: rawId(contactId), text: `${sam.name} prefers calls` },
    });
    await tdb.satisfactionResponse.create({
      data: {
        tenantId: t.id,
        ticketId: rawId(own.id),
        contactId: rawId(contactId),
        rating: 4,
        scale: "FIVE_POINT",
        comment: `Thanks, ${sam.name}`,
      },
    });
    await tdb.ticketFollower.create({ data: { tenantId: t.id, ticketId: rawId(other.id), contactId: rawId(contactId) } });
    // A notification the helpdesk sent them on its own (src/notifications/).
    await tdb.notification.create({
      data: {
        tenantId: t.id,
        kind: "TICKET_ACKNOWLEDGEMENT",
        channel: "EMAIL",
        key: `ack:${rawId(own.id)}`,
        contactId: rawId(contactId),
        ticketId: rawId(own.id),
        status: "SENT",
      },
    });
    await app.sequenced(t);

    for (const s of STORES) rowsBefore[s.model] = await delegate(s.model).count({ where: s.rowsOf(rawId(contactId)) });
    const built = await buildExport(app.database.forTenant(t.id), rawId(contactId), { id: rawId(contactId), type: "ACCESS" }, "off");
    const tenantDb = app.database.forTenant(t.id);
    const archive = await readExportArchive(await readAll(await tenantDb.$blobs.get(built.blobKey)));
    exported = archive.document;
    exportedFiles = archive.files;
    exportCounts = built.counts;
    receipt = await eraseContact(app.database, t.id, rawId(contactId));
  });
  afterAll(() => app?.close());

  it("has rows in every registered store before the erasure", () => {
    const empty = STORES.filter((s) => !(rowsBefore[s.model]! > 0)).map((s) => s.model);
    expect(empty).toEqual([]);
  });

  it("exports every exported store's section, with its rows counted", () => {
    for (const s of STORES.filter(isExported)) {
      expect(exported, s.model).toHaveProperty(s.export.key);
      expect(exported.about.categories[s.export.key], s.model).toBe(s.export.about);
      for (const key of s.export.counts) expect(exportCounts[key], `${s.model} ${key}`).toBeGreaterThan(0);
    }
    expect(exported.policyAcceptances).toEqual([{ version: "2026-01", url: null, acceptedAt: expect.any(String) }]);
    // Each file row names a file of the archive, and the archive holds no other.
    expect(exported.attachments.length).toBeGreaterThan(0);
    for (const a of exported.attachments) expect(exportedFiles.get(a.file)?.length, a.file).toBe(a.size);
    expect(exportedFiles.size).toBe(exported.attachments.length);
  });

  it("erases: each marked column's receipt line handled rows, and the scan finds nothing", () => {
    const count = Object.fromEntries(receipt.stores.map((l) => [l.store, l.count]));
    for (const s of STORES) {
      for (const [column, handling] of Object.entries(s.columns))
        expect(count[handling.erasedBy], `${s.model}.${column}`).toBeGreaterThan(0);
    }
    expect(receipt.verification).toMatchObject({ leftovers: 0, unverifiable: 0, namesakes: 0 });
    expect(Object.keys(receipt.verification.byStore)).toEqual(STORES.flatMap((s) => s.scan.map((p) => p.store)));
  });

  it("leaves no identifier in any marked column of any row of the tenant", async () => {
    const matcher = matcherFor(ids)!;
    const asText = (v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : typeof v === "string" ? v : JSON.stringify(v);
    // A column naming a blob (an attachment's extracted text) is read through it: what it holds is in the store.
    const contents = async (column: string, v: unknown) =>
      column.endsWith("BlobKey") && typeof v === "string"
        ? (await readAll(await app.database.blobs.get(t.id, v))).toString("utf8")
        : asText(v);
    const found: string[] = [];
    let blobsRead = 0;
    for (const m of marked) {
      const rows: Record<string, unknown>[] = await delegate(m.model).findMany({ select: { [m.column]: true } });
      for (const row of rows) {
        if (m.column.endsWith("BlobKey") && row[m.column]) blobsRead++;
        if (contains(matcher, await contents(m.column, row[m.column]))) found.push(`${m.model}.${m.column}`);
      }
    }
    expect(found).toEqual([]);
    // The redacted text file's text is still there, and was read.
    expect(blobsRead).toBeGreaterThan(0);
  });
});
