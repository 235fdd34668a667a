import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { BlobIntegrityError, type Source } from "./store.js";

/**
 * AES-256-GCM over a stream, in chunks (the STREAM construction of Hoang,
 * Reyhanitabar, Rogaway and Vizár): each chunk is sealed on its own, so a
 * file of any size is encrypted and checked with one chunk in memory.
 *
 *   file   = "DGB1" || salt (16 bytes) || record*
 *   record = AES-256-GCM(chunk) || tag (16 bytes), chunks of CHUNK_BYTES, the last shorter or equal
 *   key    = HKDF-SHA256(data key, salt, "deskgraph/blob/v1"): a key of its own per file
 *   nonce  = chunk number (8 bytes, big-endian) || 1 for the last chunk, 0 for the others (4 bytes)
 *   AAD    = the header || the blob's name (tenant and key)
 *
 * The chunk number in the nonce catches reordered chunks, the last-chunk flag a
 * file cut off after any chunk, the name a file moved to another key or tenant.
 */

export const CHUNK_BYTES = 64 * 1024;
const TAG = 16;
const RECORD = CHUNK_BYTES + TAG;
const MAGIC = Buffer.from("DGB1");
const SALT = 16;
const HEADER = MAGIC.length + SALT;

const fileKey = (dataKey: Buffer, salt: Buffer) => Buffer.from(hkdfSync("sha256", dataKey, salt, "deskgraph/blob/v1", 32));

function nonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 0);
  n.writeUInt32BE(last ? 1 : 0, 8);
  return n;
}

/** Collects incoming pieces and hands out exact lengths, without copying more than needed. */
class Pending {
  private parts: Buffer[] = [];
  length = 0;
  push(piece: Uint8Array) {
    const b = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (b.length) {
      this.parts.push(b);
      this.length += b.length;
    }
  }
  take(n: number): Buffer {
    const all = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }
}

export async function* encryptStream(dataKey: Buffer, name: string, source: Source): AsyncGenerator<Buffer> {
  const salt = randomBytes(SALT);
  const header = Buffer.concat([MAGIC, salt]);
  const key = fileKey(dataKey, salt);
  const aad = Buffer.concat([header, Buffer.from(name)]);
  let index = 0;
  const seal = (chunk: Buffer, last: boolean) => {
    const cipher = createCipheriv("aes-256-gcm", key, nonce(index++, last));
    cipher.setAAD(aad);
    return Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()]);
  };
  yield header;
  const pending = new Pending();
  for await (const piece of source) {
    pending.push(piece);
    // Strictly more than a chunk: the chunk being sealed is known not to be the last.
    while (pending.length > CHUNK_BYTES) yield seal(pending.take(CHUNK_BYTES), false);
  }
  yield seal(pending.take(pending.length), true);
}

export async function* decryptStream(dataKey: Buffer, name: string, source: Source): AsyncGenerator<Buffer> {
  const pending = new Pending();
  let key: Buffer | undefined;
  let aad: Buffer | undefined;
  let index = 0;
  const open = (record: Buffer, last: boolean) => {
    if (record.length < TAG) throw new BlobIntegrityError("The file is cut off");
    const decipher = createDecipheriv("aes-256-gcm", key!, nonce(index++, last));
    decipher.setAAD(aad!);
    decipher.setAuthTag(record.subarray(record.length - TAG));
    const plain = decipher.update(record.subarray(0, record.length - TAG));
    try {
      // Only after the tag checks out is the chunk given out.
      return Buffer.concat([plain, decipher.final()]);
    } catch {
      throw new BlobIntegrityError(`Chunk ${index - 1} of the file failed its integrity check`);
    }
  };
  for await (const piece of source) {
    pending.push(piece);
    if (!key && pending.length >= HEADER) {
      const header = pending.take(HEADER);
      if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new BlobIntegrityError("Not a blob of this store");
      key = fileKey(dataKey, header.subarray(MAGIC.length));
      aad = Buffer.concat([header, Buffer.from(name)]);
    }
    while (key && pending.length > RECORD) yield open(pending.take(RECORD), false);
  }
  if (!key) throw new BlobIntegrityError("The file is cut off");
  yield open(pending.take(pending.length), true);
}
