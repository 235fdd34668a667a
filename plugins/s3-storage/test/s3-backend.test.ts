import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "../../../src/blobs/store.js";
import { blobBackendContract } from "../../../test/support/blob-backend-contract.js";
import { createS3Backend } from "../backend.js";
import type { S3Options } from "../options.js";
import { MIN_PART, startS3StandIn, type S3StandIn } from "./s3-stand-in.js";

/**
 * The S3 backend through the official SDK against a local stand-in of S3:
 * the contract every backend keeps, then what is S3's own (server-side
 * encryption, multipart uploads sent one part at a time, aborts, deletion in pages).
 */

const CREDENTIALS = { accessKeyId: "AKIATESTSTANDIN00001", secretAccessKey: "stand-in-secret/key+for+tests" };
// The SDK's default credential chain reads them from here, as it would on a server.
process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;

const BUCKET = "deskgraph-files";
const options = (s3: S3StandIn, extra: Partial<S3Options> = {}): S3Options => ({
  bucket: BUCKET,
  region: "eu-west-1",
  location: "IE",
  prefix: "helpdesk/",
  endpoint: s3.url,
  forcePathStyle: true,
  ...extra,
});

blobBackendContract("s3", async () => {
  const s3 = await startS3StandIn({ bucket: BUCKET, region: "eu-west-1", ...CREDENTIALS });
  return { backend: createS3Backend(options(s3)), close: s3.close };
});

