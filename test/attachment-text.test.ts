import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TextExtractor, textExtractor } from "../src/attachments/extract/pool.js";
import { extractAttachmentText, extractPendingTexts, type TextServices } from "../src/attachments/extract/service.js";
import { readAll } from "../src/blobs/store.js";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { createTenant } from "../src/tenants/service.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { cli, embeddedEnv, tempDirs } from "./support/cli.js";
import { docxParts, docxWith, pdfWith, zip } from "./support/documents.js";

/**
 * The text of attachments, end to end: extracted off the request once a
 * message with files is committed (or by the backfill), searched with the
 * message (a note's files only by who may read notes), found and removed by
 * erasure, and never returned itself.
 */

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
let app: TestApp;
let t: TestTenant;
let text: TextServices;

beforeAll(async () => {
  // Credentials stay cached for the file's length: the statement counts below are the search's own.
  app = await startApp({ CREDENTIAL_CACHE_SECONDS: "3600" });
  t = await app.tenant();
  text = {
    config: loadConfig({ DATA_DIR: "memory://", LOG_LEVEL: "silent" }),
    database: app.database,
    log: app.server.log,
    extractor: null!,
  };
  text.extractor = textExtractor(text.config);
});
afterAll(async () => {
  await text?.extractor.close();
  await app?.close();
});

const raw = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;

