import { ScanRefused, type AttachmentScanner, type ScanVerdict } from "../../src/attachments/scanner.js";
import { instream } from "./clamd.js";
import type { ClamavOptions, ClamdAddress } from "./options.js";

/** The operator's clamd as the core's scanner (src/attachments/scanner.ts). */
export function clamdScanner(options: ClamavOptions & { address: ClamdAddress }): AttachmentScanner {
  return {
    async scan(file, meta) {
      // clamd would read up to its StreamMaxLength and refuse the rest: a verdict on part of a file is none.
      if (meta.size > options.streamMaxBytes)
        throw tooLarge(`${meta.size} bytes is over CLAMAV_STREAM_MAX_BYTES (${options.streamMaxBytes})`);
      return verdictOf(await instream(options.address, file, meta.signal));
    },
  };
}

const FOUND = /^stream: (.+) FOUND$/;

/** clamd's reply as a verdict; an ERROR reply throws (the size limit for good, anything else to be tried again). */
function verdictOf(reply: string): ScanVerdict {
  if (reply === "stream: OK") return { status: "clean" };
  const found = FOUND.exec(reply);
  if (found) return { status: "infected", signature: found[1]! };
  if (/size limit exceeded/i.test(reply)) throw tooLarge("clamd refused the file: INSTREAM size limit exceeded (its StreamMaxLength)");
  throw Object.assign(new Error(`clamd answered: ${reply.slice(0, 200)}`), { code: "CLAMAV_ERROR" });
}

const tooLarge = (why: string) => new ScanRefused("FILE_TOO_LARGE_FOR_SCANNER", `The file is too large for ClamAV to scan: ${why}`);
