import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanMeta, ScanRefused } from "../../../src/attachments/scanner.js";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import { startApp, type TestApp } from "../../../test/support/app.js";
import { EICAR, EICAR_SIGNATURE, clamdOrWarn } from "../../../test/support/clamd.js";
import { freePort } from "../../../test/support/free-port.js";
import { until } from "../../../test/support/webhooks.js";
import { clamav } from "../index.js";
import type { ClamavOptions, ClamdAddress } from "../options.js";
import { clamdScanner } from "../scanner.js";

/**
 * The INSTREAM protocol against a real clamd (Debian's clamav-daemon) started
 * for this file with a signature database made by the test, and the plugin as
 * the operator configures it.
 */

const clamd = await clamdOrWarn("plugins/clamav/test/clamav.test.ts");
afterAll(() => clamd?.stop());

const meta = (size: number, signal = new AbortController().signal): ScanMeta => ({
  size,
  contentType: "text/plain",
  extension: ".txt",
  signal,
});

/** A file as the blob store hands it out, in pieces; `read` counts what the scanner took. */
function pieces(data: Buffer, size = 64 * 1024) {
  const state = { read: 0 };
  async function* file() {
    for (let at = 0; at < data.length; at += size) {
      const piece = data.subarray(at, at + size);
      state.read += piece.length;
      yield piece;
    }
  }
  return { file: file(), state };
}

const scanner = (address: ClamdAddress, streamMaxBytes = 100 * 1024 * 1024) =>
  clamdScanner({ address, region: "DE", streamMaxBytes } satisfies ClamavOptions);

