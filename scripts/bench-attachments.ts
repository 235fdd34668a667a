// Attachments end to end, with a real clamd: upload through the signed link,
// malware scan, download. 100 files of 1 MB, then one of 100 MB.
//
//   npm run bench:attachments [-- --files 100 --large-mb 100]
//
// The server runs as a child process on a fresh embedded database, scanning
// required, with clamd (Debian's clamav-daemon) started here on a private
// port. Reported: upload and download throughput (MB/s) and, as the peer
// measured in the same run, a plain node:http server that streams the same
// PUTs to disk and the same GETs back (no encryption, no scan); time from the
// end of an upload to CLEAN (p50/p99) beside clamd's own time for the same
// bytes sent straight to it; and the server's peak RSS while the large file
// goes in, is scanned and comes out (budget: at most 64 MB above its RSS
// before). Bounded: 15 minutes at most, everything on 127.0.0.1.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { freePort } from "../test/support/free-port.js";
import { clamdOrWarn } from "../test/support/clamd.js";
import { benchLifecycle } from "./bench/lifecycle.js";
import { intOption } from "./bench/options.js";
import { machineLine, printTable } from "./bench/report.js";

const { values: args } = parseArgs({
  options: { files: { type: "string" }, "large-mb": { type: "string" }, help: { type: "boolean" } },
});
if (args.help) {
  console.log("npm run bench:attachments [-- --files 100 --large-mb 100]");
  process.exit(0);
}
const FILES = intOption(args.files, "files", 100, 1, 1000);
const LARGE_MB = intOption(args["large-mb"], "large-mb", 100, 1, 1000);
const MB = 1024 * 1024;
const RSS_BUDGET_MB = 64;

const life = benchLifecycle({ ms: 15 * 60_000, label: "15 minutes" });

/** A body of `size` random bytes, made chunk by chunk as it is sent: the client holds 1 MB at most. */
function randomBody(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(MB, size - sent);
      sent += n;
      controller.enqueue(randomBytes(n));
    },
  });
}

async function drain(res: Response): Promise<number> {
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
  return n;
}

const put = (url: string, size: number, contentType: string) =>
  fetch(url, { method: "PUT", body: randomBody(size), headers: { "content-type": contentType }, duplex: "half" } as RequestInit);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

