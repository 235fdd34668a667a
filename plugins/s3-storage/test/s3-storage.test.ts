import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logBlobStorage } from "../../../src/blobs/startup-log.js";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import { codes, startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { until } from "../../../test/support/webhooks.js";
import { shippedPlugins } from "../../index.js";
import { PART_BYTES } from "../upload.js";
import { startS3StandIn, type S3StandIn } from "./s3-stand-in.js";

/**
 * The real server with S3 configured by the operator: attachment files go
 * through the signed upload link into the bucket as ciphertext only, come
 * back as plaintext, leave the bucket with their attachments and with their
 * tenant, and every tenant's record of processing names the bucket.
 */

const CREDENTIALS = { accessKeyId: "AKIATESTSTANDIN00002", secretAccessKey: "another-stand-in-secret" };
process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
const BUCKET = "acme-helpdesk-files";
const OPERATOR_KEY = randomBytes(32).toString("base64");
const DAY_MS = 86_400_000;

let s3: S3StandIn;
let app: TestApp;
let env: Record<string, string>;
let t: TestTenant;

const CREATE = `mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`;
const ADD = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id attachments { id size downloadUrl } } }`;

async function ok(query: string, variables: Record<string, unknown> = {}, tenant = t) {
  const r = await app.gql(query, variables, tenant.ownerToken);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}
const objectsOf = (tenantId: string) => s3.keys().filter((k) => k.startsWith(`desk/tenants/${tenantId}/`));

/** A file with words that must never show up in the bucket. */
function document(size: number): Buffer {
  const words = Buffer.from("CONFIDENTIAL: the invoice of Mrs Marlene Mustermann, IBAN DE89 3704 0044 0532 0130 00. ");
  return Buffer.concat(Array.from({ length: Math.ceil(size / words.length) }, () => words)).subarray(0, size);
}

/** Uploads `data` through the signed link onto a new message of the ticket; returns the attachment as addMessage shows it. */
async function uploadTo(ticketId: string, data: Buffer, contentType: string, tenant = t) {
  const upload = (await ok(CREATE, { i: { ticketId, filename: "invoice", contentType, size: data.length } }, tenant))
    .createAttachmentUpload;
  const put = await fetch(upload.uploadUrl, { method: "PUT", body: new Uint8Array(data), headers: { "content-type": contentType } });
  expect(put.status).toBe(201);
  const added = (await ok(ADD, { i: { ticketId, body: "Here it is", attachmentIds: [upload.attachmentId] } }, tenant)).addMessage;
  // What follows the message (its files' text extracted, a blob of its own) is done before the test looks at the bucket.
  await app.consumed(tenant);
  return added.attachments[0];
}

/** The same, on a new ticket of Marlene's. */
async function attach(data: Buffer, tenant = t, contentType = "text/plain") {
  const ticket = await ok(
    `mutation { createTicket(input: { subject: "Invoice", body: "attached", requester: { name: "Marlene Mustermann", email: "marlene-${randomBytes(3).toString("hex")}@example.de" } }) { id requester { id } } }`,
    {},
    tenant,
  );
  return {
    ...(await uploadTo(ticket.createTicket.id, data, contentType, tenant)),
    contactId: ticket.createTicket.requester.id as string,
    ticketId: ticket.createTicket.id as string,
  };
}

const downloadUrlOf = async (id: string) =>
  (await ok(`query($id: ID!) { node(id: $id) { ... on Attachment { downloadUrl } } }`, { id })).node.downloadUrl as string;

/** A body sent in pieces without Content-Length, as a browser's stream is: its length is known only at its end. */
function streamed(data: Buffer, piece = 256 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= data.length) return controller.close();
      controller.enqueue(data.subarray(at, (at += piece)));
    },
  });
}

beforeAll(async () => {
  s3 = await startS3StandIn({ bucket: BUCKET, region: "eu-central-1", ...CREDENTIALS });
  env = { S3_BUCKET: BUCKET, S3_REGION: "eu-central-1", S3_PREFIX: "desk/", S3_ENDPOINT: s3.url, S3_FORCE_PATH_STYLE: "true" };
  app = await startApp({ ...env, OPERATOR_KEY, TENANT_DELETION_DAYS: "30" });
  t = await app.tenant();
});
afterAll(async () => {
  await app?.close();
  await s3?.close();
});

describe("attachments in S3", () => {
  it("go into the bucket as ciphertext under the tenant's prefix, encrypted by S3 too, and come back as the plaintext", async () => {
    // Larger than one part: the upload route's stream goes out as a multipart upload.
    const data = document(PART_BYTES + 300_000);
    const before = s3.received.length;
    // Not a text file: erasure and the scan (below) read text files whole, and this one is large.
    const attachment = await attach(data, t, "application/octet-stream");
    expect(attachment.size).toBe(data.length);

    const [key] = objectsOf(t.id);
    expect(objectsOf(t.id)).toHaveLength(1);
    const stored = s3.objects.get(key!)!;
    // The chunked AES-256-GCM format: a 20-byte header and a 16-byte tag per 64 KiB chunk.
    expect(stored.body.length).toBe(20 + data.length + Math.ceil(data.length / 65_536) * 16);
    expect(stored.body.includes("CONFIDENTIAL")).toBe(false);
    expect(stored.body.includes("Mustermann")).toBe(false);
    expect(stored.body.includes(data.subarray(1000, 1032))).toBe(false);
    expect(stored.sse).toBe("AES256");
    const sent = s3.received.slice(before).filter((r) => r.key === key);
    // Then one read: its first chunk shows there is no text to extract, and the rest is not fetched.
    expect(sent.map((r) => r.operation)).toEqual([
      "CreateMultipartUpload",
      "UploadPart",
      "UploadPart",
      "CompleteMultipartUpload",
      "GetObject",
    ]);
    expect(sent[0]!.sse).toBe("AES256");

    const res = await fetch(attachment.downloadUrl);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
  });

  it("store nothing when the upload is refused half-way", async () => {
    const ticketId = (await ok(`mutation { createTicket(input: { subject: "Short", body: "x", requester: { name: "Kurt" } }) { id } }`))
      .createTicket.id;
    const upload = (await ok(CREATE, { i: { ticketId, filename: "short", contentType: "application/octet-stream", size: 2 * PART_BYTES } }))
      .createAttachmentUpload;
    const before = objectsOf(t.id);
    // A body shorter than declared: refused once it ends, after a part went to S3.
    const res = await fetch(upload.uploadUrl, {
      method: "PUT",
      body: streamed(document(PART_BYTES + 100_000)),
      headers: { "content-type": "application/octet-stream" },
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe("SIZE_MISMATCH");
    expect(objectsOf(t.id)).toEqual(before);
    expect(s3.uploads.size).toBe(0);
    expect(s3.received.at(-1)!.operation).toBe("AbortMultipartUpload");
  });

  it("go into a personal-data export, which is itself kept in the bucket as ciphertext, and served from it", async () => {
    const data = document(4000);
    const attachment = await attach(data, t, "application/octet-stream");
    const before = objectsOf(t.id);
    const filed = await ok(`mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`, {
      i: { contactId: attachment.contactId, type: "ACCESS" },
    });
    const done = (
      await ok(`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status export { url } } }`, {
        id: filed.fileDataSubjectRequest.id,
      })
    ).completeDataSubjectRequest;
    expect(done.status).toBe("COMPLETED");
    const [archive] = objectsOf(t.id).filter((k) => !before.includes(k));
    expect(archive).toBeDefined();
    expect(s3.objects.get(archive!)!.body.includes("Mustermann")).toBe(false);
    const res = await fetch(new URL(done.export.url, app.url));
    expect(res.status).toBe(200);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.subarray(0, 2).toString()).toBe("PK");
  });

  it("leave the bucket when their contact is erased: deleted, or replaced by a redacted copy", async () => {
    const before = objectsOf(t.id);
    const binary = await attach(document(5000), t, "application/octet-stream");
    const text = await uploadTo(binary.ticketId, document(3000), "text/plain");
    const added = objectsOf(t.id).filter((k) => !before.includes(k));
    // The two files, and the text extracted from the text file.
    expect(added).toHaveLength(3);

    const filed = await ok(`mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`, {
      i: { contactId: binary.contactId, type: "ERASURE" },
    });
    const done = await ok(`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status } }`, { id: filed.fileDataSubjectRequest.id });
    expect(done.completeDataSubjectRequest.status).toBe("COMPLETED");
    // All three objects are gone: the file that cannot be searched with its attachment, the text file
    // and its text replaced by redacted copies in new objects.
    for (const key of added) expect(s3.objects.has(key)).toBe(false);
    expect((await fetch(binary.downloadUrl)).status).toBe(404);
    expect(objectsOf(t.id).filter((k) => !before.includes(k))).toHaveLength(2);
    const redacted = await (await fetch(await downloadUrlOf(text.id))).text();
    expect(redacted).toContain("[redacted]");
    expect(redacted).not.toContain("Mustermann");
  });

  it("of a closed tenant all leave the bucket when the tenant is deleted; other tenants' stay", async () => {
    const closing = await app.tenant();
    await attach(document(2000), closing);
    await attach(document(3000), closing);
    // Two text files and their extracted texts.
    expect(objectsOf(closing.id)).toHaveLength(4);
    const mine = objectsOf(t.id);

    const closed = await app.gql(
      `mutation($s: String!) { operatorCloseTenant(slug: $s) { deletionDueAt } }`,
      { s: closing.slug },
      undefined,
      { authorization: `Operator ${OPERATOR_KEY}` },
    );
    expect(codes(closed)).toEqual([]);
    const receipts = await app.server.deleteClosedTenants(new Date(Date.parse(closed.data.operatorCloseTenant.deletionDueAt) + DAY_MS));
    expect(receipts.map((r) => r.slug)).toEqual([closing.slug]);
    expect(objectsOf(closing.id)).toEqual([]);
    expect(objectsOf(t.id)).toEqual(mine);
  });
});

describe("the record of processing", () => {
  it("names the bucket for every tenant, in its record and in its public subprocessor list, without enabling anything", async () => {
    for (const tenant of [t, await app.tenant()]) {
      const record = (await ok(`{ recordOfProcessing { json } }`, {}, tenant)).recordOfProcessing.json;
      const entry = record.processors.find((p: { name: string }) => p.name === "Amazon S3 file storage");
      expect(entry).toMatchObject({
        vendor: "Amazon Web Services EMEA SARL",
        processingLocations: ["DE"],
        transferMechanism: "EEA",
        dataCategories: ["user.content.attachment"],
        retention: "as long as the source data in the helpdesk (a copy kept in sync)",
      });
      const support = record.activities.find((a: { purpose: string }) => a.purpose === "support");
      expect(support.recipients).toContain("Amazon Web Services EMEA SARL (Amazon S3 file storage)");
      expect(support.transfers).toEqual([]);

      const listed = await app.gql(`query($s: String!) { subprocessors(tenant: $s) { name processingLocations transferMechanism } }`, {
        s: tenant.slug,
      });
      expect(listed.data.subprocessors).toContainEqual({
        name: "Amazon S3 file storage",
        processingLocations: ["DE"],
        transferMechanism: "EEA",
      });
    }
  });
});

describe("operations", () => {
  it("/ready reports the bucket, and a bucket that cannot be reached does not take the instance out", async () => {
    const ready = () => fetch(new URL("/ready", app.url)).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect(await ready()).toMatchObject({ status: 200, body: { status: "ready", blobStore: "up" } });
    s3.fail("HeadBucket", 403, "AccessDenied", 1_000);
    try {
      let last = await ready();
      await until(async () => (last = await ready()).body.blobStore === "down", 10_000, "/ready to report the bucket down");
      expect(last).toMatchObject({ status: 200, body: { status: "ready" } });
    } finally {
      s3.heal();
    }
  });

  it("the startup log says the files are in the bucket, and warns when the bucket is outside the EEA", async () => {
    const lines: any[] = [];
    const log = pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    logBlobStorage(log, app.database, new PluginRegistry(shippedPlugins, env));
    expect(lines).toMatchObject([
      {
        level: 30,
        blobBackend: "s3",
        plugin: "s3-storage",
        msg: expect.stringContaining(`s3://${BUCKET}/desk/tenants/ (eu-central-1 at ${s3.url})`),
      },
    ]);
    lines.length = 0;
    logBlobStorage(log, app.database, new PluginRegistry(shippedPlugins, { ...env, S3_REGION: "us-east-1" }));
    expect(lines[1]).toMatchObject({ level: 40, processingLocations: ["US"], transferMechanism: "SCC" });
    expect(lines[1].msg).toMatch(/outside the EEA \(US, under SCC\)/);
  });
});
