import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteAbandonedUploads } from "../src/attachments/abandoned.js";
import { attachmentLink } from "../src/attachments/links.js";
import { drainBlobDeletions } from "../src/blobs/deletions.js";
import { moveAttachmentsToStore } from "../src/attachments/move-to-store.js";
import { CHUNK_BYTES } from "../src/blobs/chunked-gcm.js";
import { tempDirs } from "./support/cli.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

/**
 * Files outside the GraphQL body: createAttachmentUpload hands out a signed
 * PUT link, addMessage attaches the upload, Attachment.downloadUrl streams it
 * back. Every refusal leaves nothing stored and the upload unusable.
 */

const MAX = 1_000_000;
const KEY = randomBytes(32);
const dirs = tempDirs("deskgraph-uploads-");
let blobDir: string;
let app: TestApp;
let t: TestTenant;
let other: TestTenant;
let ticketId: string;
let otherTicketId: string;
let contactId: string;

const raw = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;
const blobFiles = () =>
  readdirSync(blobDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));

async function ok(query: string, variables: Record<string, unknown> = {}, token = t.ownerToken) {
  const r = await app.gql(query, variables, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

const CREATE = `mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl expiresAt } }`;
const ADD = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id internal attachments { id filename contentType size downloadUrl } } }`;

type Upload = { attachmentId: string; uploadUrl: string; expiresAt: string };
async function upload(input: Record<string, unknown>, token = t.ownerToken): Promise<Upload> {
  return (await ok(CREATE, { i: { ticketId, filename: "a.bin", contentType: "application/octet-stream", ...input } }, token))
    .createAttachmentUpload;
}
const put = (url: string, body: Uint8Array | ReadableStream, contentType = "application/octet-stream", extra: RequestInit = {}) =>
  fetch(url, { method: "PUT", body, headers: { "content-type": contentType }, duplex: "half", ...extra } as RequestInit);

/** A body sent in pieces without Content-Length (chunked), as a browser stream would be. */
function streamed(data: Buffer, piece = 16 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= data.length) return controller.close();
      controller.enqueue(data.subarray(at, (at += piece)));
    },
  });
}

beforeAll(async () => {
  blobDir = dirs();
  app = await startApp({ BLOB_DIR: blobDir, ENCRYPTION_KEY: KEY.toString("base64"), ATTACHMENT_MAX_BYTES: String(MAX) });
  t = await app.tenant();
  other = await app.tenant();
  const created = await ok(
    `mutation { createTicket(input: { subject: "Files", body: "see", requester: { name: "Uma Upload", email: "uma@example.com" } }) { id requester { id } } }`,
  );
  ticketId = created.createTicket.id;
  contactId = created.createTicket.requester.id;
  otherTicketId = (await ok(`mutation { createTicket(input: { subject: "Other", body: "x", requester: { name: "Otto" } }) { id } }`))
    .createTicket.id;
});
afterAll(() => app?.close());

describe("uploading and downloading", () => {
  it("streams a file of many chunks in and out, with the download headers", async () => {
    const data = randomBytes(5 * CHUNK_BYTES + 77);
    const u = await upload({ filename: 'Rechnung "März" ü.pdf', contentType: "application/pdf", size: data.length });
    expect(new Date(u.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const stored = await put(u.uploadUrl, streamed(data), "application/pdf");
    expect(stored.status).toBe(201);
    // Scanning is off on a development server: the file is served unscanned, and says so.
    expect(await stored.json()).toEqual({ attachmentId: u.attachmentId, size: data.length, scanStatus: "NOT_SCANNED" });
    // On disk: encrypted, never the plaintext.
    const file = blobFiles().find((f) => readFileSync(f).length === 20 + data.length + 6 * 16)!;
    expect(readFileSync(file).includes(data.subarray(0, 32))).toBe(false);

    const message = (await ok(ADD, { i: { ticketId, body: "Your invoice", attachmentIds: [u.attachmentId] } })).addMessage;
    expect(message.attachments).toMatchObject([
      { id: u.attachmentId, filename: 'Rechnung "März" ü.pdf', contentType: "application/pdf", size: data.length },
    ]);

    const res = await fetch(message.attachments[0].downloadUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-length")).toBe(String(data.length));
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="Rechnung \\"M?rz\\" ?.pdf"; filename*=UTF-8''Rechnung%20%22M%C3%A4rz%22%20%C3%BC.pdf`,
    );
    // Read as it arrives: more than one piece, and the bytes are the file's.
    const reader = res.body!.getReader();
    const got: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(r.value);
    expect(got.length).toBeGreaterThan(1);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    const head = await fetch(message.attachments[0].downloadUrl, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(data.length));
  });

  it("refuses bad uploads with a code each, storing nothing and leaving the upload unattachable", async () => {
    const data = Buffer.from("hello world");
    const before = blobFiles().length;
    expect(codes(await app.gql(CREATE, { i: { ticketId, filename: "a.txt", contentType: "text/plain", size: 0 } }, t.ownerToken))).toEqual([
      "VALIDATION",
    ]);
    expect(
      codes(await app.gql(CREATE, { i: { ticketId, filename: "a.txt", contentType: "text/plain", size: MAX + 1 } }, t.ownerToken)),
    ).toEqual(["VALIDATION"]);
    expect(
      codes(await app.gql(CREATE, { i: { ticketId, filename: "../a.txt", contentType: "text/plain", size: 1 } }, t.ownerToken)),
    ).toEqual(["VALIDATION"]);
    expect(codes(await app.gql(CREATE, { i: { ticketId, filename: "a.txt", contentType: "no type", size: 1 } }, t.ownerToken))).toEqual([
      "VALIDATION",
    ]);

    const u = await upload({ filename: "a.txt", contentType: "text/plain", size: data.length });
    const tampered = u.uploadUrl.replace(/signature=(.)/, (_m, c) => `signature=${c === "a" ? "b" : "a"}`);
    const expired = attachmentLink("upload", new URL(app.url).origin, KEY, raw(u.attachmentId), new Date(Date.now() - 1000));
    const downloadLink = attachmentLink("download", new URL(app.url).origin, KEY, raw(u.attachmentId), new Date(Date.now() + 60_000));
    const refusals: [string, () => Promise<Response>, number, string][] = [
      ["tampered signature", () => put(tampered, data, "text/plain"), 403, "FORBIDDEN"],
      ["expired link", () => put(expired, data, "text/plain"), 410, "EXPIRED"],
      ["a download link used to upload", () => put(downloadLink, data, "text/plain"), 403, "FORBIDDEN"],
      ["another content type", () => put(u.uploadUrl, data, "text/html"), 415, "CONTENT_TYPE_MISMATCH"],
      ["shorter (Content-Length)", () => put(u.uploadUrl, data.subarray(1), "text/plain"), 400, "SIZE_MISMATCH"],
      ["longer (Content-Length)", () => put(u.uploadUrl, Buffer.concat([data, data]), "text/plain"), 400, "SIZE_MISMATCH"],
      ["beyond the limit", () => put(u.uploadUrl, randomBytes(MAX + 1), "text/plain"), 413, "TOO_LARGE"],
      ["longer (streamed)", () => put(u.uploadUrl, streamed(Buffer.concat([data, data]), 4), "text/plain"), 400, "SIZE_MISMATCH"],
      ["shorter (streamed)", () => put(u.uploadUrl, streamed(data.subarray(0, 5), 2), "text/plain"), 400, "SIZE_MISMATCH"],
      ["zero bytes", () => put(u.uploadUrl, Buffer.alloc(0), "text/plain"), 400, "SIZE_MISMATCH"],
    ];
    for (const [what, send, status, code] of refusals) {
      const res = await send();
      expect(res.status, what).toBe(status);
      expect((await res.json()).code, what).toBe(code);
    }
    expect(blobFiles().length).toBe(before);
    const early = await app.gql(ADD, { i: { ticketId, body: "too early", attachmentIds: [u.attachmentId] } }, t.ownerToken);
    expect(codes(early)).toEqual(["VALIDATION"]);
    expect(early.errors![0]!.message).toContain("has not been uploaded yet");

    // Then the right upload works, once.
    expect((await put(u.uploadUrl, data, "text/plain; charset=utf-8")).status).toBe(201);
    const again = await put(u.uploadUrl, data, "text/plain");
    expect([again.status, (await again.json()).code]).toEqual([409, "ALREADY_UPLOADED"]);
    expect(blobFiles().length).toBe(before + 1);
  });

  it("attaches only the caller's own uploads for the same ticket, once, to a message of the same kind", async () => {
    const data = Buffer.from("x");
    const uploaded = async (input: Record<string, unknown> = {}, token = t.ownerToken) => {
      const u = await upload({ size: 1, ...input }, token);
      expect((await put(u.uploadUrl, data)).status).toBe(201);
      return u.attachmentId;
    };
    const attach = (ids: string[], extra: Record<string, unknown> = {}, token = t.ownerToken) =>
      app.gql(ADD, { i: { ticketId, body: "with files", attachmentIds: ids, ...extra } }, token);

    const forOtherTicket = await uploaded({ ticketId: otherTicketId });
    expect(codes(await attach([forOtherTicket]))).toEqual(["VALIDATION"]);
    const forNote = await uploaded({ internal: true });
    expect(codes(await attach([forNote]))).toEqual(["VALIDATION"]);
    const agent = await app.agent(t, "AGENT");
    expect(codes(await attach([forNote], { internal: true }, agent.token))).toEqual(["NOT_FOUND"]);
    const notAnAttachment = Buffer.from(`Attachment:${raw(ticketId)}`).toString("base64");
    expect(codes(await attach([notAnAttachment]))).toEqual(["NOT_FOUND"]);
    // A failed addMessage adds no message: the files are still free.
    const count = async () =>
      (await ok(`query($id: ID!) { ticket(id: $id) { messages { totalCount } } }`, { id: ticketId })).ticket.messages.totalCount;
    const messages = await count();
    expect(codes(await attach([forNote, forOtherTicket], { internal: true }))).toEqual(["VALIDATION"]);
    expect(await count()).toBe(messages);

    const note = await attach([forNote, forNote], { internal: true });
    expect(note.data.addMessage.attachments.map((a: { id: string }) => a.id)).toEqual([forNote]);
    expect(codes(await attach([forNote], { internal: true }))).toEqual(["VALIDATION"]);
  });

  it("needs what writing the message needs, and shows files only where their message is seen", async () => {
    const notesOnly = await app.apiKey(t, ["TICKETS_READ", "NOTES_READ", "NOTES_WRITE"]);
    const repliesOnly = await app.apiKey(t, ["TICKETS_READ", "TICKETS_WRITE"]);
    const readOnly = await app.apiKey(t, ["TICKETS_READ"]);
    const viewer = await app.agent(t, "VIEWER");
    const input = (extra: Record<string, unknown> = {}) => ({
      i: { ticketId, filename: "n.txt", contentType: "text/plain", size: 4, ...extra },
    });
    expect(codes(await app.gql(CREATE, input({ internal: true }), repliesOnly))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(CREATE, input(), notesOnly))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(CREATE, input(), readOnly))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(CREATE, input(), viewer.token))).toEqual(["FORBIDDEN"]);

    const noteFile = await upload({ filename: "n.txt", contentType: "text/plain", size: 4, internal: true }, notesOnly);
    expect((await put(noteFile.uploadUrl, Buffer.from("note"), "text/plain")).status).toBe(201);
    const note = (await ok(ADD, { i: { ticketId, body: "a note", internal: true, attachmentIds: [noteFile.attachmentId] } }, notesOnly))
      .addMessage;
    const link = note.attachments[0].downloadUrl as string;
    expect(await (await fetch(link)).text()).toBe("note");
    // Without notes:read the file is not there, on any path, and no link is handed out.
    const node = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Attachment { downloadUrl } } }`,
      { id: noteFile.attachmentId },
      repliesOnly,
    );
    expect(node.data.node).toBeNull();

    // A portal contact uploads for their own ticket only, never for a note, and downloads their public files.
    const portal = (await ok(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: contactId })).issuePortalToken.token;
    expect(codes(await app.gql(CREATE, input({ internal: true }), portal))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(CREATE, input({ ticketId: otherTicketId }), portal))).toEqual(["NOT_FOUND"]);
    const mine = await upload({ filename: "me.txt", contentType: "text/plain", size: 2 }, portal);
    expect((await put(mine.uploadUrl, Buffer.from("hi"), "text/plain")).status).toBe(201);
    const reply = (await ok(ADD, { i: { ticketId, body: "my file", attachmentIds: [mine.attachmentId] } }, portal)).addMessage;
    expect(await (await fetch(reply.attachments[0].downloadUrl)).text()).toBe("hi");
    const seen = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Attachment { filename } } }`,
      { id: noteFile.attachmentId },
      portal,
    );
    expect(seen.data?.node ?? null).toBeNull();
    expect(JSON.stringify(seen)).not.toContain("n.txt");
    // The upload link of someone else's upload does not help the contact attach it.
    const agents = await upload({ size: 1 });
    expect((await put(agents.uploadUrl, Buffer.from("a"))).status).toBe(201);
    expect(codes(await app.gql(ADD, { i: { ticketId, body: "steal", attachmentIds: [agents.attachmentId] } }, portal))).toEqual([
      "NOT_FOUND",
    ]);
  });

  it("keeps tenants apart: another tenant's ticket or upload is NOT_FOUND", async () => {
    const mine = await upload({ size: 1 });
    expect((await put(mine.uploadUrl, Buffer.from("m"))).status).toBe(201);
    expect(codes(await app.gql(CREATE, { i: { ticketId, filename: "x", contentType: "text/plain", size: 1 } }, other.ownerToken))).toEqual([
      "NOT_FOUND",
    ]);
    const theirs = (
      await app.gql(
        `mutation { createTicket(input: { subject: "B", body: "b", requester: { name: "Bea" } }) { id } }`,
        {},
        other.ownerToken,
      )
    ).data.createTicket.id;
    expect(codes(await app.gql(ADD, { i: { ticketId: theirs, body: "x", attachmentIds: [mine.attachmentId] } }, other.ownerToken))).toEqual(
      ["NOT_FOUND"],
    );
    expect((await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: mine.attachmentId }, other.ownerToken)).data.node).toBeNull();
  });

  it("fails a download whose stored file was changed, instead of serving altered bytes", async () => {
    const data = randomBytes(3 * CHUNK_BYTES);
    const addFile = async () => {
      const u = await upload({ size: data.length });
      expect((await put(u.uploadUrl, data)).status).toBe(201);
      const m = (await ok(ADD, { i: { ticketId, body: "file", attachmentIds: [u.attachmentId] } })).addMessage;
      const row = await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(u.attachmentId) } });
      return {
        link: m.attachments[0].downloadUrl as string,
        file: path.join(blobDir, row.tenantId, row.blobKey!.slice(0, 2), row.blobKey!),
      };
    };
    const flip = (file: string, at: number) => {
      const bytes = readFileSync(file);
      bytes[at]! ^= 0x01;
      writeFileSync(file, bytes);
    };
    // In the first chunk: refused before anything is sent.
    const first = await addFile();
    flip(first.file, 30);
    const refused = await fetch(first.link);
    expect([refused.status, (await refused.json()).code]).toEqual([500, "FILE_UNREADABLE"]);
    // In the last chunk: the answer breaks off, short of its Content-Length.
    const last = await addFile();
    flip(last.file, 20 + 2 * (CHUNK_BYTES + 16) + 10);
    const broken = await fetch(last.link);
    expect(broken.status).toBe(200);
    await expect(broken.arrayBuffer()).rejects.toThrow();
  });
});