async function ok(query: string, variables: Record<string, unknown> = {}, token = t.ownerToken) {
  const r = await app.gql(query, variables, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

const ticket = async (subject: string, requester: Record<string, unknown>, body = "Hello") =>
  (await ok(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`, { i: { subject, body, requester } }))
    .createTicket as { id: string; requester: { id: string } };

/** A file uploaded through its link, as clients do; returns the attachment's global ID. */
async function upload(ticketId: string, filename: string, contentType: string, bytes: Buffer, internal = false, token = t.ownerToken) {
  const u = (
    await ok(
      `mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`,
      { i: { ticketId, filename, contentType, size: bytes.length, internal } },
      token,
    )
  ).createAttachmentUpload;
  const put = await fetch(u.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: { "content-type": contentType } });
  expect(put.status).toBe(201);
  return u.attachmentId as string;
}

/** A message with files; waits until what follows it (the text extraction among it) has run. */
async function say(ticketId: string, body: string, attachmentIds: string[], extra: Record<string, unknown> = {}, token = t.ownerToken) {
  const id = (
    await ok(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body, attachmentIds, ...extra } }, token)
  ).addMessage.id as string;
  await app.consumed(t);
  return id;
}

const status = async (attachmentId: string) =>
  (await ok(`query($id: ID!) { node(id: $id) { ... on Attachment { textStatus textReason } } }`, { id: attachmentId })).node as {
    textStatus: string;
    textReason: string | null;
  };

const SEARCH = `query($q: String!) { search(query: $q, first: 20) { totalCount edges { node { highlights { field snippet } result {
  __typename ... on Message { id ticket { id } } ... on Ticket { id } } } } } }`;
const search = async (q: string, token = t.ownerToken) => {
  const r = await app.gql(SEARCH, { q }, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.search as { totalCount: number; edges: { node: { highlights: { field: string; snippet: string }[]; result: any } }[] };
};

describe("extraction after upload", () => {
  let ticketId: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    ticketId = (await ticket("Broken feeder", { name: "Fay Feeder", email: "fay@example.org" })).id;
    files.pdf = await upload(
      ticketId,
      "invoice.pdf",
      "application/pdf",
      await pdfWith(["Invoice for the flamingo feeder", "Total 120 EUR"]),
    );
    files.docx = await upload(ticketId, "letter.docx", DOCX, docxWith(["The cormorant perch is on its way."]));
    files.html = await upload(ticketId, "mail.html", "text/html", Buffer.from("<p>Forwarded: the <b>heron</b> pond pump</p>"));
    // A PDF sent as an unknown type is still a PDF; an image is not read past its first chunk.
    files.disguised = await upload(ticketId, "scan0001", "application/octet-stream", await pdfWith(["Spoonbill delivery slip"]));
    files.image = await upload(ticketId, "photo.png", "image/png", randomBytes(1024 * 1024));
    const bomb = zip([...docxParts(["x"]), { name: "word/media/filler.bin", data: Buffer.alloc(60 * 1024 * 1024) }]);
    files.bomb = await upload(ticketId, "huge.docx", DOCX, bomb);
    // What the extraction reads of each file, chunk by chunk (the store's own reading, observed).
    const get = app.database.blobs.get.bind(app.database.blobs);
    app.database.blobs.get = async (tenantId, key) => {
      const chunks = await get(tenantId, key);
      return (async function* () {
        for await (const chunk of chunks) {
          chunksRead.set(key, (chunksRead.get(key) ?? 0) + 1);
          yield chunk;
        }
      })();
    };
    try {
      await say(ticketId, "Here are the documents.", Object.values(files));
    } finally {
      app.database.blobs.get = get;
    }
  });
  const chunksRead = new Map<string, number>();

  it("reads PDF, Word and HTML files once the message is committed, and marks what it cannot read with a reason", async () => {
    expect(await status(files.pdf!)).toEqual({ textStatus: "EXTRACTED", textReason: null });
    expect(await status(files.docx!)).toEqual({ textStatus: "EXTRACTED", textReason: null });
    expect(await status(files.html!)).toEqual({ textStatus: "EXTRACTED", textReason: null });
    expect(await status(files.disguised!)).toEqual({ textStatus: "EXTRACTED", textReason: null });
    expect(await status(files.image!)).toEqual({ textStatus: "NOT_EXTRACTED", textReason: "UNSUPPORTED_TYPE" });
    const keyOf = async (id: string) => (await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(id) } })).blobKey!;
    // 1 MiB is 16 chunks of 64 KiB: the first showed it is no PDF, Word or text file.
    expect(chunksRead.get(await keyOf(files.image!))).toBe(1);
    expect(chunksRead.get(await keyOf(files.pdf!))).toBeGreaterThanOrEqual(1);
    // The zip bomb is refused, not an error: the file and the message stand, downloadable as ever.
    expect(await status(files.bomb!)).toEqual({ textStatus: "NOT_EXTRACTED", textReason: "ZIP_BOMB" });
    const { downloadUrl } = (await ok(`query($id: ID!) { node(id: $id) { ... on Attachment { downloadUrl } } }`, { id: files.bomb })).node;
    expect((await fetch(downloadUrl)).status).toBe(200);
  });

  it("keeps the text encrypted in the blob store, never in the database or the API", async () => {
    const row = await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(files.pdf!) } });
    expect(row.textBlobKey).toMatch(/^[0-9a-f-]{36}$/);
    const stored = await readAll(await app.database.blobs.get(t.id, row.textBlobKey!));
    expect(stored.toString("utf8")).toBe("Invoice for the flamingo feeder\nTotal 120 EUR");
    const fields = (await ok(`{ __type(name: "Attachment") { fields { name } } }`)).__type.fields.map((f: { name: string }) => f.name);
    expect(fields).toEqual(expect.arrayContaining(["textStatus", "textReason"]));
    expect(fields.filter((f: string) => /text/i.test(f)).sort()).toEqual(["textReason", "textStatus"]);
  });

  it("is idempotent: asked again, a file keeps its text and no second copy is stored", async () => {
    const before = await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(files.pdf!) } });
    expect(await extractAttachmentText(text, t.id, raw(files.pdf!))).toBe("EXTRACTED");
    const after = await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(files.pdf!) } });
    expect(after.textBlobKey).toBe(before.textBlobKey);
    expect(after.textExtractedAt).toEqual(before.textExtractedAt);
    // Another tenant's id is nobody's file here.
    expect(await extractAttachmentText(text, (await app.tenant()).id, raw(files.pdf!))).toBeNull();
  });

  it("reads every file when many messages with files come at once: a few files per call, none left behind", async () => {
    const messages = await Promise.all(
      [0, 1, 2, 3].map(async (i) => [
        await upload(ticketId, `grebe-${i}-a.txt`, "text/plain", Buffer.from(`Grebe ${i} first`)),
        await upload(ticketId, `grebe-${i}-b.txt`, "text/plain", Buffer.from(`Grebe ${i} second`)),
      ]),
    );
    // Added together: their events reach the consumer in one batch, more files than one call reads.
    await Promise.all(
      messages.map((attachmentIds, i) =>
        ok(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body: `Grebes ${i}`, attachmentIds } }),
      ),
    );
    await app.consumed(t);
    for (const id of messages.flat()) expect(await status(id)).toEqual({ textStatus: "EXTRACTED", textReason: null });
  });
});

describe("search", () => {
  let ticketId: string;
  let noteId: string;
  let portalToken: string;

  beforeAll(async () => {
    const created = await ticket("Garden order", { name: "Gus Garden", email: "gus@example.org" });
    ticketId = created.id;
    const pdf = await upload(ticketId, "quote.pdf", "application/pdf", await pdfWith(["Quote: one albatross statue, bronze"]));
    await say(ticketId, "Our quote is attached.", [pdf]);
    const note = await upload(ticketId, "margin.pdf", "application/pdf", await pdfWith(["Internal: the pelican discount is 40%"]), true);
    noteId = await say(ticketId, "Margins, see file.", [note], { internal: true });
    portalToken = (await ok(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: created.requester.id }))
      .issuePortalToken.token;
  });

  it("finds a ticket's message by a word inside its PDF, with a snippet of the file", async () => {
    const found = await search("albatross");
    expect(found.totalCount).toBe(1);
    const [hit] = found.edges;
    expect(hit!.node.result).toMatchObject({ __typename: "Message", ticket: { id: ticketId } });
    expect(hit!.node.highlights).toEqual([{ field: "attachments", snippet: expect.stringContaining("<mark>albatross</mark>") }]);
    // Stemmed like bodies: a plural finds the singular.
    expect((await search("statues")).totalCount).toBe(1);
  });

  it("costs one statement more than a search of bodies, and only when a file matched", async () => {
    // The fewest statements of three runs: a statement another request left unfinished can fall into one run.
    const statements = async (q: string) => {
      let fewest: string[] | undefined;
      for (let i = 0; i < 3; i++) {
        const before = app.database.queryCount;
        await search(q);
        const sent = app.database.statementsSince(before);
        if (!fewest || sent.length < fewest.length) fewest = sent;
      }
      return fewest!;
    };
    const snippetOfFiles = (sql: string) => sql.includes("'attachments' AS field");
    const bodies = await statements("attached");
    expect(bodies.filter(snippetOfFiles)).toEqual([]);
    expect((await statements("margins")).length).toBe(bodies.length);
    const files = await statements("albatross");
    expect(files.length).toBe(bodies.length + 1);
    expect(files.filter(snippetOfFiles)).toHaveLength(1);
  });

  it("finds a note's files only for callers who may read notes", async () => {
    const byOwner = await search("pelican");
    expect(byOwner.edges.map((e) => e.node.result.id)).toEqual([noteId]);
    const reader = await app.apiKey(t, ["TICKETS_READ"]);
    expect((await search("pelican", reader)).totalCount).toBe(0);
    expect((await search("albatross", reader)).totalCount).toBe(1);
    const noteReader = await app.apiKey(t, ["TICKETS_READ", "NOTES_READ"]);
    expect((await search("pelican", noteReader)).totalCount).toBe(1);
    // The requester on the portal finds the public file, never the note's.
    expect((await search("albatross", portalToken)).totalCount).toBe(1);
    expect((await search("pelican", portalToken)).totalCount).toBe(0);
  });

  it("follows the tenant's language: words made again from the stored texts after a change of locale", async () => {
    await app.database.prisma.tenant.update({ where: { id: t.id }, data: { defaultLocale: "de" } });
    const withoutWords = () =>
      app.database.prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM "Attachment" WHERE "tenantId" = ${t.id}::uuid AND "textBlobKey" IS NOT NULL AND "textVector" IS NULL`;
    expect((await withoutWords())[0]!.n).toBeGreaterThan(0);
    expect((await search("albatross")).totalCount).toBe(0);
    await extractPendingTexts(text);
    expect((await withoutWords())[0]!.n).toBe(0);
    expect((await search("albatross")).totalCount).toBe(1);
    await app.database.prisma.tenant.update({ where: { id: t.id }, data: { defaultLocale: "en" } });
    await extractPendingTexts(text);
    expect((await search("statues")).totalCount).toBe(1);
  });
});