describe.skipIf(!clamd)("clamd's INSTREAM protocol", () => {
  const tcp = () => ({ host: "127.0.0.1", port: clamd!.port });

  it("finds a clean file clean and the EICAR file infected, over TCP and the local socket", async () => {
    const text = Buffer.from("Dear support, my invoice is attached.\n");
    expect(await scanner(tcp()).scan(pieces(text).file, meta(text.length))).toEqual({ status: "clean" });
    const eicar = Buffer.from(EICAR);
    expect(await scanner(tcp()).scan(pieces(eicar).file, meta(eicar.length))).toEqual({ status: "infected", signature: EICAR_SIGNATURE });
    expect(await scanner({ socket: clamd!.socket }).scan(pieces(eicar).file, meta(eicar.length))).toEqual({
      status: "infected",
      signature: EICAR_SIGNATURE,
    });
  });

  it("sends a file in chunks of any size: EICAR one byte at a time, and large pieces split", async () => {
    const eicar = Buffer.from(EICAR);
    expect(await scanner(tcp()).scan(pieces(eicar, 1).file, meta(eicar.length))).toMatchObject({ status: "infected" });
    // 300 KiB in one piece goes out as 64 KiB chunks.
    const big = randomBytes(300 * 1024);
    expect(await scanner(tcp()).scan(pieces(big, big.length).file, meta(big.length))).toEqual({ status: "clean" });
  });

  it("is refused for good by clamd's StreamMaxLength, and stops reading the file when clamd says so", async () => {
    // Far more than clamd takes and than the kernel buffers between us: the reply comes long before the end.
    const size = clamd!.streamMaxBytes * 32;
    const piece = randomBytes(64 * 1024);
    const outcomes: string[] = [];
    // clamd resets the connection right after its answer, and now and then the reset overtakes it: such a
    // scan is not decided (tried again later), never clean. Over a few tries, the answer is read.
    for (let i = 0; i < 6; i++) {
      let read = 0;
      async function* file() {
        for (; read < size; read += piece.length) yield piece;
      }
      const refused = (await scanner(i % 2 ? tcp() : { socket: clamd!.socket })
        .scan(file(), meta(size))
        .catch((err: unknown) => err)) as { name: string; code: string };
      expect(read).toBeLessThan(size);
      outcomes.push(`${refused.name}:${refused.code}`);
    }
    expect(outcomes).toContain("ScanRefused:FILE_TOO_LARGE_FOR_SCANNER");
    expect(outcomes.filter((o) => o !== "ScanRefused:FILE_TOO_LARGE_FOR_SCANNER")).toEqual(
      outcomes.filter((o) => o === "Error:SCANNER_UNAVAILABLE"),
    );
  });

  it("refuses a file over CLAMAV_STREAM_MAX_BYTES before connecting at all", async () => {
    const port = await freePort(); // nothing listens: a connection would fail differently
    const refused = await scanner({ host: "127.0.0.1", port }, 1000)
      .scan(pieces(randomBytes(1001)).file, meta(1001))
      .catch((err: unknown) => err);
    expect((refused as ScanRefused).code).toBe("FILE_TOO_LARGE_FOR_SCANNER");
  });

  it("cannot decide when clamd cannot be reached or hangs up without an answer: SCANNER_UNAVAILABLE", async () => {
    const port = await freePort();
    const data = Buffer.from("x");
    await expect(scanner({ host: "127.0.0.1", port }).scan(pieces(data).file, meta(1))).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
    });
    const rude = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => rude.listen(0, "127.0.0.1", resolve));
    try {
      const { port: rudePort } = rude.address() as { port: number };
      await expect(scanner({ host: "127.0.0.1", port: rudePort }).scan(pieces(data).file, meta(1))).rejects.toMatchObject({
        code: "SCANNER_UNAVAILABLE",
      });
    } finally {
      await new Promise<void>((resolve) => rude.close(() => resolve()));
    }
  });

  it("stops when its time is up", async () => {
    // A server that accepts and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as { port: number };
      const controller = new AbortController();
      const scanning = scanner({ host: "127.0.0.1", port }).scan(pieces(Buffer.from("x")).file, meta(1, controller.signal));
      controller.abort(new Error("time is up"));
      await expect(scanning).rejects.toThrow("time is up");
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe("ClamAV as the operator configures it", () => {
  const load = (environment: Record<string, string>) => new PluginRegistry([clamav], environment);

  it("is off without an address, and runs where CLAMAV_REGION says", async () => {
    expect(await clamav.provides!.operatorAttachmentScanner!(load({}).optionsOf("clamav") as ClamavOptions)).toBeNull();
    const configured = load({ CLAMAV_HOST: "clamav.internal" });
    expect(configured.optionsOf("clamav")).toMatchObject({ address: { host: "clamav.internal", port: 3310 }, region: "DE" });
    expect(configured.get("clamav")!.manifest).toMatchObject({
      operatorManaged: true,
      processingLocations: ["DE"],
      transferMechanism: "EEA",
    });
    expect(load({ CLAMAV_SOCKET: "/run/clamav/clamd.ctl", CLAMAV_REGION: "US" }).get("clamav")!.manifest).toMatchObject({
      processingLocations: ["US"],
      transferMechanism: "SCC",
    });
    expect(() => load({ CLAMAV_REGION: "DE" })).toThrow(/CLAMAV_REGION: set CLAMAV_SOCKET or CLAMAV_HOST too/);
  });
});

describe.skipIf(!clamd)("the operator's clamd outside the EEA", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({
      ATTACHMENT_SCANNING: "required",
      CLAMAV_HOST: "127.0.0.1",
      CLAMAV_PORT: String(clamd!.port),
      CLAMAV_REGION: "US",
      ATTACHMENT_SCAN_RETRY_BASE_MS: "20",
      ATTACHMENT_SCAN_RETRY_CAP_MS: "50",
      ATTACHMENT_SCAN_MAX_ATTEMPTS: "3",
    });
  });
  afterAll(() => app?.close());

  it("is refused by the gateway for a tenant that requires EU residency: nothing is sent, the file is never CLEAN", async () => {
    const t = await app.tenant();
    const ticket = await app.gql(
      `mutation { createTicket(input: { subject: "s", body: "b", requester: { name: "Eve" } }) { id } }`,
      {},
      t.ownerToken,
    );
    const created = await app.gql(
      `mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`,
      { i: { ticketId: ticket.data.createTicket.id, filename: "a.txt", contentType: "text/plain", size: 5 } },
      t.ownerToken,
    );
    const { attachmentId, uploadUrl } = created.data.createAttachmentUpload;
    expect((await fetch(uploadUrl, { method: "PUT", body: "hello", headers: { "content-type": "text/plain" } })).status).toBe(201);
    const id = Buffer.from(attachmentId, "base64").toString().split(":")[1]!;
    await until(async () => (await app.database.prisma.attachment.findUniqueOrThrow({ where: { id } })).scanStatus === "ERROR", 30_000);
    expect(await app.database.prisma.attachment.findUniqueOrThrow({ where: { id } })).toMatchObject({ scanError: "TRANSFER_NOT_ACCEPTED" });
    const calls = await app.database.prisma.pluginCall.findMany({ where: { tenantId: t.id, pluginId: "clamav" }, orderBy: { at: "asc" } });
    expect(calls.map((c) => [c.outcome, c.errorCode])).toEqual([
      ["REFUSED", "TRANSFER_NOT_ACCEPTED"],
      ["REFUSED", "TRANSFER_NOT_ACCEPTED"],
      ["REFUSED", "TRANSFER_NOT_ACCEPTED"],
    ]);
  });
});