describe("a small file in the GraphQL request (multipart)", () => {
  const UPLOAD = `mutation($i: UploadAttachmentInput!) { uploadAttachment(input: $i) { id filename contentType size scanStatus } }`;

  it("stores it for addMessage like an upload through a link, and serves it back", async () => {
    const text = "a note sent the multipart way";
    const file = new File([text], "note.txt", { type: "text/plain" });
    const stored = (await ok(UPLOAD, { i: { ticketId, file } })).uploadAttachment;
    expect(stored).toMatchObject({ filename: "note.txt", contentType: "text/plain", size: text.length, scanStatus: "NOT_SCANNED" });
    const added = (await ok(ADD, { i: { ticketId, body: "see the note", attachmentIds: [stored.id] } })).addMessage;
    const [attachment] = added.attachments;
    expect(attachment).toMatchObject({ id: stored.id, filename: "note.txt" });
    const res = await fetch(attachment.downloadUrl);
    expect([res.status, await res.text()]).toEqual([200, text]);
    // Encrypted in the store like every other file.
    expect(blobFiles().some((f) => readFileSync(f).includes(text))).toBe(false);
  });

  it("refuses what the link upload refuses, and a request over MAX_BODY_BYTES, storing nothing", async () => {
    const rows = () => app.database.prisma.attachment.count({ where: { tenantId: t.id } });
    const before = await rows();
    const empty = await app.gql(UPLOAD, { i: { ticketId, file: new File([], "empty.txt", { type: "text/plain" }) } }, t.ownerToken);
    expect(empty.errors?.[0]?.extensions?.fields).toEqual([
      { path: ["input", "file"], message: expect.stringContaining("at least 1 byte") },
    ]);
    const foreign = await app.gql(UPLOAD, { i: { ticketId, file: new File(["x"], "x.txt") } }, other.ownerToken);
    expect(codes(foreign)).toEqual(["NOT_FOUND"]);
    const big = await app.gql(UPLOAD, { i: { ticketId, file: new File([Buffer.alloc(2 * 1024 * 1024)], "big.bin") } }, t.ownerToken);
    expect(big.status).toBe(413);
    expect(await rows()).toBe(before);
  });
});