describe("files without the event", () => {
  it("are extracted by the backfill: attached the deprecated way, or from before extraction", async () => {
    const { id: ticketId } = await ticket("Old way", { name: "Otto Old" });
    const messageId = await say(ticketId, "A file follows.", []);
    const added = (
      await ok(`mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id textStatus } }`, {
        i: {
          messageId,
          filename: "old.pdf",
          contentType: "application/pdf",
          contentBase64: (await pdfWith(["The kingfisher nest box"])).toString("base64"),
        },
      })
    ).addAttachment;
    expect(added.textStatus).toBe("PENDING");
    expect((await search("kingfisher")).totalCount).toBe(0);
    expect(await extractPendingTexts(text)).toBeGreaterThanOrEqual(1);
    expect(await status(added.id)).toEqual({ textStatus: "EXTRACTED", textReason: null });
    expect((await search("kingfisher")).totalCount).toBe(1);
    // Nothing left to do: a second run reads no file.
    expect(await extractPendingTexts(text)).toBe(0);
  });

  it("are tried again on request when they failed, after a limit was raised", async () => {
    const { id: ticketId } = await ticket("Limits", { name: "Lima Limit" });
    const messageId = await say(ticketId, "Notes follow.", []);
    const file = (
      await ok(`mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id } }`, {
        i: {
          messageId,
          filename: "notes.docx",
          contentType: DOCX,
          contentBase64: docxWith(["The egret sanctuary opens in May."]).toString("base64"),
        },
      })
    ).addAttachment.id as string;
    // Extracted with a limit too low for the document: refused as a bomb would be.
    const small = new TextExtractor({ timeoutMs: 60_000, maxHeapMb: 128, limits: { maxChars: 1000, maxInflatedBytes: 100 } });
    expect(await extractAttachmentText({ ...text, extractor: small }, t.id, raw(file))).toBe("NOT_EXTRACTED");
    await small.close();
    expect(await status(file)).toEqual({ textStatus: "NOT_EXTRACTED", textReason: "ZIP_BOMB" });
    await extractPendingTexts(text);
    expect((await status(file)).textStatus).toBe("NOT_EXTRACTED");
    await extractPendingTexts(text, { retryNotExtracted: true });
    expect(await status(file)).toEqual({ textStatus: "EXTRACTED", textReason: null });
    expect((await search("egret")).totalCount).toBe(1);
  });
});

