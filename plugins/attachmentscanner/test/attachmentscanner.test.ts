import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { until } from "../../../test/support/webhooks.js";
import { startAttachmentScannerApi } from "./attachmentscanner-stand-in.js";

/**
 * AttachmentScanner as a tenant's own scanner: the real server streams each
 * upload to a stand-in of AttachmentScanner's API on 127.0.0.1 (which the
 * operator allows, as tenants cannot), through the plugin gateway. No operator
 * scanner is configured here, so a tenant without the plugin has none.
 */

const TOKEN = `as_${randomBytes(12).toString("hex")}`;
const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

let app: TestApp;
let api: Awaited<ReturnType<typeof startAttachmentScannerApi>>;
let t: TestTenant;
let ticketId: string;

const raw = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;
const CONFIGURE = `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "attachmentscanner", settings: $s) { id } }`;
const FILE = `query($id: ID!) { node(id: $id) { ... on Attachment { scanStatus scannedBy scanSignature scanError downloadUrl } } }`;

async function ok(query: string, variables: Record<string, unknown> = {}, token = t.ownerToken) {
  const r = await app.gql(query, variables, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

/** Uploads a file for a reply on `ticket` and returns its id once its scan is decided. */
async function scanned(bytes: Buffer, opts: { tenant?: TestTenant; ticket?: string; filename?: string } = {}) {
  const token = (opts.tenant ?? t).ownerToken;
  const input = {
    ticketId: opts.ticket ?? ticketId,
    filename: opts.filename ?? "Rechnung Müller.pdf",
    contentType: "application/pdf",
    size: bytes.length,
  };
  const u = (
    await ok(
      `mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`,
      { i: input },
      token,
    )
  ).createAttachmentUpload;
  const put = await fetch(u.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: { "content-type": "application/pdf" } });
  expect(put.status).toBe(201);
  await ok(
    `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
    { i: { ticketId: input.ticketId, body: "file", attachmentIds: [u.attachmentId] } },
    token,
  );
  await until(
    async () => (await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(u.attachmentId) } })).scanStatus !== "PENDING",
    30_000,
    "a verdict",
  );
  return { id: u.attachmentId as string, file: (await ok(FILE, { id: u.attachmentId }, token)).node };
}

beforeAll(async () => {
  api = await startAttachmentScannerApi(TOKEN);
  app = await startApp({
    ATTACHMENT_SCANNING: "required",
    OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
    ATTACHMENT_SCAN_RETRY_BASE_MS: "20",
    ATTACHMENT_SCAN_RETRY_CAP_MS: "50",
    ATTACHMENT_SCAN_MAX_ATTEMPTS: "3",
  });
  t = await app.tenant();
  ticketId = (
    await ok(`mutation { createTicket(input: { subject: "Invoice", body: "attached", requester: { name: "Mia Müller" } }) { id } }`)
  ).createTicket.id;
});
afterAll(async () => {
  await app?.close();
  await api?.close();
});

describe("setting it up", () => {
  it("takes a base URL only where the operator allows it, and needs the token to be enabled", async () => {
    const internal = await app.gql(CONFIGURE, { s: [{ key: "apiBaseUrl", value: "http://10.0.0.7:8080" }] }, t.ownerToken);
    expect(codes(internal)).toEqual(["ADDRESS_NOT_ALLOWED"]);
    expect(internal.errors![0]!.extensions!.fields).toEqual([{ path: ["settings", "apiBaseUrl"], message: expect.any(String) }]);
    await ok(CONFIGURE, { s: [{ key: "apiBaseUrl", value: api.url }] });
    expect(
      codes(await app.gql(`mutation { enablePlugin(id: "attachmentscanner", acceptTransfer: true) { enabled } }`, {}, t.ownerToken)),
    ).toEqual(["VALIDATION"]);
    // The vendor is in the US: a tenant with EU residency accepts the transfer explicitly.
    await ok(CONFIGURE, { s: [{ key: "apiToken", value: TOKEN }] });
    expect(codes(await app.gql(`mutation { enablePlugin(id: "attachmentscanner") { enabled } }`, {}, t.ownerToken))).toEqual([
      "TRANSFER_ACCEPTANCE_REQUIRED",
    ]);
    expect((await ok(`mutation { enablePlugin(id: "attachmentscanner", acceptTransfer: true) { enabled } }`)).enablePlugin.enabled).toBe(
      true,
    );
  });
});

describe("scanning with AttachmentScanner", () => {
  it("sends the file with the tenant's token and without its name, and serves it once found clean", async () => {
    const bytes = Buffer.from("%PDF-1.4 an invoice");
    const { file } = await scanned(bytes);
    expect(file).toMatchObject({ scanStatus: "CLEAN", scannedBy: "attachmentscanner", scanSignature: null });
    expect(await (await fetch(file.downloadUrl)).text()).toBe(bytes.toString());
    const sent = api.received.at(-1)!;
    expect(sent).toMatchObject({ authorization: `Bearer ${TOKEN}`, filename: "file.pdf", contentType: "application/pdf" });
    expect(sent.bytes.equals(bytes)).toBe(true);
    // In the call log, with the ticket's requester as the person whose file it is.
    const calls = (
      await ok(`query { pluginCalls(first: 5, pluginId: "attachmentscanner") { edges { node { operation outcome subjectIds } } } }`)
    ).pluginCalls.edges;
    expect(calls[0].node).toMatchObject({ operation: "scan", outcome: "OK", subjectIds: [expect.any(String)] });
  });

  it("quarantines what it finds, and what it only warns about", async () => {
    expect((await scanned(Buffer.from(EICAR))).file).toMatchObject({
      scanStatus: "INFECTED",
      scanSignature: "Eicar-Test-Signature",
      downloadUrl: null,
    });
    api.planned.push({ status: "warning", matches: ["Macro"] });
    expect((await scanned(Buffer.from("a document with macros"))).file).toMatchObject({
      scanStatus: "INFECTED",
      scanSignature: "Suspicious: Macro",
    });
  });

  it("polls a scan the API left pending, and tries again after a failure", async () => {
    api.planned.push({ status: "pending", decidesAs: "ok" });
    expect((await scanned(Buffer.from("slow to scan"))).file.scanStatus).toBe("CLEAN");
    api.planned.push({ http: 503 });
    const before = api.received.length;
    expect((await scanned(Buffer.from("unlucky once"))).file.scanStatus).toBe("CLEAN");
    expect(api.received.length - before).toBe(2);
    const outcomes = (await ok(`query { pluginCalls(first: 2, pluginId: "attachmentscanner") { edges { node { outcome errorCode } } } }`))
      .pluginCalls.edges;
    expect(outcomes.map((e: { node: unknown }) => e.node)).toEqual([
      { outcome: "OK", errorCode: null },
      { outcome: "FAILED", errorCode: "ATTACHMENTSCANNER_HTTP_503" },
    ]);
  });

  it("gives up on a file it refuses as too large, and after the last attempt with a token it refuses", async () => {
    api.planned.push({ http: 413 });
    expect((await scanned(Buffer.from("too large, says the API"))).file).toMatchObject({
      scanStatus: "ERROR",
      scanError: "FILE_TOO_LARGE_FOR_SCANNER",
    });
    api.planned.push({ http: 401 }, { http: 401 }, { http: 401 });
    expect((await scanned(Buffer.from("with a revoked token"))).file).toMatchObject({
      scanStatus: "ERROR",
      scanError: "ATTACHMENTSCANNER_HTTP_401",
      downloadUrl: null,
    });
  });

  it("is this tenant's only: another tenant's files do not go to it, and without any scanner they are never CLEAN", async () => {
    const other = await app.tenant();
    const ticket = (
      await ok(`mutation { createTicket(input: { subject: "x", body: "y", requester: { name: "Olaf" } }) { id } }`, {}, other.ownerToken)
    ).createTicket.id;
    const before = api.received.length;
    const { file } = await scanned(Buffer.from("nobody scans this"), { tenant: other, ticket });
    expect(file).toMatchObject({ scanStatus: "ERROR", scanError: "NO_SCANNER", scannedBy: null, downloadUrl: null });
    expect(api.received.length).toBe(before);
  });
});
