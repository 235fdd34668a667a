import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shippedPlugins } from "../plugins/index.js";
import { attachmentLink } from "../src/attachments/links.js";
import { loadConfig } from "../src/config.js";
import { PluginRegistry } from "../src/plugin-host/registry.js";
import { deleteExpiredQuarantine } from "../src/attachments/quarantine.js";
import { applyScanMode } from "../src/attachments/scan-mode.js";
import { drainBlobDeletions } from "../src/blobs/deletions.js";
import { DAY_MS } from "../src/constants.js";
import { sweep } from "../src/retention/sweep.js";
import type { RunningServer } from "../src/server.js";
import { startAttachmentScannerApi } from "../plugins/attachmentscanner/test/attachmentscanner-stand-in.js";
import { tempDirs } from "./support/cli.js";
import { EICAR, EICAR_SIGNATURE, clamdOrWarn, relayTo, type Relay } from "./support/clamd.js";
import { startPeer } from "./support/peer.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { until } from "./support/webhooks.js";
import { readAll } from "../src/blobs/store.js";
import { buildExport } from "../src/privacy/requests/export.js";
import { readExportArchive } from "./support/export-archive.js";

/**
 * Antivirus before availability, against a real clamd started for this file
 * with a signature database made here (the EICAR test file). Uploads are
 * PENDING until a scanner decides; only CLEAN files are served; INFECTED ones
 * are quarantined and shown on their message; a scanner that is down leaves
 * files PENDING and they are scanned when it is back, by whichever instance.
 */

const clamd = await clamdOrWarn("test/attachment-scans.test.ts");

const KEY = randomBytes(32);
const dirs = tempDirs("deskgraph-scans-");
let blobDir: string;
let relay: Relay;
let app: TestApp;
let t: TestTenant;
let ticketId: string;
const peers: RunningServer[] = [];

const raw = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;
const origin = (url: string) => new URL(url).origin;
const WAIT = 30_000;

/** What both instances share: the key (links, secrets), required scanning through the relay to clamd, quick retries. */
const env = () => ({
  ENCRYPTION_KEY: KEY.toString("base64"),
  ATTACHMENT_SCANNING: "required",
  CLAMAV_HOST: "127.0.0.1",
  CLAMAV_PORT: String(relay.port),
  // As the operator sets it: clamd's StreamMaxLength.
  CLAMAV_STREAM_MAX_BYTES: String(clamd!.streamMaxBytes),
  ATTACHMENT_SCAN_RETRY_BASE_MS: "20",
  ATTACHMENT_SCAN_RETRY_CAP_MS: "100",
  ATTACHMENT_SCAN_MAX_ATTEMPTS: "100",
  OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
});

