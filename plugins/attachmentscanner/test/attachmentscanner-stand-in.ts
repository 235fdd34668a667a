import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * For tests: an HTTP server on 127.0.0.1 that answers like AttachmentScanner's
 * documented API (1.0) and records what it receives:
 *   POST /v1.0/scans        multipart/form-data with the file in `file`; the scan result
 *   GET  /v1.0/scans/{id}   a scan made before
 * A scan result is { id, status: ok|found|warning|pending|failed, matches, filename,
 * content_length, md5, sha256, created_at, updated_at }. A file holding the EICAR
 * test string is "found" (Eicar-Test-Signature). Without the right Bearer token: 401.
 */
interface ReceivedScan {
  authorization: string | undefined;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

type Status = "ok" | "found" | "warning" | "pending" | "failed";

export async function startAttachmentScannerApi(token: string) {
  const received: ReceivedScan[] = [];
  const scans = new Map<string, Record<string, unknown>>();
  /** Answers to give instead of scanning, in order: an HTTP status, or a scan status (pending: decided as `decidesAs` at the first GET). */
  const planned: ({ http: number } | { status: Status; matches?: string[]; decidesAs?: Status })[] = [];

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { error: "Unauthorized" });
    const getOne = /^\/v1\.0\/scans\/([\w-]+)$/.exec(req.url ?? "");
    if (req.method === "GET" && getOne) {
      const scan = scans.get(getOne[1]!);
      if (!scan) return json(res, 404, { error: "Not found" });
      if (scan.status === "pending") Object.assign(scan, { status: scan.decidesAs, updated_at: new Date().toISOString() });
      return json(res, 200, { ...scan, decidesAs: undefined });
    }
    if (req.method !== "POST" || req.url !== "/v1.0/scans") return json(res, 404, { error: "Not found" });
    const file = filePart(Buffer.concat(chunks), req.headers["content-type"] ?? "");
    if (!file) return json(res, 422, { error: "file is required" });
    received.push({ authorization: req.headers.authorization, ...file });
    const plan = planned.shift();
    if (plan && "http" in plan) return json(res, plan.http, { error: `HTTP ${plan.http}` });
    const found = file.bytes.includes("EICAR-STANDARD-ANTIVIRUS-TEST-FILE");
    const status: Status = plan?.status ?? (found ? "found" : "ok");
    const now = new Date().toISOString();
    const scan = {
      id: randomUUID(),
      status,
      matches: plan?.matches ?? (found ? ["Eicar-Test-Signature"] : []),
      filename: file.filename,
      content_length: file.bytes.length,
      md5: createHash("md5").update(file.bytes).digest("hex"),
      sha256: createHash("sha256").update(file.bytes).digest("hex"),
      created_at: now,
      updated_at: now,
      decidesAs: plan && "decidesAs" in plan ? plan.decidesAs : undefined,
    };
    scans.set(scan.id, scan);
    json(res, 200, { ...scan, decidesAs: undefined });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    planned,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The `file` part of a multipart/form-data body. */
function filePart(body: Buffer, contentType: string): { filename: string; contentType: string; bytes: Buffer } | null {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (!boundary) return null;
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(at + delimiter.length + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, split).toString("utf8");
    if (/name="file"/.test(headers)) {
      return {
        filename: /filename="([^"]*)"/.exec(headers)?.[1] ?? "",
        contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? "",
        bytes: Buffer.from(part.subarray(split + 4)),
      };
    }
    at = next;
  }
  return null;
}
