import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ScanRefused, type AttachmentScanner, type ScanMeta, type ScanVerdict } from "../../src/attachments/scanner.js";
import { isAddressRefusal, outboundGuard, type OutboundGuard } from "../../src/outbound/guard.js";
import { request, type HttpAnswer } from "./http.js";
import type { AttachmentScannerRuntime } from "./options.js";

/** The US region's API (AWS us-east-1), as the manifest declares. */
const DEFAULT_BASE = "https://us-east-1.attachmentscanner.com";
/** The API's documented limit for uploads. */
const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Between polls of a scan the API left pending: growing, up to this. */
const POLL_CAP_MS = 5_000;

/** A scan result as the API returns it (POST and GET /v1.0/scans). */
interface Scan {
  id?: string;
  status?: "ok" | "found" | "warning" | "pending" | "failed";
  matches?: string[];
}

/** The tenant's AttachmentScanner as the core's scanner; null until its token is saved. */
export function scannerFor(runtime: AttachmentScannerRuntime): AttachmentScanner | null {
  const { apiToken } = runtime.settings;
  if (!apiToken) return null;
  const base = runtime.settings.apiBaseUrl?.replace(/\/+$/, "") || DEFAULT_BASE;
  const guard = outboundGuard(runtime.core.config);
  return { scan: (file, meta) => scan({ base, apiToken, guard }, file, meta) };
}

interface Account {
  base: string;
  apiToken: string;
  guard: OutboundGuard;
}

/**
 * POST /v1.0/scans with the file as the multipart field `file`, synchronously
 * (the answer is the verdict); a scan the API still reports as pending is
 * polled with GET /v1.0/scans/{id} until it is decided or the scan's time is up.
 */
async function scan(account: Account, file: AsyncIterable<Uint8Array>, meta: ScanMeta): Promise<ScanVerdict> {
  if (meta.size > MAX_UPLOAD_BYTES)
    throw new ScanRefused("FILE_TOO_LARGE_FOR_SCANNER", `AttachmentScanner takes files up to ${MAX_UPLOAD_BYTES} bytes`);
  // The name of an IP literal is checked now; names are checked by the agents on every connection.
  const url = checked(account, "/v1.0/scans");
  const boundary = `deskgraph-${randomBytes(12).toString("hex")}`;
  // The vendor gets the file and its extension, not its name (the name is personal data, the extension may help the engines).
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="file${meta.extension}"\r\nContent-Type: ${meta.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body() {
    yield head;
    yield* file;
    yield tail;
  }
  const answer = await call(account, () =>
    request(
      url,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${account.apiToken}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": head.length + meta.size + tail.length,
          accept: "application/json",
          "user-agent": "Deskgraph",
        },
        body: body(),
      },
      account.guard,
      meta.signal,
    ),
  );
  let result = resultOf(answer);
  for (let wait = 500; result.status === "pending"; wait = Math.min(wait * 2, POLL_CAP_MS)) {
    if (!result.id || !/^[\w-]{1,100}$/.test(result.id)) throw vendorError("ATTACHMENTSCANNER_BAD_ANSWER", "A pending scan without an id");
    await sleep(wait, undefined, { signal: meta.signal });
    const polled = await call(account, () =>
      request(
        checked(account, `/v1.0/scans/${result.id}`),
        { method: "GET", headers: { authorization: `Bearer ${account.apiToken}`, accept: "application/json" } },
        account.guard,
        meta.signal,
      ),
    );
    result = resultOf(polled);
  }
  return verdictOf(result);
}

function checked(account: Account, path: string): URL {
  account.guard.checkUrlNow(account.base);
  return new URL(`${account.base}${path}`);
}

/** The request, with a network failure as SCANNER_UNAVAILABLE (the guard's refusal keeps its own code). */
async function call(account: Account, send: () => Promise<HttpAnswer>): Promise<HttpAnswer> {
  try {
    return await send();
  } catch (err) {
    if (isAddressRefusal(err) || (err as Error).name === "AbortError" || (err as Error).name === "TimeoutError") throw err;
    throw vendorError(
      "SCANNER_UNAVAILABLE",
      `AttachmentScanner at ${new URL(account.base).host} cannot be reached: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The scan in a 2xx answer; anything else as an error with a stable code. */
function resultOf(answer: HttpAnswer): Scan {
  if (answer.status === 413)
    throw new ScanRefused("FILE_TOO_LARGE_FOR_SCANNER", "AttachmentScanner refused the file as too large (HTTP 413)");
  if (answer.status < 200 || answer.status > 299)
    throw vendorError(`ATTACHMENTSCANNER_HTTP_${answer.status}`, `AttachmentScanner answered HTTP ${answer.status}`);
  try {
    return JSON.parse(answer.body) as Scan;
  } catch {
    throw vendorError("ATTACHMENTSCANNER_BAD_ANSWER", "AttachmentScanner's answer is not JSON");
  }
}

/**
 * ok is clean and found infected. A warning (macros, an encrypted archive: content the
 * engines could not clear) is not served either: it is quarantined like a find, its
 * matches named as such. failed is tried again later.
 */
function verdictOf(scan: Scan): ScanVerdict {
  const matches = (scan.matches ?? []).filter((m) => typeof m === "string").join(", ");
  switch (scan.status) {
    case "ok":
      return { status: "clean" };
    case "found":
      return { status: "infected", signature: matches || "unnamed" };
    case "warning":
      return { status: "infected", signature: `Suspicious: ${matches || "unnamed"}` };
    case "failed":
      throw vendorError("ATTACHMENTSCANNER_FAILED", "AttachmentScanner could not complete the scan");
    default:
      throw vendorError(
        "ATTACHMENTSCANNER_BAD_ANSWER",
        `AttachmentScanner answered an unknown status: ${String(scan.status).slice(0, 40)}`,
      );
  }
}

const vendorError = (code: string, message: string) => Object.assign(new Error(message), { code });
