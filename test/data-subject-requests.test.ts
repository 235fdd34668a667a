import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eraseContact } from "../src/privacy/requests/erasure.js";
import { addCalendarMonths } from "../src/privacy/requests/deadlines.js";
import { readExportArchive } from "./support/export-archive.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { startVendor } from "./support/echo-plugin.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;

const REQUEST_FIELDS = `id type status receivedAt dueAt overdue extended extensionReason refusalReason completedAt details receipt
  contact { id } export { url expiresAt expired downloadedAt }`;
const FILE = `mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { ${REQUEST_FIELDS} } }`;
const COMPLETE = `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { ${REQUEST_FIELDS} } }`;
const EXTEND = `mutation($id: ID!, $r: String!) { extendDataSubjectRequest(id: $id, reason: $r) { ${REQUEST_FIELDS} } }`;
const REFUSE = `mutation($id: ID!, $r: String!) { refuseDataSubjectRequest(id: $id, reason: $r) { ${REQUEST_FIELDS} } }`;
const SCAN = `query($e: String, $p: String, $n: String) { personalDataScan(email: $e, phone: $p, name: $n) { total stores { store matches } } }`;

let people = 0;
/** A contact with one ticket they opened; returns global IDs. */
async function person(name: string, extra: Record<string, unknown> = {}, subject = "Help please") {
  const email = `p${++people}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const r = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id email } messages { edges { node { id } } } } }`,
    { i: { subject, body: `Hello, this is ${name}.`, requester: { name, email, ...extra } } },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  const ticket = r.data.createTicket;
  return {
    contactId: ticket.requester.id as string,
    ticketId: ticket.id as string,
    firstMessageId: ticket.messages.edges[0].node.id as string,
    email,
  };
}

async function file(input: Record<string, unknown>, token = t.ownerToken) {
  const r = await app.gql(FILE, { i: input }, token);
  expect(r.errors).toBeUndefined();
  return r.data.fileDataSubjectRequest;
}

async function complete(id: string) {
  const r = await app.gql(COMPLETE, { id }, t.ownerToken);
  expect(r.errors).toBeUndefined();
  return r.data.completeDataSubjectRequest;
}

const say = async (ticketId: string, body: string, extra: Record<string, unknown> = {}, token = t.ownerToken) => {
  const r = await app.gql(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body, ...extra } }, token);
  expect(r.errors).toBeUndefined();
  return r.data.addMessage.id as string;
};