describe("the S3 backend", () => {
  let s3: S3StandIn;
  const tenant = randomUUID();
  // The smallest part S3 allows, so that a few parts make a file of a few megabytes.
  const PART = MIN_PART;

  /** `total` random bytes in pieces of 64 KiB, counting what was produced. */
  function source(total: number, fail?: Error) {
    const state = { produced: 0 };
    async function* pieces() {
      while (state.produced < total) {
        const n = Math.min(64 * 1024, total - state.produced);
        state.produced += n;
        yield randomBytes(n);
      }
      if (fail) throw fail;
    }
    return { state, pieces: pieces() };
  }

  beforeAll(async () => {
    s3 = await startS3StandIn({ bucket: BUCKET, region: "eu-west-1", ...CREDENTIALS });
  });
  afterAll(() => s3?.close());

  it("stores each object under <prefix>tenants/<tenant>/<key> with S3-managed encryption asked for", async () => {
    const backend = createS3Backend(options(s3), PART);
    const key = randomUUID();
    await backend.write(tenant, key, [Buffer.from("ciphertext")]);
    expect(s3.keys()).toContain(`helpdesk/tenants/${tenant}/${key}`);
    expect(s3.received.filter((r) => r.key?.endsWith(key))).toMatchObject([{ operation: "PutObject", sse: "AES256", bytes: 10 }]);
    expect(s3.objects.get(`helpdesk/tenants/${tenant}/${key}`)!.sse).toBe("AES256");
  });

  it("asks for SSE-KMS with the operator's key when one is configured, on single and multipart uploads", async () => {
    const kmsKeyId = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const backend = createS3Backend(options(s3, { kmsKeyId }), PART);
    const small = randomUUID();
    const large = randomUUID();
    await backend.write(tenant, small, [Buffer.from("x")]);
    await backend.write(tenant, large, source(PART + 1).pieces);
    const asked = s3.received.filter((r) => r.key?.endsWith(small) || (r.key?.endsWith(large) && r.operation === "CreateMultipartUpload"));
    expect(asked).toMatchObject([
      { operation: "PutObject", sse: "aws:kms", sseKmsKeyId: kmsKeyId },
      { operation: "CreateMultipartUpload", sse: "aws:kms", sseKmsKeyId: kmsKeyId },
    ]);
    expect(s3.objects.get(`helpdesk/tenants/${tenant}/${large}`)).toMatchObject({ sse: "aws:kms", sseKmsKeyId: kmsKeyId });
  });

  it("sends a body of up to one part as one PutObject, and a larger one in parts of exactly the part size but the last", async () => {
    const backend = createS3Backend(options(s3), PART);
    const exact = randomUUID();
    await backend.write(tenant, exact, source(PART).pieces);
    expect(s3.received.filter((r) => r.key?.endsWith(exact)).map((r) => r.operation)).toEqual(["PutObject"]);

    const large = randomUUID();
    const total = 3 * PART + 12_345;
    const { pieces } = source(total);
    const chunks: Buffer[] = [];
    async function* kept() {
      for await (const p of pieces) {
        chunks.push(p);
        yield p;
      }
    }
    await backend.write(tenant, large, kept());
    const requests = s3.received.filter((r) => r.key?.endsWith(large));
    expect(requests.map((r) => r.operation)).toEqual([
      "CreateMultipartUpload",
      "UploadPart",
      "UploadPart",
      "UploadPart",
      "UploadPart",
      "CompleteMultipartUpload",
    ]);
    expect(requests.filter((r) => r.operation === "UploadPart").map((r) => [r.partNumber, r.bytes])).toEqual([
      [1, PART],
      [2, PART],
      [3, PART],
      [4, 12_345],
    ]);
    expect((await readAll(await backend.read(tenant, large))).equals(Buffer.concat(chunks))).toBe(true);
    expect(s3.uploads.size).toBe(0);
  });

  it("reads no more of a large body than the part being sent: memory holds about one part, whatever the size", async () => {
    const backend = createS3Backend(options(s3), PART);
    const key = randomUUID();
    const parts = 6;
    const { state, pieces } = source(parts * PART);
    // As each part arrives, how much the source has produced beyond what reached S3 so far.
    let sent = 0;
    s3.onRequest((r) => {
      if (r.operation !== "UploadPart" || !r.key?.endsWith(key)) return undefined;
      const ahead = state.produced - sent - r.bytes;
      sent += r.bytes;
      return ahead;
    });
    try {
      await backend.write(tenant, key, pieces);
    } finally {
      s3.onRequest(undefined);
    }
    const uploaded = s3.received.filter((r) => r.operation === "UploadPart" && r.key?.endsWith(key));
    expect(uploaded.map((r) => r.bytes)).toEqual(Array(parts).fill(PART));
    // At most one piece of the source (64 KiB) is read ahead of the part on its way: the one
    // that showed the part was not the last.
    for (const r of uploaded) expect(r.note as number).toBeLessThanOrEqual(64 * 1024);
  });

  it("aborts the upload when the source fails after some parts, leaving no object and no parts", async () => {
    const backend = createS3Backend(options(s3), PART);
    const key = randomUUID();
    await expect(backend.write(tenant, key, source(2 * PART + 100, new Error("client went away")).pieces)).rejects.toThrow(
      "client went away",
    );
    const requests = s3.received.filter((r) => r.key?.endsWith(key)).map((r) => r.operation);
    expect(requests).toEqual(["CreateMultipartUpload", "UploadPart", "UploadPart", "AbortMultipartUpload"]);
    expect(s3.keys().some((k) => k.endsWith(key))).toBe(false);
    expect(s3.uploads.size).toBe(0);
  });

  it("aborts the upload when S3 refuses a part, and says why", async () => {
    const backend = createS3Backend(options(s3), PART);
    const key = randomUUID();
    s3.fail("UploadPart", 403, "AccessDenied");
    await expect(backend.write(tenant, key, source(2 * PART).pieces)).rejects.toMatchObject({ name: "AccessDenied" });
    expect(s3.received.filter((r) => r.key?.endsWith(key)).map((r) => r.operation)).toEqual([
      "CreateMultipartUpload",
      "UploadPart",
      "AbortMultipartUpload",
    ]);
    expect(s3.uploads.size).toBe(0);
    expect(s3.keys().some((k) => k.endsWith(key))).toBe(false);
  });

  it("deletes a tenant's objects in pages of at most 1000, and the uploads left unfinished under its prefix", async () => {
    const backend = createS3Backend(options(s3), PART);
    const doomed = randomUUID();
    const prefix = `helpdesk/tenants/${doomed}/`;
    // More objects than one page, put in place directly: the paging is what is tested here.
    for (let i = 0; i < 1001; i++) {
      s3.objects.set(prefix + randomUUID(), {
        body: Buffer.from("x"),
        etag: '"x"',
        sse: "AES256",
        sseKmsKeyId: undefined,
        lastModified: new Date(),
      });
    }
    s3.uploads.set("left-by-a-crash", {
      key: prefix + randomUUID(),
      sse: "AES256",
      sseKmsKeyId: undefined,
      parts: new Map(),
      initiated: new Date(),
    });
    const neighbour = `helpdesk/tenants/${tenant}/${randomUUID()}`;
    s3.objects.set(neighbour, { body: Buffer.from("y"), etag: '"y"', sse: "AES256", sseKmsKeyId: undefined, lastModified: new Date() });
    const from = s3.received.length;

    await backend.deleteTenant(doomed);
    const requests = s3.received.slice(from);
    expect(requests.map((r) => r.operation)).toEqual([
      "ListObjectsV2",
      "DeleteObjects",
      "ListObjectsV2",
      "DeleteObjects",
      "ListMultipartUploads",
      "AbortMultipartUpload",
    ]);
    expect(s3.keys().filter((k) => k.startsWith(prefix))).toEqual([]);
    expect(s3.uploads.has("left-by-a-crash")).toBe(false);
    expect(s3.objects.has(neighbour)).toBe(true);
  });

  it("reports a bucket it cannot reach: a missing bucket, wrong credentials, the wrong region", async () => {
    await expect(createS3Backend(options(s3, { bucket: "no-such-bucket" })).probe()).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    await expect(createS3Backend(options(s3, { region: "eu-central-1" })).probe()).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
    });
    process.env.AWS_SECRET_ACCESS_KEY = "not-the-secret";
    try {
      await expect(createS3Backend(options(s3)).probe()).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    }
    await expect(createS3Backend(options(s3)).probe()).resolves.toBeUndefined();
  });
});
