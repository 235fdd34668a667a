import { inflateRawSync } from "node:zlib";
import { notExtracted, type NotExtracted } from "./result.js";

/**
 * A look inside a ZIP archive (a DOCX is one) before any library inflates it.
 * The central directory at the end of the archive names every entry with its
 * compressed and uncompressed size; a zip bomb either declares sizes far
 * beyond what the archive could sensibly hold, or declares small ones and
 * inflates to more. Both are caught here: the declared sizes are added up and
 * compared with a limit, and every entry is inflated with its declared size as
 * a hard cap (zlib stops at `maxOutputLength`), so nothing ever grows past
 * what was checked. Only then is the archive handed to mammoth.
 */

interface ZipEntry {
  name: string;
  method: number;
  encrypted: boolean;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** More entries than any document has: refused rather than walked. */
const MAX_ENTRIES = 10_000;
/** An entry this large that inflates more than RATIO_LIMIT times its compressed size is a bomb, not a document. */
const RATIO_CHECKED_FROM = 1024 * 1024;
const RATIO_LIMIT = 200;

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

class Unreadable extends Error {}
class Bomb extends Error {}

/** The entries listed in the central directory; an Unreadable error when the archive is not well formed. */
function centralDirectory(bytes: Uint8Array): ZipEntry[] {
  const v = view(bytes);
  // The end record is 22 bytes plus a comment of up to 65,535: searched backwards from the end.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (v.getUint32(i, true) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Unreadable("no end of central directory");
  const count = v.getUint16(end + 10, true);
  const size = v.getUint32(end + 12, true);
  const offset = v.getUint32(end + 16, true);
  // ZIP64 marks its fields 0xFFFF / 0xFFFFFFFF: archives of that size are no documents to read here.
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) throw new Unreadable("a ZIP64 archive");
  if (count > MAX_ENTRIES) throw new Bomb(`${count} entries`);
  if (offset + size > end) throw new Unreadable("the central directory lies outside the archive");
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || v.getUint32(at, true) !== CENTRAL) throw new Unreadable("a damaged central directory");
    const nameLength = v.getUint16(at + 28, true);
    const extraLength = v.getUint16(at + 30, true);
    const commentLength = v.getUint16(at + 32, true);
    entries.push({
      name: Buffer.from(bytes.subarray(at + 46, at + 46 + nameLength)).toString("utf8"),
      method: v.getUint16(at + 10, true),
      encrypted: (v.getUint16(at + 8, true) & 1) === 1,
      compressedSize: v.getUint32(at + 20, true),
      size: v.getUint32(at + 24, true),
      localHeaderOffset: v.getUint32(at + 42, true),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The compressed bytes of an entry, found through its local header. */
function dataOf(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const v = view(bytes);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || v.getUint32(at, true) !== LOCAL) throw new Unreadable(`no local header for ${entry.name}`);
  const start = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
  if (start + entry.compressedSize > bytes.length) throw new Unreadable(`${entry.name} runs past the end of the archive`);
  return bytes.subarray(start, start + entry.compressedSize);
}

/** Inflates an entry with its declared size as the cap: a Bomb error as soon as it would give more. */
function verifySize(bytes: Uint8Array, entry: ZipEntry): void {
  const data = dataOf(bytes, entry);
  if (entry.method === STORED) {
    if (entry.compressedSize !== entry.size) throw new Unreadable(`${entry.name}: stored with two different sizes`);
    return;
  }
  if (entry.method !== DEFLATED) throw new Unreadable(`${entry.name}: compression method ${entry.method}`);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(data, { maxOutputLength: entry.size + 1 });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new Bomb(`${entry.name} inflates beyond its declared ${entry.size} bytes`);
    throw new Unreadable(`${entry.name}: ${(err as Error).message}`);
  }
  if (inflated.length > entry.size) throw new Bomb(`${entry.name} inflates beyond its declared ${entry.size} bytes`);
}

/**
 * The names of the archive's entries once it is known to be safe to open:
 * declared sizes within `maxInflatedBytes` in all, no entry with an absurd
 * compression ratio, every entry inflating to no more than it declares.
 * Otherwise the reason it is not opened (ZIP_BOMB, ENCRYPTED, UNREADABLE).
 */
export function inspectZip(bytes: Uint8Array, maxInflatedBytes: number): { names: string[] } | NotExtracted {
  try {
    const entries = centralDirectory(bytes);
    const declared = entries.reduce((sum, e) => sum + e.size, 0);
    if (declared > maxInflatedBytes) throw new Bomb(`its parts declare ${declared} bytes inflated, over ${maxInflatedBytes}`);
    for (const e of entries) {
      if (e.size >= RATIO_CHECKED_FROM && e.size / Math.max(e.compressedSize, 1) > RATIO_LIMIT) {
        throw new Bomb(`${e.name} would inflate ${Math.round(e.size / Math.max(e.compressedSize, 1))} times`);
      }
    }
    if (entries.some((e) => e.encrypted)) return notExtracted("ENCRYPTED");
    for (const e of entries) verifySize(bytes, e);
    return { names: entries.map((e) => e.name) };
  } catch (err) {
    if (err instanceof Bomb) return notExtracted("ZIP_BOMB", err.message);
    if (err instanceof Unreadable) return notExtracted("UNREADABLE", `not a readable ZIP archive: ${err.message}`);
    throw err;
  }
}