const attach = async (messageId: string, filename: string) => {
  const r = await app.gql(
    `mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id } }`,
    { i: { messageId, filename, contentType: "text/plain", contentBase64: Buffer.from(`file ${filename}`).toString("base64") } },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
};

/** The export behind a link: its JSON document as `body` and its files, when the link works. */
async function download(url: string) {
  const res = await fetch(url);
  if (!res.ok) return { status: res.status, body: (await res.json()) as any, files: undefined, headers: res.headers };
  const archive = await readExportArchive(Buffer.from(await res.arrayBuffer()));
  return { status: res.status, body: archive.document, files: archive.files, headers: res.headers };
}

const auditActions = async (contactId: string, tenant = t) => {
  const r = await app.gql(
    `query($c: ID!) { auditLog(first: 100, filter: { subjectId: $c, actionPrefix: "dsr." }) { edges { node { action actorType details } } } }`,
    { c: contactId },
    tenant.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return r.data.auditLog.edges.map((e: any) => e.node.action as string);
};

describe("deadlines", () => {
  it("are calendar months: 31 January is due on the last day of February", () => {
    expect(addCalendarMonths(new Date("2025-01-31T10:00:00Z"), 1).toISOString()).toBe("2025-02-28T10:00:00.000Z");
    expect(addCalendarMonths(new Date("2024-01-31T10:00:00Z"), 1).toISOString()).toBe("2024-02-29T10:00:00.000Z");
    expect(addCalendarMonths(new Date("2025-11-15T00:00:00Z"), 3).toISOString()).toBe("2026-02-15T00:00:00.000Z");
  });
});

describe("filing and handling", () => {
  it("files a request due one calendar month after receipt, listed for the tenant and on the contact, and audited", async () => {
    const p = await person("Lena List");
    const req = await file({ contactId: p.contactId, type: "ACCESS" });
    expect(req).toMatchObject({
      type: "ACCESS",
      status: "RECEIVED",
      overdue: false,
      extended: false,
      contact: { id: p.contactId },
      export: null,
    });
    expect(new Date(req.dueAt).toISOString()).toBe(addCalendarMonths(new Date(req.receivedAt), 1).toISOString());

    const list = await app.gql(
      `query($c: ID!) { dataSubjectRequests(filter: { contactId: $c, status: RECEIVED, type: ACCESS }) { totalCount edges { node { id } } } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    expect(list.data.dataSubjectRequests).toEqual({ totalCount: 1, edges: [{ node: { id: req.id } }] });
    const other = await app.gql(
      `query($c: ID!) { dataSubjectRequests(filter: { contactId: $c, type: ERASURE }) { totalCount } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    expect(other.data.dataSubjectRequests.totalCount).toBe(0);
    const onContact = await app.gql(
      `query($c: ID!) { contact(id: $c) { dataSubjectRequests { totalCount edges { node { id type } } } } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    expect(onContact.data.contact.dataSubjectRequests).toEqual({ totalCount: 1, edges: [{ node: { id: req.id, type: "ACCESS" } }] });
    expect(await auditActions(p.contactId)).toEqual(["dsr.filed"]);
  });

  it("lists overdue requests: open and past their due date", async () => {
    const p = await person("Olga Overdue");
    const req = await file({ contactId: p.contactId, type: "RESTRICTION" });
    await app.database.prisma.dataSubjectRequest.update({
      where: { id: rawId(req.id) },
      data: { dueAt: new Date(Date.now() - 86_400_000) },
    });
    const overdue = await app.gql(
      `{ dataSubjectRequests(first: 100, filter: { overdue: true }) { edges { node { id overdue } } } }`,
      {},
      t.ownerToken,
    );
    expect(overdue.data.dataSubjectRequests.edges).toContainEqual({ node: { id: req.id, overdue: true } });
    const notOverdue = await app.gql(
      `{ dataSubjectRequests(first: 100, filter: { overdue: false }) { edges { node { id } } } }`,
      {},
      t.ownerToken,
    );
    expect(notOverdue.data.dataSubjectRequests.edges.map((e: any) => e.node.id)).not.toContain(req.id);
  });

  it("refuses an unknown subject (NOT_FOUND) and a second open request of the same type (CONFLICT), writing nothing", async () => {
    const unknown = Buffer.from("Contact:00000000-0000-4000-8000-000000000001").toString("base64");
    expect(codes(await app.gql(FILE, { i: { contactId: unknown, type: "ACCESS" } }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(codes(await app.gql(FILE, { i: { type: "ACCESS" } }, t.ownerToken))).toEqual(["VALIDATION"]);

    const p = await person("Dora Duplicate");
    const first = await file({ contactId: p.contactId, type: "ERASURE" });
    const again = await app.gql(FILE, { i: { contactId: p.contactId, type: "ERASURE" } }, t.ownerToken);
    expect(codes(again)).toEqual(["CONFLICT"]);
    // The open request by its global ID, as node(id:) takes it.
    expect(again.errors![0]!.extensions!.existingRequestId).toBe(first.id);
    // Another type is fine, and so is the same type once the first is closed.
    await file({ contactId: p.contactId, type: "ACCESS" });
    await app.gql(REFUSE, { id: first.id, r: "Identity could not be verified" }, t.ownerToken);
    await file({ contactId: p.contactId, type: "ERASURE" });
    const count = await app.gql(
      `query($c: ID!) { contact(id: $c) { dataSubjectRequests { totalCount } } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    expect(count.data.contact.dataSubjectRequests.totalCount).toBe(3);
  });

  it("checks what each type asks for", async () => {
    const p = await person("Vera Validation");
    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{ type: "OBJECTION" }, ["input", "purposes"]],
      [{ type: "OBJECTION", purposes: ["marketing"] }, ["input", "purposes", 0]], // consent, not legitimate interest
      [{ type: "OBJECTION", purposes: ["nope"] }, ["input", "purposes", 0]],
      [{ type: "CONSENT_WITHDRAWAL", purposes: ["analytics"] }, ["input", "purposes", 0]],
      [{ type: "ACCESS", purposes: ["analytics"] }, ["input", "purposes"]],
      [{ type: "RECTIFICATION" }, ["input", "corrections"]],
      [{ type: "ERASURE", corrections: { name: "X" } }, ["input", "corrections"]],
    ];
    for (const [input, path] of cases) {
      const r = await app.gql(FILE, { i: { contactId: p.contactId, ...input } }, t.ownerToken);
      expect(codes(r), JSON.stringify(input)).toEqual(["VALIDATION"]);
      expect(r.errors![0]!.extensions!.fields.map((f: any) => f.path)).toContainEqual(path);
    }
    const badEmail = await app.gql(
      FILE,
      { i: { contactId: p.contactId, type: "RECTIFICATION", corrections: { email: "not-an-email" } } },
      t.ownerToken,
    );
    expect(codes(badEmail)).toEqual(["VALIDATION"]);
    const none = await app.gql(
      `query($c: ID!) { contact(id: $c) { dataSubjectRequests { totalCount } } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    expect(none.data.contact.dataSubjectRequests.totalCount).toBe(0);
  });

  it("extends once by two further months, with a reason", async () => {
    const p = await person("Erik Extend");
    const req = await file({ contactId: p.contactId, type: "ACCESS" });
    expect(codes(await app.gql(EXTEND, { id: req.id, r: "   " }, t.ownerToken))).toEqual(["VALIDATION"]);
    const extended = await app.gql(EXTEND, { id: req.id, r: "Complex request: 14 years of tickets" }, t.ownerToken);
    expect(extended.errors).toBeUndefined();
    expect(extended.data.extendDataSubjectRequest).toMatchObject({
      extended: true,
      extensionReason: "Complex request: 14 years of tickets",
    });
    expect(new Date(extended.data.extendDataSubjectRequest.dueAt).toISOString()).toBe(
      addCalendarMonths(new Date(req.receivedAt), 3).toISOString(),
    );
    const twice = await app.gql(EXTEND, { id: req.id, r: "Again" }, t.ownerToken);
    expect(codes(twice)).toEqual(["CONFLICT"]);
    const after = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { dueAt extensionReason } } }`,
      { id: req.id },
      t.ownerToken,
    );
    expect(after.data.node).toEqual({
      dueAt: extended.data.extendDataSubjectRequest.dueAt,
      extensionReason: "Complex request: 14 years of tickets",
    });
    expect(await auditActions(p.contactId)).toEqual(["dsr.extended", "dsr.filed"]);
  });

  it("refuses only with a reason, and a closed request cannot be handled again", async () => {
    const p = await person("Rita Refuse");
    const req = await file({ contactId: p.contactId, type: "ERASURE" });
    const empty = await app.gql(REFUSE, { id: req.id, r: "" }, t.ownerToken);
    expect(codes(empty)).toEqual(["VALIDATION"]);
    expect(empty.errors![0]!.extensions!.fields[0].path).toEqual(["reason"]);
    const still = await app.gql(`query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { status } } }`, { id: req.id }, t.ownerToken);
    expect(still.data.node.status).toBe("RECEIVED");

    const refused = await app.gql(REFUSE, { id: req.id, r: "Tickets must be kept for tax law (art. 17(3)(b))" }, t.ownerToken);
    expect(refused.data.refuseDataSubjectRequest).toMatchObject({
      status: "REFUSED",
      refusalReason: "Tickets must be kept for tax law (art. 17(3)(b))",
    });
    expect(refused.data.refuseDataSubjectRequest.completedAt).not.toBeNull();
    expect(codes(await app.gql(COMPLETE, { id: req.id }, t.ownerToken))).toEqual(["INVALID_TRANSITION"]);
    expect(codes(await app.gql(REFUSE, { id: req.id, r: "x" }, t.ownerToken))).toEqual(["INVALID_TRANSITION"]);
    expect(codes(await app.gql(EXTEND, { id: req.id, r: "x" }, t.ownerToken))).toEqual(["INVALID_TRANSITION"]);
    const contact = await app.gql(`query($c: ID!) { contact(id: $c) { name erased } }`, { c: p.contactId }, t.ownerToken);
    expect(contact.data.contact).toEqual({ name: "Rita Refuse", erased: false });
    expect(await auditActions(p.contactId)).toEqual(["dsr.refused", "dsr.filed"]);
  });

  it("is for OWNER and ADMIN: an AGENT can neither list nor handle requests (FORBIDDEN)", async () => {
    const p = await person("Paula Permission");
    const req = await file({ contactId: p.contactId, type: "ACCESS" });
    const agent = await app.agent(t, "AGENT");
    const admin = await app.agent(t, "ADMIN");
    const ops: [string, Record<string, unknown>][] = [
      [`{ dataSubjectRequests { totalCount } }`, {}],
      [FILE, { i: { contactId: p.contactId, type: "RESTRICTION" } }],
      [EXTEND, { id: req.id, r: "x" }],
      [REFUSE, { id: req.id, r: "x" }],
      [COMPLETE, { id: req.id }],
      [SCAN, { e: p.email }],
    ];
    for (const [op, vars] of ops) expect(codes(await app.gql(op, vars, agent.token)), op).toEqual(["FORBIDDEN"]);
    const onContact = await app.gql(
      `query($c: ID!) { contact(id: $c) { name dataSubjectRequests { totalCount } } }`,
      { c: p.contactId },
      agent.token,
    );
    expect(onContact.data.contact).toEqual({ name: "Paula Permission", dataSubjectRequests: null });
    expect(codes(onContact)).toEqual(["FORBIDDEN"]);
    const status = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { status } } }`,
      { id: req.id },
      t.ownerToken,
    );
    expect(status.data.node.status).toBe("RECEIVED");
    // An ADMIN may.
    const listed = await app.gql(`{ dataSubjectRequests { totalCount } }`, {}, admin.token);
    expect(listed.data.dataSubjectRequests.totalCount).toBeGreaterThan(0);
  });
});

describe("ACCESS and PORTABILITY", () => {
  let ada: Awaited<ReturnType<typeof person>>;
  let otto: Awaited<ReturnType<typeof person>>;

  beforeAll(async () => {
    ada = await person("Ada Access", { phone: "+49 30 1234567", locale: "de" }, "Printer broken");
    otto = await person("Otto Other", {}, "Otto's own problem");
    await say(ada.ticketId, "We are on it, Ada.");
    await say(ada.ticketId, "internal: she called twice", { internal: true });
    const mine = await say(ada.ticketId, "Thanks, still broken", { from: "REQUESTER" });
    await attach(mine, "photo.txt");
    await app.gql(
      `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`,
      { c: ada.contactId },
      t.ownerToken,
    );
    await app.gql(
      `mutation($c: ID!) { withdrawConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`,
      { c: ada.contactId },
      t.ownerToken,
    );
    // Someone reads Ada's data: the audit log records it, and the export shows it.
    await app.gql(`query($c: ID!) { contact(id: $c) { email phone } }`, { c: ada.contactId }, t.ownerToken);
  });

  it("ACCESS: a JSON export grouped by category, behind a signed link, with who accessed the data", async () => {
    const req = await file({ contactId: ada.contactId, type: "ACCESS" });
    const done = await complete(req.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.receipt).toMatchObject({
      encoding: "zip",
      counts: { tickets: 1, messages: 3, internalNotesNotIncluded: 1, attachments: 1, consentEvents: 2 },
    });
    expect(done.export.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:\\d+/exports/${done.receipt.exportId}\\?expires=\\d+&signature=[0-9a-f]{64}$`),
    );
    expect(new Date(done.export.expiresAt).getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(done.export.downloadedAt).toBeNull();

    const { status, body, files, headers } = await download(done.export.url);
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("application/zip");
    expect(headers.get("content-disposition")).toBe(`attachment; filename="personal-data-${done.receipt.exportId}.zip"`);
    expect(Number(headers.get("content-length"))).toBe(done.receipt.bytes);
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(["profile", "tickets", "messages", "attachments", "consents", "dataSubjectRequests", "accessLog", "about"]),
    );
    expect(body.request).toEqual({ id: rawId(req.id), type: "ACCESS" });
    expect(body.profile).toMatchObject({
      id: rawId(ada.contactId),
      name: "Ada Access",
      email: ada.email,
      phone: "+49301234567",
      locale: "de",
    });
    expect(body.tickets.map((x: any) => x.subject)).toEqual(["Printer broken"]);
    expect(body.messages.map((m: any) => [m.from, m.body])).toEqual([
      ["YOU", "Hello, this is Ada Access."],
      ["AGENT", "We are on it, Ada."],
      ["YOU", "Thanks, still broken"],
    ]);
    expect(JSON.stringify(body)).not.toContain("she called twice");
    expect(JSON.stringify(body)).not.toContain("Otto");
    expect(body.about.internalNotes).toMatchObject({ included: false, count: 1 });
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]).toMatchObject({
      filename: "photo.txt",
      file: expect.stringMatching(/^attachments\/[0-9a-f-]{36}\/photo\.txt$/),
    });
    expect(files?.get(body.attachments[0].file)?.toString()).toBe("file photo.txt");
    expect(files?.size).toBe(1);
    expect(body.consents.history.map((e: any) => e.action)).toEqual(["GRANTED", "WITHDRAWN"]);
    expect(body.consents.current).toContainEqual({ purpose: "marketing", status: "WITHDRAWN", since: expect.any(String) });
    expect(body.dataSubjectRequests.map((r: any) => r.type)).toEqual(["ACCESS"]);
    const actions = body.accessLog.map((e: any) => e.action);
    expect(actions).toContain("dsr.filed");
    expect(body.accessLog.find((e: any) => e.action === "dsr.filed")).toMatchObject({ actorType: "AGENT", actorId: t.ownerId });
    expect(body.accessLog.some((e: any) => e.categories.includes("user.contact.email"))).toBe(true);
    expect(body.accessLog.every((e: any) => e.at && e.actorType)).toBe(true);

    // The download is recorded on the export and in the audit log.
    const after = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { export { downloadedAt } } } }`,
      { id: req.id },
      t.ownerToken,
    );
    expect(after.data.node.export.downloadedAt).not.toBeNull();
    expect(await auditActions(ada.contactId)).toEqual(["dsr.export.downloaded", "dsr.completed", "dsr.filed"]);
  });

  it("PORTABILITY: the same machine-readable format", async () => {
    const req = await file({ contactId: ada.contactId, type: "PORTABILITY" });
    const done = await complete(req.id);
    const { status, body } = await download(done.export.url);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      format: "deskgraph.personal-data-export",
      version: 2,
      request: { type: "PORTABILITY" },
      profile: { name: "Ada Access" },
    });
    expect(body.messages).toHaveLength(3);
    expect(body.dataSubjectRequests.map((r: any) => r.type).sort()).toEqual(["ACCESS", "PORTABILITY"]);
  });

  it("refuses tampered links (403), expired ones (410 EXPIRED) and ones to exports that no longer exist (404)", async () => {
    const req = await file({ contactId: otto.contactId, type: "ACCESS" });
    const { export: link, receipt } = await complete(req.id);
    const url = new URL(link.url);
    const sig = url.searchParams.get("signature")!;

    const tampered = new URL(url);
    tampered.searchParams.set("signature", (sig[0] === "a" ? "b" : "a") + sig.slice(1));
    expect((await download(tampered.toString())).status).toBe(403);
    const longer = new URL(url);
    longer.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 86_400));
    expect((await download(longer.toString())).status).toBe(403);
    const otherId = new URL(url);
    otherId.pathname = "/exports/00000000-0000-4000-8000-000000000000";
    expect((await download(otherId.toString())).status).toBe(403);
    expect((await download(link.url)).status).toBe(200);

    // The controller brings the expiry forward (as retention or a test would): the link is gone.
    await app.database.prisma.dataExport.update({ where: { id: receipt.exportId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await download(link.url);
    expect(expired.status).toBe(410);
    expect(expired.body.code).toBe("EXPIRED");
    const view = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { export { url expired } } } }`,
      { id: req.id },
      t.ownerToken,
    );
    expect(view.data.node.export).toEqual({ url: null, expired: true });

    await app.database.prisma.dataExport.delete({ where: { id: receipt.exportId } });
    expect((await download(link.url)).status).toBe(404);
  });

  it("builds the export in batches for a long history", async () => {
    const p = await person("Hugo History");
    const contactId = rawId(p.contactId);
    const ticketId = rawId(p.ticketId);
    await app.database.prisma.message.createMany({
      data: Array.from({ length: 1200 }, (_, i) => ({
        tenantId: t.id,
        ticketId,
        authorType: "CONTACT" as const,
        authorContactId: contactId,
        body: `message ${i}`,
        channel: "API" as const,
        createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
      })),
    });
    const done = await complete((await file({ contactId: p.contactId, type: "PORTABILITY" })).id);
    const { body } = await download(done.export.url);
    expect(body.messages).toHaveLength(1201);
    expect(new Set(body.messages.map((m: any) => m.id)).size).toBe(1201);
    // Oldest first, across batch boundaries (the ticket's first message is the newest here).
    expect(body.messages.slice(0, 1200).map((m: any) => m.body)).toEqual(Array.from({ length: 1200 }, (_, i) => `message ${i}`));
    expect(body.messages[1200].body).toBe("Hello, this is Hugo History.");
  });
});

