import type { CompletedPart, S3Client } from "@aws-sdk/client-s3";
import type { Source } from "../../src/blobs/store.js";
import { s3Sdk } from "./client.js";

/** 8 MiB: S3 wants at least 5 MiB for every part but the last, and allows 10,000 parts (so files up to 80 GiB). */
export const PART_BYTES = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;

/** Where an object goes and how S3 encrypts it at rest. */
export interface UploadTarget {
  Bucket: string;
  Key: string;
  ServerSideEncryption: "AES256" | "aws:kms";
  SSEKMSKeyId?: string;
}

/** Collects incoming pieces until a part is full; hands out the part and keeps only the rest. */
class PartBuffer {
  private pieces: Buffer[] = [];
  length = 0;
  push(piece: Uint8Array) {
    const b = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    this.pieces.push(b);
    this.length += b.length;
  }
  take(n: number): Buffer {
    const all = Buffer.concat(this.pieces, this.length);
    // The rest is copied out, so that the part's memory goes as soon as the part is sent.
    const rest = Buffer.from(all.subarray(n));
    this.pieces = rest.length ? [rest] : [];
    this.length = rest.length;
    return all.subarray(0, n);
  }
}

/**
 * Streams `source` into one object, all or nothing. A body of up to one part
 * is a single PutObject; a larger one a multipart upload whose parts are sent
 * one at a time as they fill, so that memory holds about one part whatever
 * the file's size. The object appears only when the upload completes: when
 * the source fails (a client that went away, a body shorter than declared) or
 * S3 refuses a part, the upload is aborted and nothing is left under the key.
 */
export async function uploadStream(client: S3Client, target: UploadTarget, source: Source, partBytes = PART_BYTES): Promise<void> {
  const { Bucket, Key } = target;
  const buffered = new PartBuffer();
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  const sendPart = async (body: Buffer) => {
    if (parts.length === MAX_PARTS) throw new RangeError(`The file is larger than ${MAX_PARTS} parts of ${partBytes} bytes`);
    const PartNumber = parts.length + 1;
    const { ETag } = await client.send(
      new (s3Sdk().UploadPartCommand)({ Bucket, Key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length }),
    );
    parts.push({ PartNumber, ETag });
  };
  try {
    for await (const piece of source) {
      buffered.push(piece);
      // Strictly more than a part: the part sent is known not to be the last, and the last is never empty.
      while (buffered.length > partBytes) {
        uploadId ??= (await client.send(new (s3Sdk().CreateMultipartUploadCommand)(target))).UploadId;
        await sendPart(buffered.take(partBytes));
      }
    }
    const rest = buffered.take(buffered.length);
    if (!uploadId) {
      await client.send(new (s3Sdk().PutObjectCommand)({ ...target, Body: rest, ContentLength: rest.length }));
      return;
    }
    await sendPart(rest);
    await client.send(new (s3Sdk().CompleteMultipartUploadCommand)({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    // If the abort fails too, the parts stay invisible (never an object under the key) until the
    // bucket's lifecycle rule or the tenant's deletion aborts the upload (README.md, "The bucket").
    if (uploadId) await client.send(new (s3Sdk().AbortMultipartUploadCommand)({ Bucket, Key, UploadId: uploadId })).catch(() => {});
    throw err;
  }
}