describe("erasure", () => {
  const piet = { name: "Piet Pieters", email: "piet.p@example.nl", phone: "+31 6 1234 5678" };
  const files: Record<string, string> = {};
  let pietId: string;
  let receipt: any;

  beforeAll(async () => {
    // A tenant of its own: the scan and the erasure read every file of the tenant.
    t = await app.tenant();
    const own = await ticket("Parcel", piet, "My parcel never arrived.");
    pietId = own.requester.id;
    // On Piet's ticket: a Word file not about him (kept: it can be searched now) and an image (cannot: deleted).
    files.policy = await upload(own.id, "policy.docx", DOCX, docxWith(["Parcels are insured up to 500 EUR."]));
    files.photo = await upload(own.id, "photo.png", "image/png", randomBytes(64));
    await say(own.id, "Our policy and a photo.", [files.policy!, files.photo!]);
    // Someone else's ticket: a PDF with Piet's number in another spelling, a text file with his email,
    // and an HTML page with his name: the PDF and the page cannot be redacted in place.
    const other = await ticket("Neighbour", { name: "Greta Gans", email: "greta@example.nl" });
    files.pdf = await upload(
      other.id,
      "statement.pdf",
      "application/pdf",
      await pdfWith(["Witness statement", "Neighbour reachable on 06-12345678."]),
    );
    files.txt = await upload(
      other.id,
      "contacts.txt",
      "text/plain",
      Buffer.from(`neighbour: ${piet.email.toUpperCase()}\nme: greta@example.nl\n`),
    );
    files.html = await upload(other.id, "note.html", "text/html", Buffer.from("<p>Ask Piet&nbsp;Pieters about the sandpiper</p>"));
    files.unrelated = await upload(other.id, "menu.pdf", "application/pdf", await pdfWith(["Lunch menu: tomato soup"]));
    await say(other.id, "Files from the neighbour.", Object.values(files).slice(2), { from: "REQUESTER" });

    const scan = (
      await ok(`query($p: String) { personalDataScan(phone: $p) { total unsearchable stores { store matches } } }`, { p: "+31612345678" })
    ).personalDataScan;
    // The PDF is found by the number in its text; nothing on the tenant's files is unsearchable but the photo.
    expect(scan.stores.find((s: { store: string }) => s.store === "Attachment.content").matches).toBe(1);
    expect(scan.unsearchable).toBe(1);

    const filed = await ok(`mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`, {
      i: { contactId: pietId, type: "ERASURE" },
    });
    receipt = (await ok(`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { receipt } }`, { id: filed.fileDataSubjectRequest.id }))
      .completeDataSubjectRequest.receipt;
  });

  const exists = async (id: string) => (await app.database.prisma.attachment.count({ where: { id: raw(id) } })) === 1;

  it("deletes a PDF and an HTML page whose text mentions the person, redacts a text file, and lists each in the receipt", async () => {
    expect(receipt.counts).toMatchObject({
      attachmentsMentioningDeleted: 2,
      attachmentContentsScrubbed: 1,
      unsearchableAttachmentsDeleted: 1,
    });
    expect(receipt.verification).toMatchObject({ leftovers: 0, unverifiable: 0 });
    expect(receipt.files).toEqual(
      expect.arrayContaining([
        {
          attachmentId: files.pdf,
          ticketId: expect.any(String),
          contentType: "application/pdf",
          action: "deleted",
          why: expect.stringContaining("cannot be redacted"),
        },
        {
          attachmentId: files.html,
          ticketId: expect.any(String),
          contentType: "text/html",
          action: "deleted",
          why: expect.stringContaining("cannot be redacted"),
        },
        {
          attachmentId: files.txt,
          ticketId: expect.any(String),
          contentType: "text/plain",
          action: "redacted",
          why: "mentions the person",
        },
        {
          attachmentId: files.photo,
          ticketId: expect.any(String),
          contentType: "image/png",
          action: "deleted",
          why: expect.stringContaining("no text"),
        },
      ]),
    );
    expect(receipt.files).toHaveLength(4);
    expect(await exists(files.pdf!)).toBe(false);
    expect(await exists(files.html!)).toBe(false);
    expect(await exists(files.photo!)).toBe(false);
    expect(await exists(files.policy!)).toBe(true);
    expect(await exists(files.unrelated!)).toBe(true);
  });

  it("redacts a text file's extracted text with the file, and leaves nothing for search to find", async () => {
    const row = await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(files.txt!) } });
    expect(row.textStatus).toBe("EXTRACTED");
    const stored = (await readAll(await app.database.blobs.get(t.id, row.textBlobKey!))).toString("utf8");
    expect(stored).toBe("neighbour: [redacted]\nme: greta@example.nl\n");
    expect((await search("sandpiper")).totalCount).toBe(0);
    expect((await search("witness")).totalCount).toBe(0);
    expect((await search("neighbour")).totalCount).toBeGreaterThan(0);
    expect((await search("tomato")).totalCount).toBe(1);
    // The erased name leaves the typo vocabulary too: the files that held it were gone before the contact was anonymised.
    const words = await app.database.prisma.$queryRaw<{ word: string }[]>`
      SELECT "word" FROM "SearchWord" WHERE "tenantId" = ${t.id}::uuid AND "word" IN ('piet', 'pieters')`;
    expect(words).toEqual([]);
  });

  it("leaves no text blob of a deleted file in the store", async () => {
    const queued = await app.database.prisma.blobDeletion.count({ where: { tenantId: t.id } });
    expect(queued).toBe(0);
  });
});