describe("files written before the blob store", () => {
  it("are served from their rows until moved, then moved once, safely again and again", async () => {
    const message = (await ok(ADD, { i: { ticketId, body: "legacy" } })).addMessage;
    const legacy = await app.database.prisma.attachment.create({
      data: {
        tenantId: t.id,
        ticketId: raw(ticketId),
        messageId: raw(message.id),
        filename: "old.txt",
        contentType: "text/plain",
        size: 9,
        content: Buffer.from("old bytes"),
        uploadedAt: new Date(),
        // As migration 0018 marks the files stored before scanning.
        scanStatus: "NOT_SCANNED",
      },
    });
    const id = Buffer.from(`Attachment:${legacy.id}`).toString("base64");
    const read = async () => {
      const node = (await ok(`query($id: ID!) { node(id: $id) { ... on Attachment { downloadUrl contentBase64 } } }`, { id })).node;
      return { downloaded: await (await fetch(node.downloadUrl)).text(), base64: Buffer.from(node.contentBase64, "base64").toString() };
    };
    expect(await read()).toEqual({ downloaded: "old bytes", base64: "old bytes" });
    expect(await moveAttachmentsToStore(app.database)).toBe(1);
    const moved = await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: legacy.id } });
    expect(moved.content).toBeNull();
    expect(moved.blobKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(await read()).toEqual({ downloaded: "old bytes", base64: "old bytes" });
    expect(await moveAttachmentsToStore(app.database)).toBe(0);
  });
});