/** The peer: PUT streamed to a file, GET streamed back; nothing else. */
async function startPlainServer(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = path.join(dir, path.basename(req.url ?? "x"));
    if (req.method === "PUT") {
      pipeline(req, createWriteStream(file)).then(
        () => res.writeHead(201).end(),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      pipeline(createReadStream(file), res).catch(() => res.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/** clamd's own time for `size` random bytes over INSTREAM: the floor of any time to CLEAN. */
async function clamdScanMs(port: number, size: number): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    socket.on("data", (d) => (reply += d));
    socket.on("error", reject);
    socket.on("end", () => (/OK|FOUND/.test(reply) ? resolve() : reject(new Error(`clamd answered ${reply}`))));
    socket.write("zINSTREAM\0");
    for (let sent = 0; sent < size; sent += MB) {
      const chunk = randomBytes(Math.min(MB, size - sent));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(chunk.length);
      socket.write(length);
      socket.write(chunk);
    }
    socket.write(Buffer.alloc(4));
  });
  return performance.now() - started;
}

/** Resident set now and at its peak since the last reset, in MB, from /proc. */
function rssOf(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

async function main() {
  console.log(machineLine());
  const clamd = await clamdOrWarn("bench:attachments", { streamMaxBytes: (LARGE_MB + 8) * MB });
  if (!clamd) throw new Error("clamd is needed: apt-get install -y clamav-daemon");
  life.cleanups.push(() => clamd.stop());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "deskgraph-bench-attachments-"));
  life.cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve"], {
    env: {
      ...process.env,
      DATA_DIR: path.join(dataDir, "db"),
      BLOB_DIR: path.join(dataDir, "blobs"),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SEED_DEMO: "true",
      DATABASE_URL: "",
      REDIS_URL: "",
      ATTACHMENT_SCANNING: "required",
      CLAMAV_HOST: "127.0.0.1",
      CLAMAV_PORT: String(clamd.port),
      CLAMAV_STREAM_MAX_BYTES: String((LARGE_MB + 8) * MB),
      ATTACHMENT_MAX_BYTES: String((LARGE_MB + 1) * MB),
      OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  life.cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  const credentials = path.join(dataDir, "db", "demo-credentials.json");
  const deadline = Date.now() + 120_000;
  while (
    !existsSync(credentials) ||
    !(await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{__typename}"}' }).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const { apiKey } = JSON.parse(readFileSync(credentials, "utf8")) as { apiKey: string };
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const ticketId = (await gql(`mutation { createTicket(input: { subject: "Files", body: "b", requester: { name: "Bench" } }) { id } }`))
    .createTicket.id as string;

  /** Upload, attach, and wait for CLEAN: returns the upload's time and the time from its end to CLEAN. */
  async function send(size: number): Promise<{ id: string; uploadMs: number; toCleanMs: number; downloadUrl: string }> {
    const u = (
      await gql(`mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`, {
        i: { ticketId, filename: "file.bin", contentType: "application/octet-stream", size },
      })
    ).createAttachmentUpload;
    const started = performance.now();
    const res = await put(u.uploadUrl, size, "application/octet-stream");
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    const uploaded = performance.now();
    await gql(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, {
      i: { ticketId, body: "a file", attachmentIds: [u.attachmentId] },
    });
    for (;;) {
      const file = (await gql(`query($id: ID!) { node(id: $id) { ... on Attachment { scanStatus downloadUrl } } }`, { id: u.attachmentId }))
        .node;
      if (file.scanStatus === "CLEAN")
        return { id: u.attachmentId, uploadMs: uploaded - started, toCleanMs: performance.now() - uploaded, downloadUrl: file.downloadUrl };
      if (file.scanStatus !== "PENDING") throw new Error(`scanStatus ${file.scanStatus}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // 1 MB files, one after the other.
  const small: Awaited<ReturnType<typeof send>>[] = [];
  const smallStarted = performance.now();
  for (let i = 0; i < FILES; i++) small.push(await send(MB));
  const smallWallMs = performance.now() - smallStarted;
  const downloadStarted = performance.now();
  let downloaded = 0;
  for (const f of small) downloaded += await drain(await fetch(f.downloadUrl));
  const downloadMs = performance.now() - downloadStarted;
  if (downloaded !== FILES * MB) throw new Error(`downloaded ${downloaded} bytes, not ${FILES * MB}`);

  // The peer, same files, same order.
  const plainDir = mkdtempSync(path.join(os.tmpdir(), "deskgraph-bench-plain-"));
  life.cleanups.push(async () => rmSync(plainDir, { recursive: true, force: true }));
  const plain = await startPlainServer(plainDir);
  life.cleanups.push(() => new Promise<void>((r) => plain.server.close(() => r())));
  let plainUploadMs = 0;
  for (let i = 0; i < FILES; i++) {
    const started = performance.now();
    await (await put(`${plain.url}/f${i}`, MB, "application/octet-stream")).arrayBuffer();
    plainUploadMs += performance.now() - started;
  }
  const plainDownloadStarted = performance.now();
  for (let i = 0; i < FILES; i++) await drain(await fetch(`${plain.url}/f${i}`));
  const plainDownloadMs = performance.now() - plainDownloadStarted;
  const clamdMs: number[] = [];
  for (let i = 0; i < 10; i++) clamdMs.push(await clamdScanMs(clamd.port, MB));

  // The large file: the server's resident set before, and its peak while the file goes in, is scanned and comes out.
  if (!child.pid) throw new Error("no server process");
  await writePeakReset(child.pid);
  const before = rssOf(child.pid);
  const large = await send(LARGE_MB * MB);
  const largeDownloadStarted = performance.now();
  const largeBytes = await drain(await fetch(large.downloadUrl));
  const largeDownloadMs = performance.now() - largeDownloadStarted;
  if (largeBytes !== LARGE_MB * MB) throw new Error(`downloaded ${largeBytes} bytes of the large file`);
  const after = rssOf(child.pid);
  const largeClamdMs = await clamdScanMs(clamd.port, LARGE_MB * MB);

  const uploadTotalMs = small.reduce((s, f) => s + f.uploadMs, 0);
  const toClean = small.map((f) => f.toCleanMs);
  const rows = [
    [
      `${FILES} × 1 MB upload`,
      `${mbps(FILES * MB, uploadTotalMs).toFixed(1)} MB/s`,
      `${mbps(FILES * MB, plainUploadMs).toFixed(1)} MB/s`,
      (plainUploadMs / uploadTotalMs).toFixed(2),
    ],
    [
      `${FILES} × 1 MB download`,
      `${mbps(FILES * MB, downloadMs).toFixed(1)} MB/s`,
      `${mbps(FILES * MB, plainDownloadMs).toFixed(1)} MB/s`,
      (plainDownloadMs / downloadMs).toFixed(2),
    ],
    [
      "1 MB: upload end → CLEAN p50",
      `${quantile(toClean, 0.5).toFixed(0)} ms`,
      `clamd alone ${quantile(clamdMs, 0.5).toFixed(0)} ms`,
      (quantile(clamdMs, 0.5) / quantile(toClean, 0.5)).toFixed(2),
    ],
    [
      "1 MB: upload end → CLEAN p99",
      `${quantile(toClean, 0.99).toFixed(0)} ms`,
      `clamd alone ${quantile(clamdMs, 0.99).toFixed(0)} ms`,
      (quantile(clamdMs, 0.99) / quantile(toClean, 0.99)).toFixed(2),
    ],
    [`${FILES} files end to end (upload, attach, CLEAN)`, `${(smallWallMs / 1000).toFixed(1)} s`, "", ""],
    [`${LARGE_MB} MB upload`, `${mbps(LARGE_MB * MB, large.uploadMs).toFixed(1)} MB/s`, "", ""],
    [
      `${LARGE_MB} MB upload end → CLEAN`,
      `${(large.toCleanMs / 1000).toFixed(1)} s`,
      `clamd alone ${(largeClamdMs / 1000).toFixed(1)} s`,
      (largeClamdMs / large.toCleanMs).toFixed(2),
    ],
    [`${LARGE_MB} MB download`, `${mbps(LARGE_MB * MB, largeDownloadMs).toFixed(1)} MB/s`, "", ""],
    [
      `server RSS: before → peak (${LARGE_MB} MB file)`,
      `${before.now.toFixed(0)} → ${after.peak.toFixed(0)} MB`,
      `+${(after.peak - before.now).toFixed(0)} MB`,
      after.peak - before.now <= RSS_BUDGET_MB ? `PASS (≤ ${RSS_BUDGET_MB})` : `MISS (> ${RSS_BUDGET_MB})`,
    ],
  ];
  console.log();
  printTable(["what", "Deskgraph", "peer", "Deskgraph speed ÷ peer speed"], rows, 1);
}

/** Resets the process's peak resident set (VmHWM) so that the next peak is this phase's (Linux: clear_refs 5). */
async function writePeakReset(pid: number): Promise<void> {
  await pipeline(Readable.from(["5"]), createWriteStream(`/proc/${pid}/clear_refs`));
}

life.run(main);