describe("RECTIFICATION", () => {
  it("applies the corrections through the contacts service, and the receipt names the fields only", async () => {
    const p = await person("Rob Wrong");
    const req = await file({
      contactId: p.contactId,
      type: "RECTIFICATION",
      corrections: { name: "Rob Right", email: "ROB.RIGHT@Example.com", locale: "fr" },
    });
    expect(req.details).toEqual({ corrections: { name: "Rob Right", email: "rob.right@example.com", locale: "fr" } });
    const done = await complete(req.id);
    expect(done.receipt).toEqual({ correctedFields: ["name", "email", "locale"] });
    const contact = await app.gql(`query($c: ID!) { contact(id: $c) { name email locale } }`, { c: p.contactId }, t.ownerToken);
    expect(contact.data.contact).toEqual({ name: "Rob Right", email: "rob.right@example.com", locale: "fr" });
  });

  it("fails on an email another contact has, and writes nothing", async () => {
    const taken = await person("Tina Taken");
    const p = await person("Carl Clash");
    const req = await file({ contactId: p.contactId, type: "RECTIFICATION", corrections: { email: taken.email, name: "Carl Changed" } });
    const r = await app.gql(COMPLETE, { id: req.id }, t.ownerToken);
    expect(codes(r)).toEqual(["CONFLICT"]);
    expect(r.errors![0]!.extensions).toMatchObject({ fields: [{ path: ["corrections", "email"] }], existingContactId: taken.contactId });
    const contact = await app.gql(`query($c: ID!) { contact(id: $c) { name email } }`, { c: p.contactId }, t.ownerToken);
    expect(contact.data.contact).toEqual({ name: "Carl Clash", email: p.email });
    const status = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { status receipt } } }`,
      { id: req.id },
      t.ownerToken,
    );
    expect(status.data.node).toEqual({ status: "RECEIVED", receipt: null });
    expect(await auditActions(p.contactId)).toEqual(["dsr.filed"]);
  });
});

describe("RESTRICTION, OBJECTION and CONSENT_WITHDRAWAL", () => {
  it("RESTRICTION: processing stops (PROCESSING_RESTRICTED) until liftRestriction", async () => {
    const p = await person("Resi Restrict");
    const done = await complete((await file({ contactId: p.contactId, type: "RESTRICTION" })).id);
    expect(done.receipt).toMatchObject({ restricted: true, alreadyRestricted: false });
    const contact = await app.gql(`query($c: ID!) { contact(id: $c) { restricted restrictionReason } }`, { c: p.contactId }, t.ownerToken);
    expect(contact.data.contact.restricted).toBe(true);
    expect(contact.data.contact.restrictionReason).toContain("Data-subject request");
    expect(
      codes(await app.gql(`mutation($c: ID!) { updateContact(id: $c, input: { name: "x" }) { id } }`, { c: p.contactId }, t.ownerToken)),
    ).toEqual(["PROCESSING_RESTRICTED"]);
    expect(
      codes(
        await app.gql(
          `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
          { i: { ticketId: p.ticketId, body: "hi" } },
          t.ownerToken,
        ),
      ),
    ).toEqual(["PROCESSING_RESTRICTED"]);
    await app.gql(`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: p.contactId }, t.ownerToken);
    const ok = await app.gql(
      `mutation($c: ID!) { updateContact(id: $c, input: { name: "Resi Free" }) { name } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    expect(ok.data.updateContact.name).toBe("Resi Free");
  });

  it("OBJECTION: the objected purpose stops, so @consent fields become null with CONSENT_REQUIRED", async () => {
    const p = await person("Otis Object");
    const SUMMARY = `query($c: ID!) { contact(id: $c) { name supportSummary { ticketCount } } }`;
    const before = await app.gql(SUMMARY, { c: p.contactId }, t.ownerToken);
    expect(before.data.contact.supportSummary).toEqual({ ticketCount: 1 });
    const req = await file({ contactId: p.contactId, type: "OBJECTION", purposes: ["analytics", "analytics"] });
    expect(req.details).toEqual({ purposes: ["analytics"] });
    const done = await complete(req.id);
    expect(done.receipt.recorded).toEqual([{ purpose: "analytics", action: "OBJECTED", consentEventId: expect.any(String) }]);
    const after = await app.gql(SUMMARY, { c: p.contactId }, t.ownerToken);
    expect(after.data.contact).toEqual({ name: "Otis Object", supportSummary: null });
    expect(codes(after)).toEqual(["CONSENT_REQUIRED"]);
    expect(after.errors![0]!.path).toEqual(["contact", "supportSummary"]);
  });

  it("CONSENT_WITHDRAWAL: records WITHDRAWN for each purpose", async () => {
    const p = await person("Wanda Withdraw");
    await app.gql(
      `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    await app.gql(
      `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "sms.messaging" }) { id } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    await complete((await file({ contactId: p.contactId, type: "CONSENT_WITHDRAWAL", purposes: ["marketing"] })).id);
    const r = await app.gql(
      `query($c: ID!) { contact(id: $c) { consents { purpose status allowed } consentHistory(last: 1) { edges { node { purpose action method } } } } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    expect(r.data.contact.consents).toContainEqual({ purpose: "marketing", status: "WITHDRAWN", allowed: false });
    expect(r.data.contact.consents).toContainEqual({ purpose: "sms.messaging", status: "GRANTED", allowed: true });
    expect(r.data.contact.consentHistory.edges[0].node).toEqual({ purpose: "marketing", action: "WITHDRAWN", method: "API" });
  });
});

describe("ERASURE", () => {
  it("erases the person, keeps other people's words, reports every store and verifies nothing is left", async () => {
    const eve = await person("Eve Erasmus", { phone: "+33612345678" }, "Refund for Eve Erasmus");
    const otto = await person("Otto Bystander", {}, "Otto's question");
    await say(eve.ticketId, `Hello Eve Erasmus, we wrote to ${eve.email}. Announcements follow.`);
    const noteId = await say(eve.ticketId, "internal: call back on +33612345678", { internal: true });
    await attach(noteId, "call-notes-Eve Erasmus.txt");
    const hers = await say(eve.ticketId, "Here is my invoice", { from: "REQUESTER" });
    await attach(hers, "invoice.txt");
    await say(otto.ticketId, "Eve Erasmus called from +33612345678 about it. Nevertheless it works now.");
    await app.gql(
      `mutation($c: ID!) { grantConsent(input: { contactId: $c, purpose: "marketing" }) { id } }`,
      { c: eve.contactId },
      t.ownerToken,
    );
    const portal = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: eve.contactId }, t.ownerToken);
    const portalToken = portal.data.issuePortalToken.token;
    const eveExport = await complete((await file({ contactId: eve.contactId, type: "ACCESS" })).id);
    const ottoExport = await complete((await file({ contactId: otto.contactId, type: "ACCESS" })).id);
    const rect = await file({ contactId: eve.contactId, type: "RECTIFICATION", corrections: { phone: "+33698765432" } });

    const ids = { e: eve.email, p: "+33612345678", n: "Eve Erasmus" };
    const before = await app.gql(SCAN, ids, t.ownerToken);
    expect(before.data.personalDataScan.total).toBeGreaterThan(0);

    const archived = await app.database.prisma.dataExport.findUniqueOrThrow({ where: { id: eveExport.receipt.exportId } });
    const req = await file({ contactId: eve.contactId, type: "ERASURE" });
    const done = await complete(req.id);
    expect(done.status).toBe("COMPLETED");
    // Her export's archive left the blob store with its row.
    await expect(app.database.forTenant(t.id).$blobs.get(archived.blobKey!)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
    expect(await app.database.prisma.blobDeletion.count({ where: { tenantId: t.id } })).toBe(0);
    expect(done.receipt.counts).toEqual({
      contacts: 1,
      messagesRedacted: 2,
      // No custom field values, followings or satisfaction comments of hers: their stores report nothing.
      customFieldValuesDeleted: 0,
      followingsDeleted: 0,
      notificationsDeleted: 0,
      satisfactionCommentsRemoved: 0,
      // No mail of hers: the email store reports nothing changed.
      emailsRedacted: 0,
      emailHeadersScrubbed: 0,
      emailContentScrubbed: 0,
      attachmentsDeleted: 1,
      portalTokensDeleted: 1,
      exportsDeleted: 1,
      subjectsScrubbed: 1,
      bodiesScrubbed: 3,
      filenamesScrubbed: 1,
      // The note's file says "file call-notes-Eve Erasmus.txt": its contents are redacted too.
      attachmentContentsScrubbed: 1,
      attachmentsMentioningDeleted: 0,
      unsearchableAttachmentsDeleted: 0,
      requestDetailsScrubbed: 1,
    });
    expect(done.receipt.verification).toMatchObject({
      leftovers: 0,
      unverifiable: 0,
      scannedStores: expect.arrayContaining(["Contact", "Ticket.subject", "Message.body", "Attachment.filename", "Attachment.content"]),
    });
    expect(done.receipt.stores.find((s: any) => s.store === "ConsentEvent")).toMatchObject({ action: "kept", count: 1 });
    expect(JSON.stringify(done.receipt)).not.toMatch(/\bEve\b|Erasmus|33612345678|example\.com/);

    // The shell stays, with its tickets; its data is gone.
    const shell = await app.database.prisma.contact.findUniqueOrThrow({ where: { id: rawId(eve.contactId) } });
    expect(shell).toMatchObject({ name: "Erased contact", email: null, phone: null, locale: null, restrictedAt: null });
    expect(shell.erasedAt).not.toBeNull();
    const ticket = await app.gql(
      `query($id: ID!) { ticket(id: $id) { subject requester { name erased } messages(first: 20) { edges { node { body redacted internal attachments { filename } } } } } }`,
      { id: eve.ticketId },
      t.ownerToken,
    );
    const { subject, requester, messages } = ticket.data.ticket;
    expect(subject).toBe("Refund for [redacted]");
    expect(requester).toEqual({ name: "Erased contact", erased: true });
    expect(messages.edges.map((e: any) => [e.node.body, e.node.redacted])).toEqual([
      ["[redacted]", true],
      ["Hello [redacted], we wrote to [redacted]. Announcements follow.", false],
      ["internal: call back on [redacted]", false],
      ["[redacted]", true],
    ]);
    expect(messages.edges[2].node.attachments).toEqual([{ filename: "call-notes-[redacted].txt" }]);
    expect(messages.edges[3].node.attachments).toEqual([]);
    const other = await app.gql(
      `query($id: ID!) { ticket(id: $id) { subject messages { edges { node { body } } } } }`,
      { id: otto.ticketId },
      t.ownerToken,
    );
    expect(other.data.ticket.subject).toBe("Otto's question");
    expect(other.data.ticket.messages.edges.map((e: any) => e.node.body)).toContain(
      "[redacted] called from [redacted] about it. Nevertheless it works now.",
    );
    // Consent history is kept; the rectification request keeps the field name, not the value.
    expect(await app.database.prisma.consentEvent.count({ where: { contactId: rawId(eve.contactId) } })).toBe(1);
    const kept = await app.database.prisma.dataSubjectRequest.findUniqueOrThrow({ where: { id: rawId(rect.id) } });
    expect(kept.details).toEqual({ correctedFields: ["phone"] });

    // Nothing found any more; her portal token and export link are dead; Otto's export still works.
    const after = await app.gql(SCAN, ids, t.ownerToken);
    expect(after.data.personalDataScan.total).toBe(0);
    expect(after.data.personalDataScan.stores.map((s: any) => s.store)).toEqual(
      expect.arrayContaining(["Contact", "Ticket.subject", "Message.body", "Attachment.filename", "DataSubjectRequest.details"]),
    );
    expect(codes(await app.gql(`{ viewer { kind } }`, {}, portalToken))).toEqual(["UNAUTHENTICATED"]);
    expect((await download(eveExport.export.url)).status).toBe(404);
    const ottos = await download(ottoExport.export.url);
    expect(ottos.status).toBe(200);
    expect(ottos.body.profile.name).toBe("Otto Bystander");
    // The erased person cannot be the subject of a new request; the erasure is in the audit log.
    expect(codes(await app.gql(FILE, { i: { contactId: eve.contactId, type: "ACCESS" } }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(await auditActions(eve.contactId)).toContain("dsr.completed");
  });

  it("asks enabled integrations to erase too, and the receipt says what each did", async () => {
    const vendor = await startVendor();
    try {
      const other = await app.tenant();
      const settings = [
        { key: "endpoint", value: vendor.url },
        { key: "apiKey", value: "k" },
      ];
      await app.gql(
        `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "test-echo", settings: $s) { id } }`,
        { s: settings },
        other.ownerToken,
      );
      const enabled = await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { enabled } }`, {}, other.ownerToken);
      expect(enabled.data.enablePlugin.enabled).toBe(true);
      const created = await app.gql(
        `mutation { createTicket(input: { subject: "s", body: "b", requester: { name: "Ines Integration" } }) { requester { id } } }`,
        {},
        other.ownerToken,
      );
      const contactId = created.data.createTicket.requester.id;
      const req = (await app.gql(FILE, { i: { contactId, type: "ERASURE" } }, other.ownerToken)).data.fileDataSubjectRequest;
      const done = await app.gql(COMPLETE, { id: req.id }, other.ownerToken);
      expect(done.errors).toBeUndefined();
      expect(done.data.completeDataSubjectRequest.receipt.plugins).toEqual([
        { pluginId: "test-echo", ok: true, store: "Echo assistant (vendor)", deleted: 1 },
      ]);
      expect(vendor.received.filter((r) => r.path === "/erase").map((r) => r.body)).toEqual([{ contactId: rawId(contactId) }]);
    } finally {
      await vendor.close();
    }
  });

  it("does not count a namesake (another contact with the same name) as a leftover", async () => {
    const p = await person("Nina Namesake");
    const twin = await person("Nina Namesake");
    const done = await complete((await file({ contactId: p.contactId, type: "ERASURE" })).id);
    expect(done.receipt.verification).toMatchObject({ leftovers: 0, namesakes: 1 });
    const kept = await app.gql(`query($c: ID!) { contact(id: $c) { name email } }`, { c: twin.contactId }, t.ownerToken);
    expect(kept.data.contact).toEqual({ name: "Nina Namesake", email: twin.email });
  });

  it("is idempotent: erasing again changes nothing and says so", async () => {
    const p = await person("Ian Idempotent");
    await say(p.ticketId, "more", { from: "REQUESTER" });
    const first = await eraseContact(app.database, t.id, rawId(p.contactId));
    expect(first).toMatchObject({ alreadyErased: false, counts: { contacts: 1, messagesRedacted: 2 } });
    const second = await eraseContact(app.database, t.id, rawId(p.contactId));
    expect(second.alreadyErased).toBe(true);
    expect(Object.values(second.counts).every((n) => n === 0)).toBe(true);
    expect(second.erasedAt).toBe(first.erasedAt);
  });

  it("is blocked by a legal hold (LEGAL_HOLD with the reason), and nothing is erased", async () => {
    const p = await person("Hal Hold");
    await app.gql(
      `mutation($c: ID!) { placeLegalHold(contactId: $c, reason: "Litigation 2026-17") { id } }`,
      { c: p.contactId },
      t.ownerToken,
    );
    const req = await file({ contactId: p.contactId, type: "ERASURE" });
    const r = await app.gql(COMPLETE, { id: req.id }, t.ownerToken);
    expect(codes(r)).toEqual(["LEGAL_HOLD"]);
    expect(r.errors![0]!.message).toContain("Litigation 2026-17");
    const contact = await app.gql(`query($c: ID!) { contact(id: $c) { name erased } }`, { c: p.contactId }, t.ownerToken);
    expect(contact.data.contact).toEqual({ name: "Hal Hold", erased: false });
    const status = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on DataSubjectRequest { status } } }`,
      { id: req.id },
      t.ownerToken,
    );
    expect(status.data.node.status).toBe("RECEIVED");
    const scan = await app.gql(SCAN, { n: "Hal Hold" }, t.ownerToken);
    expect(scan.data.personalDataScan.stores.find((s: any) => s.store === "Contact").matches).toBe(1);
  });

  it("personalDataScan needs at least one identifier", async () => {
    expect(codes(await app.gql(SCAN, {}, t.ownerToken))).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(SCAN, { p: "12" }, t.ownerToken))).toEqual(["VALIDATION"]);
  });
});

describe("the portal", () => {
  it("a contact files for themselves, sees their requests, and downloads the export with the link alone", async () => {
    const p = await person("Pia Portal");
    const other = await person("Paul Private");
    const issued = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: p.contactId }, t.ownerToken);
    const token = issued.data.issuePortalToken.token;

    const mine = await app.gql(FILE, { i: { type: "ACCESS" } }, token);
    expect(mine.errors).toBeUndefined();
    expect(mine.data.fileDataSubjectRequest).toMatchObject({ type: "ACCESS", status: "RECEIVED", contact: { id: p.contactId } });
    expect(codes(await app.gql(FILE, { i: { type: "ACCESS", contactId: other.contactId } }, token))).toEqual(["NOT_FOUND"]);
    const theirs = await file({ contactId: other.contactId, type: "ERASURE" });
    // Handling and the tenant-wide list are for staff.
    expect(codes(await app.gql(COMPLETE, { id: mine.data.fileDataSubjectRequest.id }, token))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(`{ dataSubjectRequests { totalCount } }`, {}, token))).toEqual(["FORBIDDEN"]);
    expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: theirs.id }, token)).data.node).toBeNull();

    await complete(mine.data.fileDataSubjectRequest.id);
    const seen = await app.gql(
      `{ viewer { contact { dataSubjectRequests { totalCount edges { node { type status export { url } } } } } } }`,
      {},
      token,
    );
    expect(seen.data.viewer.contact.dataSubjectRequests.totalCount).toBe(1);
    const url = seen.data.viewer.contact.dataSubjectRequests.edges[0].node.export.url;
    const { status, body } = await download(url);
    expect(status).toBe(200);
    expect(body.profile.name).toBe("Pia Portal");
    const filed = body.dataSubjectRequests[0];
    expect(filed).toMatchObject({ type: "ACCESS" });
    expect(body.accessLog.find((e: any) => e.action === "dsr.filed")).toMatchObject({ actorType: "CONTACT", actorId: rawId(p.contactId) });
  });

  it("a portal token sees nothing of another tenant's requests", async () => {
    const other = await app.tenant();
    const theirs = await app.gql(
      `mutation { createTicket(input: { subject: "s", body: "b", requester: { name: "Tom Tenant" } }) { requester { id } } }`,
      {},
      other.ownerToken,
    );
    const theirContact = theirs.data.createTicket.requester.id;
    const theirRequest = (await app.gql(FILE, { i: { contactId: theirContact, type: "ACCESS" } }, other.ownerToken)).data
      .fileDataSubjectRequest;

    const p = await person("Ursula Us");
    const token = (await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: p.contactId }, t.ownerToken)).data
      .issuePortalToken.token;
    await app.gql(FILE, { i: { type: "RESTRICTION" } }, token);
    expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: theirRequest.id }, token)).data.node).toBeNull();
    expect(codes(await app.gql(FILE, { i: { type: "ACCESS", contactId: theirContact } }, token))).toEqual(["NOT_FOUND"]);
    const listed = await app.gql(`{ viewer { contact { dataSubjectRequests { edges { node { id type } } } } } }`, {}, token);
    expect(listed.data.viewer.contact.dataSubjectRequests.edges.map((e: any) => e.node.type)).toEqual(["RESTRICTION"]);
    // And the other tenant's admin does not see ours.
    const theirList = await app.gql(`{ dataSubjectRequests { totalCount edges { node { id } } } }`, {}, other.ownerToken);
    expect(theirList.data.dataSubjectRequests).toEqual({ totalCount: 1, edges: [{ node: { id: theirRequest.id } }] });
  });
});