describe("deleting", () => {
  it("an upload no message took goes, with its file, a day after its link expired", async () => {
    const taken = await upload({ size: 3 });
    expect((await put(taken.uploadUrl, Buffer.from("abc"))).status).toBe(201);
    await ok(ADD, { i: { ticketId, body: "with a file", attachmentIds: [taken.attachmentId] } });
    const left = await upload({ size: 4 });
    expect((await put(left.uploadUrl, Buffer.from("left"))).status).toBe(201);
    const row = (id: string) => app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(id) } });
    const keys = { taken: (await row(taken.attachmentId)).blobKey!, left: (await row(left.attachmentId)).blobKey! };
    const stored = (key: string) => blobFiles().some((f) => path.basename(f) === key);
    expect(stored(keys.taken) && stored(keys.left)).toBe(true);
    const ttl = 15 * 60_000;
    const at = (await row(left.attachmentId)).createdAt;
    // Within the day after the link expired: kept.
    expect(await deleteAbandonedUploads(app.database, ttl, new Date(at.getTime() + ttl + 60_000))).toBe(0);
    // Past it: the unattached upload goes, the attached one stays (however old).
    expect(await deleteAbandonedUploads(app.database, ttl, new Date(at.getTime() + ttl + 86_400_000 + 60_000))).toBeGreaterThanOrEqual(1);
    await drainBlobDeletions(app.database);
    const rows = await app.database.prisma.attachment.findMany({
      where: { id: { in: [raw(taken.attachmentId), raw(left.attachmentId)] } },
    });
    expect(rows.map((r) => r.id)).toEqual([raw(taken.attachmentId)]);
    expect(stored(keys.taken)).toBe(true);
    expect(stored(keys.left)).toBe(false);
  });

  it("an erased person's files leave the store, and a deleted tenant's files and data key go with it", async () => {
    const tenant = await app.tenant();
    const ticket = (
      await app.gql(
        `mutation { createTicket(input: { subject: "Bye", body: "b", requester: { name: "Gone Soon", email: "gone@example.com" } }) { id requester { id } } }`,
        {},
        tenant.ownerToken,
      )
    ).data.createTicket;
    const portal = (
      await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: ticket.requester.id }, tenant.ownerToken)
    ).data.issuePortalToken.token;
    const u = (
      await app.gql(CREATE, { i: { ticketId: ticket.id, filename: "mine.bin", contentType: "application/octet-stream", size: 3 } }, portal)
    ).data.createAttachmentUpload;
    expect((await put(u.uploadUrl, Buffer.from("abc"))).status).toBe(201);
    await app.gql(ADD, { i: { ticketId: ticket.id, body: "mine", attachmentIds: [u.attachmentId] } }, portal);
    const tenantFiles = () => blobFiles().filter((f) => f.includes(tenant.id));
    expect(tenantFiles()).toHaveLength(1);

    const filed = await app.gql(
      `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ERASURE }) { id } }`,
      { c: ticket.requester.id },
      tenant.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { receipt } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      tenant.ownerToken,
    );
    expect(done.data.completeDataSubjectRequest.receipt.counts.attachmentsDeleted).toBe(1);
    expect(tenantFiles()).toHaveLength(0);
    expect(await app.database.prisma.blobDeletion.count({ where: { tenantId: tenant.id } })).toBe(0);

    await app.gql(
      `mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id } }`,
      {
        i: {
          messageId: (await app.gql(ADD, { i: { ticketId: ticket.id, body: "agent" } }, tenant.ownerToken)).data.addMessage.id,
          filename: "a.txt",
          contentType: "text/plain",
          contentBase64: "eA==",
        },
      },
      tenant.ownerToken,
    );
    expect(tenantFiles()).toHaveLength(1);
    await app.database.prisma.tenant.update({
      where: { id: tenant.id },
      data: { closedAt: new Date(Date.now() - 60_000), deletionDueAt: new Date(Date.now() - 1000) },
    });
    const receipts = await app.server.deleteClosedTenants();
    expect(receipts.map((r) => r.slug)).toContain(tenant.slug);
    expect(tenantFiles()).toHaveLength(0);
    expect(await app.database.prisma.tenantDataKey.count({ where: { tenantId: tenant.id } })).toBe(0);
  });
});