const FILE_FIELDS = "id filename scanStatus scannedAt scannedBy scanSignature scanError downloadUrl contentBase64";
const CREATE = `mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`;
const ADD = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id attachments { ${FILE_FIELDS} } } }`;
const NODE = `query($id: ID!) { node(id: $id) { ... on Attachment { ${FILE_FIELDS} } } }`;
const SCANNED_EVENTS = `query { events(first: 200, filter: { types: [ATTACHMENT_SCANNED] }) {
  edges { node { type changes message { id } attachment { id scanStatus } } } } }`;

async function ok(query: string, variables: Record<string, unknown> = {}, token = t.ownerToken, url?: string) {
  const r = url
    ? await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      }).then((res) => res.json() as Promise<{ data?: any; errors?: unknown }>)
    : await app.gql(query, variables, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

/** Creates an upload on `ticket` and PUTs `bytes` to it, through the server at `url` (the app by default). */
async function upload(
  bytes: Buffer,
  opts: { token?: string; ticket?: string; filename?: string; internal?: boolean; url?: string } = {},
): Promise<{ attachmentId: string; put: { status: number; body: any } }> {
  const input = {
    ticketId: opts.ticket ?? ticketId,
    filename: opts.filename ?? "file.txt",
    contentType: "text/plain",
    size: bytes.length,
    internal: opts.internal ?? false,
  };
  const u = (await ok(CREATE, { i: input }, opts.token, opts.url)).createAttachmentUpload;
  const res = await fetch(u.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: { "content-type": "text/plain" } });
  return { attachmentId: u.attachmentId, put: { status: res.status, body: await res.json() } };
}

/** Uploads and attaches to a new message; returns the file's id. */
async function attached(bytes: Buffer, opts: Parameters<typeof upload>[1] = {}): Promise<string> {
  const { attachmentId } = await upload(bytes, opts);
  await ok(
    ADD,
    { i: { ticketId: opts.ticket ?? ticketId, body: "see the file", internal: opts.internal ?? false, attachmentIds: [attachmentId] } },
    opts.token,
    opts.url,
  );
  return attachmentId;
}

const fileOf = async (id: string, token = t.ownerToken) => (await ok(NODE, { id }, token)).node;
const statusOf = async (id: string) => (await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(id) } })).scanStatus;
const untilStatus = (id: string, status: string) => until(async () => (await statusOf(id)) === status, WAIT, `${id} ${status}`);
const downloadLink = (id: string) => attachmentLink("download", origin(app.url), KEY, raw(id), new Date(Date.now() + 60_000));
const blobFiles = () =>
  readdirSync(blobDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));

async function scannedEvents(tenant: TestTenant, token = tenant.ownerToken) {
  await app.sequenced(tenant);
  return (await ok(SCANNED_EVENTS, {}, token)).events.edges.map((e: { node: unknown }) => e.node) as {
    changes: Record<string, string>;
    message: { id: string } | null;
    attachment: { id: string; scanStatus: string } | null;
  }[];
}

async function newTicket(token = t.ownerToken): Promise<string> {
  return (
    await ok(
      `mutation { createTicket(input: { subject: "Files", body: "see", requester: { name: "Sam Sender", email: "sam-${randomBytes(3).toString("hex")}@example.com" } }) { id } }`,
      {},
      token,
    )
  ).createTicket.id;
}

describe.skipIf(!clamd)("attachment scans with a real clamd", () => {
  beforeAll(async () => {
    relay = await relayTo(clamd!.port);
    blobDir = dirs();
    app = await startApp({ ...env(), BLOB_DIR: blobDir });
    t = await app.tenant();
    ticketId = await newTicket();
  });
  afterAll(async () => {
    for (const peer of peers) await peer.close();
    await app?.close();
    await relay?.close();
    await clamd?.stop();
  });

  it("keeps an upload PENDING until clamd finds it CLEAN, then serves it, and announces the verdict once", async () => {
    const bytes = Buffer.from("An invoice, nothing more.\n");
    const { attachmentId, put } = await upload(bytes);
    expect(put).toEqual({ status: 201, body: { attachmentId, size: bytes.length, scanStatus: "PENDING" } });
    await ok(ADD, { i: { ticketId, body: "your invoice", attachmentIds: [attachmentId] } });
    await untilStatus(attachmentId, "CLEAN");

    const file = await fileOf(attachmentId);
    expect(file).toMatchObject({ scanStatus: "CLEAN", scannedBy: "clamav", scanSignature: null, scanError: null });
    expect(new Date(file.scannedAt).getTime()).toBeGreaterThan(0);
    const res = await fetch(file.downloadUrl);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(Buffer.from(file.contentBase64, "base64").equals(bytes)).toBe(true);

    // Scanned before or after addMessage took it, the feed has its verdict exactly once.
    const events = (await scannedEvents(t)).filter((e) => e.changes.attachmentId === attachmentId);
    expect(events).toEqual([
      {
        type: "ATTACHMENT_SCANNED",
        changes: { attachmentId, scanStatus: "CLEAN", scannedBy: "clamav" },
        message: { id: expect.any(String) },
        attachment: { id: attachmentId, scanStatus: "CLEAN" },
      },
    ]);
    // The scan went through the gateway: in the plugin call log, and so in the record of processing.
    const calls = (
      await ok(`query { pluginCalls(first: 50, pluginId: "clamav") { edges { node { operation purpose outcome categories } } } }`)
    ).pluginCalls.edges;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0].node).toEqual({ operation: "scan", purpose: "support", outcome: "OK", categories: ["user.content.attachment"] });
    const ropa = (await ok(`query { recordOfProcessing { json } }`)).recordOfProcessing.json;
    expect(ropa.processors.map((p: { name: string }) => p.name)).toContain("ClamAV");
  });

  it("queues a file in the upload's own transaction: one statement more, and the scan is not the request's", async () => {
    let fewest: string[] | undefined;
    for (let i = 0; i < 3; i++) {
      const bytes = Buffer.from(`file ${i}`);
      const u = (await ok(CREATE, { i: { ticketId, filename: "s.txt", contentType: "text/plain", size: bytes.length } }))
        .createAttachmentUpload;
      const before = app.database.queryCount;
      const res = await fetch(u.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: { "content-type": "text/plain" } });
      expect(res.status).toBe(201);
      const sent = app.database.statementsSince(before);
      if (!fewest || sent.length < fewest.length) fewest = sent;
    }
    // The row, the claim, then one transaction: the file stored, its queue row, the audit entry. The scan itself
    // is background work: no call to a scanner, no call log, no event is the request's.
    // Transaction control as either driver reports it (PGlite's adapter as a comment naming it); BEGIN only one of them lists.
    const control = (sql: string) =>
      /^\s*(SELECT|UPDATE|INSERT|DELETE|WITH)\b/i.test(sql) ? undefined : /\b(BEGIN|COMMIT)\b/i.exec(sql)?.[1]?.toUpperCase();
    const named = fewest!
      .filter((sql) => control(sql) !== "BEGIN")
      .map((sql) => control(sql) ?? `${/^\s*(\w+)/.exec(sql)![1]} ${/(?:FROM|UPDATE|INTO) "(?:public"\.")?(\w+)"/.exec(sql)![1]}`);
    expect(named).toEqual([
      "SELECT Attachment",
      "UPDATE Attachment",
      "COMMIT",
      "UPDATE Attachment",
      "INSERT AttachmentScan",
      "INSERT AuditEntry",
      "COMMIT",
    ]);
  });

  it("quarantines the EICAR file: INFECTED on its message, never served, kept encrypted, on the feed", async () => {
    // The earlier clean files' texts are stored in the background (attachments.text consumer): counted before, not during.
    await app.consumed(t);
    const before = blobFiles().length;
    const id = await attached(Buffer.from(EICAR), { filename: "totally-safe.txt" });
    await untilStatus(id, "INFECTED");

    const message = (
      await ok(`query($id: ID!) { ticket(id: $id) { messages(first: 50) { edges { node { attachments { ${FILE_FIELDS} } } } } } }`, {
        id: ticketId,
      })
    ).ticket.messages.edges.flatMap((e: { node: { attachments: { id: string }[] } }) => e.node.attachments);
    expect(message.find((a: { id: string }) => a.id === id)).toMatchObject({
      filename: "totally-safe.txt",
      scanStatus: "INFECTED",
      scannedBy: "clamav",
      scanSignature: EICAR_SIGNATURE,
      downloadUrl: null,
      contentBase64: null,
    });
    const res = await fetch(downloadLink(id));
    expect([res.status, (await res.json()).code]).toEqual([409, "QUARANTINED"]);
    // Kept in the store, encrypted: the test string is nowhere on disk.
    expect(blobFiles().length).toBe(before + 1);
    expect(blobFiles().some((f) => readFileSync(f).includes("EICAR-STANDARD"))).toBe(false);

    const event = (await scannedEvents(t)).find((e) => e.changes.attachmentId === id);
    expect(event).toMatchObject({
      changes: { scanStatus: "INFECTED", scannedBy: "clamav", scanSignature: EICAR_SIGNATURE },
      attachment: { id, scanStatus: "INFECTED" },
    });
    const audit = (
      await ok(`query { auditLog(first: 10, filter: { action: "attachment.quarantined" }) { edges { node { subjectId details } } } }`)
    ).auditLog.edges;
    expect(audit.map((e: { node: { subjectId: string } }) => e.node.subjectId)).toContain(raw(id));
  });

  it("exports the requester's clean files and lists an infected one without its contents", async () => {
    const ticket = await newTicket();
    const clean = await attached(Buffer.from("an ordinary invoice"), { ticket, filename: "invoice.txt" });
    const infected = await attached(Buffer.from(EICAR), { ticket, filename: "virus.txt" });
    await untilStatus(clean, "CLEAN");
    await untilStatus(infected, "INFECTED");
    const { requesterId } = await app.database.prisma.ticket.findUniqueOrThrow({ where: { id: raw(ticket) } });
    const db = app.database.forTenant(t.id);
    const built = await buildExport(db, requesterId, { id: requesterId, type: "ACCESS" }, "required");
    const { document, files } = await readExportArchive(await readAll(await db.$blobs.get(built.blobKey)));
    const byName = Object.fromEntries(document.attachments.map((a: { filename: string }) => [a.filename, a]));
    expect(byName["virus.txt"]).toMatchObject({ scanStatus: "INFECTED", file: null });
    expect(files.get(byName["invoice.txt"].file)?.toString()).toBe("an ordinary invoice");
    expect([...files.keys()]).toEqual([byName["invoice.txt"].file]);
  });

  it("leaves files PENDING while clamd is down, retrying, and scans them once it is back", async () => {
    await relay.down();
    const id = await attached(Buffer.from("written while the scanner was away"));
    await until(
      async () => ((await app.database.prisma.attachmentScan.findUnique({ where: { attachmentId: raw(id) } }))?.attempts ?? 0) >= 3,
      WAIT,
      "three failed attempts",
    );
    const queued = await app.database.prisma.attachmentScan.findUniqueOrThrow({ where: { attachmentId: raw(id) } });
    expect(queued.lastError).toBe("SCANNER_UNAVAILABLE");
    expect(await fileOf(id)).toMatchObject({ scanStatus: "PENDING", downloadUrl: null, contentBase64: null, scannedAt: null });
    const refused = await fetch(downloadLink(id));
    expect([refused.status, refused.headers.get("retry-after"), (await refused.json()).code]).toEqual([409, "5", "SCAN_PENDING"]);
    // Each refused attempt is in the call log as FAILED: an outage is visible.
    const failed = (await ok(`query { pluginCalls(first: 100, pluginId: "clamav") { edges { node { outcome errorCode } } } }`)).pluginCalls
      .edges;
    expect(failed.map((e: { node: unknown }) => e.node)).toContainEqual({ outcome: "FAILED", errorCode: "SCANNER_UNAVAILABLE" });

    await relay.up();
    await untilStatus(id, "CLEAN");
    expect(await (await fetch((await fileOf(id)).downloadUrl)).text()).toBe("written while the scanner was away");
    expect(await app.database.prisma.attachmentScan.count({ where: { attachmentId: raw(id) } })).toBe(0);
  });

  it("reads a file's text for search and erasure only once clamd found it CLEAN, never an infected file's", async () => {
    const textOf = async (id: string) =>
      app.database.prisma.attachment.findUniqueOrThrow({ where: { id: raw(id) }, select: { textStatus: true, textBlobKey: true } });
    const found = async (word: string) =>
      (await ok(`query($q: String!) { search(query: $q) { totalCount } }`, { q: word })).search.totalCount;
    await relay.down();
    const id = await attached(Buffer.from("The heron pond invoice, waiting for its scan."));
    // Its message is committed and handled, but the file is not read while it waits for its verdict.
    await app.consumed(t);
    expect(await statusOf(id)).toBe("PENDING");
    expect(await textOf(id)).toEqual({ textStatus: "PENDING", textBlobKey: null });
    expect(await found("heron")).toBe(0);
    await relay.up();
    await untilStatus(id, "CLEAN");
    // Its ATTACHMENT_SCANNED event is what has it read.
    await app.consumed(t);
    expect((await textOf(id)).textStatus).toBe("EXTRACTED");
    expect(await found("heron")).toBe(1);

    // A text file too, but quarantined: its text is never read.
    const infected = await attached(Buffer.from(EICAR), { filename: "notes.txt" });
    await untilStatus(infected, "INFECTED");
    await app.consumed(t);
    expect(await textOf(infected)).toEqual({ textStatus: "PENDING", textBlobKey: null });
  });

  it("gives up at once on a file larger than clamd takes (its StreamMaxLength): ERROR, never served", async () => {
    const id = await attached(randomBytes(clamd!.streamMaxBytes + 1000));
    await untilStatus(id, "ERROR");
    expect(await fileOf(id)).toMatchObject({
      scanStatus: "ERROR",
      scanError: "FILE_TOO_LARGE_FOR_SCANNER",
      scannedBy: "clamav",
      downloadUrl: null,
    });
    const res = await fetch(downloadLink(id));
    expect([res.status, (await res.json()).code]).toEqual([409, "SCAN_FAILED"]);
    expect((await scannedEvents(t)).find((e) => e.changes.attachmentId === id)?.changes).toMatchObject({
      scanStatus: "ERROR",
      scanError: "FILE_TOO_LARGE_FOR_SCANNER",
    });
  });

  it("announces a note's file only to those who may read notes, and nothing across tenants", async () => {
    const id = await attached(Buffer.from(EICAR), { internal: true });
    await untilStatus(id, "INFECTED");
    const withNotes = await app.apiKey(t, ["TICKETS_READ", "NOTES_READ"]);
    const withoutNotes = await app.apiKey(t, ["TICKETS_READ"]);
    expect((await scannedEvents(t, withNotes)).map((e) => e.changes.attachmentId)).toContain(id);
    expect((await scannedEvents(t, withoutNotes)).map((e) => e.changes.attachmentId)).not.toContain(id);
    const other = await app.tenant();
    expect(await scannedEvents(other)).toEqual([]);
    expect((await app.gql(NODE, { id }, other.ownerToken)).data.node).toBeNull();
  });

  it("scans files sent the deprecated way (addAttachment) too", async () => {
    const message = (await ok(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body: "old client" } }))
      .addMessage;
    const added = await ok(`mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id scanStatus } }`, {
      i: { messageId: message.id, filename: "old.txt", contentType: "text/plain", contentBase64: Buffer.from(EICAR).toString("base64") },
    });
    expect(added.addAttachment.scanStatus).toBe("PENDING");
    await untilStatus(added.addAttachment.id, "INFECTED");
    expect((await fileOf(added.addAttachment.id)).contentBase64).toBeNull();
  });

  it("uses the tenant's own scanner plugin when it enabled one, and the operator's clamd for the others", async () => {
    const api = await startAttachmentScannerApi("as-token");
    try {
      const own = await app.tenant();
      for (const [query, variables] of [
        [
          `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "attachmentscanner", settings: $s) { id } }`,
          {
            s: [
              { key: "apiToken", value: "as-token" },
              { key: "apiBaseUrl", value: api.url },
            ],
          },
        ],
        [`mutation { enablePlugin(id: "attachmentscanner", acceptTransfer: true) { enabled } }`, {}],
      ] as const)
        await ok(query, variables, own.ownerToken);
      const ownTicket = await newTicket(own.ownerToken);
      const theirs = await attached(Buffer.from("to the tenant's own scanner"), { token: own.ownerToken, ticket: ownTicket });
      const ours = await attached(Buffer.from("to the operator's clamd"));
      await untilStatus(theirs, "CLEAN");
      await untilStatus(ours, "CLEAN");
      expect((await fileOf(theirs, own.ownerToken)).scannedBy).toBe("attachmentscanner");
      expect((await fileOf(ours)).scannedBy).toBe("clamav");
      expect(api.received.map((r) => r.bytes.toString())).toEqual(["to the tenant's own scanner"]);
    } finally {
      await api.close();
    }
  });

  it("queues files stored while scanning was off once it is required, and releases waiting ones when it is off", async () => {
    const ticket = raw(await newTicket());
    const stored = (status: "NOT_SCANNED" | "PENDING", content: string) =>
      app.database.prisma.attachment.create({
        data: {
          tenantId: t.id,
          ticketId: ticket,
          filename: "x.txt",
          contentType: "text/plain",
          size: content.length,
          content: Buffer.from(content),
          uploadedAt: new Date(),
          scanStatus: status,
        },
      });
    const unscanned = await stored("NOT_SCANNED", EICAR);
    expect(await applyScanMode(app.database, "required")).toBe(1);
    await until(
      async () => (await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: unscanned.id } })).scanStatus === "INFECTED",
      WAIT,
      "queued file scanned",
    );
    const waiting = await stored("PENDING", "never queued");
    expect(await applyScanMode(app.database, "off")).toBe(0);
    expect((await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: waiting.id } })).scanStatus).toBe("NOT_SCANNED");
    // Quarantine is not lifted by turning scanning off.
    expect((await app.database.prisma.attachment.findUniqueOrThrow({ where: { id: unscanned.id } })).scanStatus).toBe("INFECTED");
  });

  it("deletes quarantined files after the tenant's retention rule, or ATTACHMENT_QUARANTINE_DAYS without one", async () => {
    const ruled = await app.tenant();
    const ruledTicket = await newTicket(ruled.ownerToken);
    const kept = await attached(Buffer.from(EICAR), { token: ruled.ownerToken, ticket: ruledTicket });
    const dropped = await attached(Buffer.from(EICAR));
    await untilStatus(kept, "INFECTED");
    await untilStatus(dropped, "INFECTED");
    await ok(
      `mutation { setRetentionRule(target: INFECTED_ATTACHMENTS, keepDays: 60, action: DELETE) { keepDays } }`,
      {},
      ruled.ownerToken,
    );

    const in31Days = new Date(Date.now() + 31 * DAY_MS);
    expect(await deleteExpiredQuarantine(app.database, 30, in31Days)).toBeGreaterThanOrEqual(1);
    expect(await app.database.prisma.attachment.count({ where: { id: raw(dropped) } })).toBe(0);
    expect(await app.database.prisma.attachment.count({ where: { id: raw(kept) } })).toBe(1);
    expect(await drainBlobDeletions(app.database)).toBeGreaterThanOrEqual(1);

    const [run] = await sweep(app.database, { tenantId: ruled.id, now: new Date(Date.now() + 61 * DAY_MS) });
    expect(run!.counts.INFECTED_ATTACHMENTS).toMatchObject({ processed: 1, keepDays: 60, action: "DELETE" });
    expect(await app.database.prisma.attachment.count({ where: { id: raw(kept) } })).toBe(0);
  });

  it("scans each file once with two instances competing for the queue", async () => {
    const peer = await startPeer(app.database, env());
    peers.push(peer);
    const tenant = await app.tenant();
    const ticket = await newTicket(tenant.ownerToken);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const url = i % 2 ? peer.url : app.url;
      ids.push(await attached(Buffer.from(`file ${i}`), { token: tenant.ownerToken, ticket, url }));
    }
    await Promise.all([app.server.scanned(), peer.scanned(), app.server.scanned(), peer.scanned()]);
    for (const id of ids) await untilStatus(id, "CLEAN");
    // One scan per file: every call through the gateway is in the call log.
    expect(await app.database.prisma.pluginCall.count({ where: { tenantId: tenant.id, pluginId: "clamav", operation: "scan" } })).toBe(
      ids.length,
    );
  });

  it("finishes a scan a stopped instance left in the queue, on another instance started later", async () => {
    await relay.down();
    const id = await attached(Buffer.from("left behind by a restart"));
    await until(
      async () => ((await app.database.prisma.attachmentScan.findUnique({ where: { attachmentId: raw(id) } }))?.attempts ?? 0) >= 1,
      WAIT,
      "an attempt",
    );
    for (const peer of peers.splice(0)) await peer.close();
    await app.server.close();
    // The app's close() closes the database later; its server is closed already.
    (app.server as { close: () => Promise<void> }).close = async () => {};
    expect(await statusOf(id)).toBe("PENDING");
    expect(await app.database.prisma.attachmentScan.count({ where: { attachmentId: raw(id) } })).toBe(1);

    await relay.up();
    const next = await startPeer(app.database, env());
    peers.push(next);
    await until(async () => (await statusOf(id)) === "CLEAN", WAIT, "scanned by the new instance");
    const link = attachmentLink("download", origin(next.url), KEY, raw(id), new Date(Date.now() + 60_000));
    expect(await (await fetch(link)).text()).toBe("left behind by a restart");
  });
});

describe("scanning settings", () => {
  it("refuses a bad mode and half a ClamAV address, naming the variable", () => {
    expect(() => loadConfig({ ATTACHMENT_SCANNING: "maybe", DATA_DIR: "memory://" })).toThrow(/ATTACHMENT_SCANNING/);
    const registry = (environment: Record<string, string>) => new PluginRegistry(shippedPlugins, environment);
    expect(() => registry({ CLAMAV_PORT: "3310" })).toThrow(/CLAMAV_PORT: set CLAMAV_HOST too/);
    expect(() => registry({ CLAMAV_SOCKET: "/run/clamd.sock", CLAMAV_HOST: "clamav" })).toThrow(
      /CLAMAV_SOCKET: set it or CLAMAV_HOST, not both/,
    );
    expect(() => registry({ CLAMAV_SOCKET: "relative.sock" })).toThrow(/CLAMAV_SOCKET/);
    // Required in production unless the operator says otherwise; off in development.
    expect(loadConfig({ DATA_DIR: "memory://", NODE_ENV: "production" }).attachments.scanning.mode).toBe("required");
    expect(loadConfig({ DATA_DIR: "memory://" }).attachments.scanning.mode).toBe("off");
  });
});