describe("deskgraph attachments:extract-text", () => {
  const dirs = tempDirs("deskgraph-extract-");

  it("extracts what has no text yet on the embedded database, and says where every file stands", async () => {
    const dataDir = dirs();
    const env = { ...embeddedEnv(dataDir), ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    const config = loadConfig(env as Record<string, string>);
    const database = await openDatabase(config);
    await database.migrate();
    const { tenant } = await createTenant(database, {
      name: "CLI",
      slug: "cli",
      owner: { email: "o@cli.test", name: "O", password: "a long enough password" },
    });
    const db = database.forTenant(tenant.id);
    const contact = await db.contact.create({ data: { tenantId: tenant.id, name: "Cleo" } });
    const tk = await db.ticket.create({ data: { tenantId: tenant.id, subject: "s", requesterId: contact.id, number: 1 } });
    const message = await db.message.create({
      data: { tenantId: tenant.id, ticketId: tk.id, body: "b", authorType: "CONTACT", authorContactId: contact.id, channel: "WEB" },
    });
    for (const [name, bytes] of [
      ["a.pdf", await pdfWith(["the avocet"])],
      ["b.bin", randomBytes(10)],
    ] as const) {
      const blob = await db.$blobs.put([bytes]);
      await db.attachment.create({
        data: {
          tenantId: tenant.id,
          ticketId: tk.id,
          messageId: message.id,
          // Stored while scanning was off (the command's environment has it off): readable.
          scanStatus: "NOT_SCANNED",
          filename: name,
          contentType: "application/octet-stream",
          size: blob.size,
          blobKey: blob.key,
          uploadedAt: new Date(),
        },
      });
    }
    await database.close();
    const r = await cli(["attachments:extract-text", "--batch", "1"], env);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("Handled 2 attachment file(s). Text status now: EXTRACTED 1, NOT_EXTRACTED 1.");
    expect(path.isAbsolute(dataDir)).toBe(true);
  }, 60_000);
});
