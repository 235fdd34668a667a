import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { BlobNotFoundError, type BlobBackend, type Source } from "../../src/blobs/store.js";
import { UUID_PATTERN } from "../../src/constants.js";
import { s3Client, s3Sdk } from "./client.js";
import type { S3Options } from "./options.js";
import { PART_BYTES, uploadStream, type UploadTarget } from "./upload.js";

/** How long readiness waits for the bucket to answer. */
const PROBE_TIMEOUT_MS = 5_000;

const missing = (err: unknown) => ["NoSuchKey", "NotFound"].includes((err as Error)?.name);

/**
 * Blobs as objects in the operator's bucket: `<prefix>tenants/<tenant>/<key>`,
 * so that a tenant's files are one prefix (listed and deleted together, and
 * open to per-prefix rules and policies). What arrives here is already
 * ciphertext; S3 encrypts it once more at rest (SSE-S3, or SSE-KMS with the
 * operator's key), on every object, whatever the bucket's default.
 */
export class S3Backend implements BlobBackend {
  readonly name = "s3";

  constructor(
    private readonly client: S3Client,
    private readonly s3: S3Options,
    private readonly partBytes = PART_BYTES,
  ) {}

  get location(): string {
    return `s3://${this.s3.bucket}/${this.s3.prefix}tenants/ (${this.s3.region}${this.s3.endpoint ? ` at ${this.s3.endpoint}` : ""})`;
  }

  private tenantPrefix(tenantId: string): string {
    // Names come from the database and randomUUID, never from a client; checked anyway, as they become keys.
    if (!UUID_PATTERN.test(tenantId)) throw new Error(`Not a tenant id: ${tenantId}`);
    return `${this.s3.prefix}tenants/${tenantId}/`;
  }

  private object(tenantId: string, key: string) {
    if (!UUID_PATTERN.test(key)) throw new Error(`Not a blob key: ${key}`);
    return { Bucket: this.s3.bucket, Key: this.tenantPrefix(tenantId) + key };
  }

  async write(tenantId: string, key: string, source: Source): Promise<void> {
    const target: UploadTarget = {
      ...this.object(tenantId, key),
      ...(this.s3.kmsKeyId ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: this.s3.kmsKeyId } : { ServerSideEncryption: "AES256" }),
    };
    await uploadStream(this.client, target, source, this.partBytes);
  }

  async read(tenantId: string, key: string): Promise<Readable> {
    // The body streams from S3 as it is read: nothing holds the whole file.
    const got = await this.client.send(new (s3Sdk().GetObjectCommand)(this.object(tenantId, key))).catch((err: unknown) => {
      throw missing(err) ? new BlobNotFoundError(key) : err;
    });
    return got.Body as Readable;
  }

  async delete(tenantId: string, key: string): Promise<void> {
    // S3 answers 204 for a key that is not there: nothing to delete is not an error.
    await this.client.send(new (s3Sdk().DeleteObjectCommand)(this.object(tenantId, key)));
  }

  /** Every object under the tenant's prefix, a page of 1000 at a time, then any upload left unfinished there. */
  async deleteTenant(tenantId: string): Promise<void> {
    const Bucket = this.s3.bucket;
    const Prefix = this.tenantPrefix(tenantId);
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket, Prefix, MaxKeys: 1000, ContinuationToken }));
      const Objects = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (Objects.length) {
        const { Errors } = await this.client.send(new (s3Sdk().DeleteObjectsCommand)({ Bucket, Delete: { Objects, Quiet: true } }));
        if (Errors?.length)
          throw new Error(`S3 did not delete ${Errors.length} object(s) of the tenant: ${Errors[0]!.Code} ${Errors[0]!.Message ?? ""}`);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    // Parts of an upload cut off by a crash are invisible, but they are the tenant's ciphertext too.
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await this.client.send(new (s3Sdk().ListMultipartUploadsCommand)({ Bucket, Prefix, ...markers }));
      for (const u of page.Uploads ?? [])
        await this.client.send(new (s3Sdk().AbortMultipartUploadCommand)({ Bucket, Key: u.Key!, UploadId: u.UploadId! }));
      if (!page.IsTruncated) return;
      markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
    }
  }

  async has(tenantId: string, key: string): Promise<boolean> {
    return this.client.send(new (s3Sdk().HeadObjectCommand)(this.object(tenantId, key))).then(
      () => true,
      (err: unknown) => {
        if (missing(err)) return false;
        throw err;
      },
    );
  }

  async probe(): Promise<void> {
    await this.client.send(new (s3Sdk().HeadBucketCommand)({ Bucket: this.s3.bucket }), {
      abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
  }
}

/** The backend for the operator's options, with the SDK's client; `partBytes` for tests only. */
export const createS3Backend = (s3: S3Options, partBytes?: number) => new S3Backend(s3Client(s3), s3, partBytes);
