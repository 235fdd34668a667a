import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "../../../src/blobs/store.js";
import { loadConfig } from "../../../src/config.js";
import { openDatabase } from "../../../src/db/database.js";
import { cli, embeddedEnv, tempDirs } from "../../../test/support/cli.js";
import { startS3StandIn, type S3StandIn } from "./s3-stand-in.js";

/**
 * Moving to S3 from the local disk: `deskgraph blobs:copy` copies the
 * encrypted files as they are, and a server started with the bucket opens
 * them with the tenants' keys as before.
 */

const CREDENTIALS = { accessKeyId: "AKIATESTSTANDIN00003", secretAccessKey: "copy-test-secret" };
process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
const BUCKET = "copy-target";

const dirs = tempDirs("deskgraph-blobs-copy-");
let s3: S3StandIn;
let dataDir: string;
let local: Record<string, string | undefined>;
let withS3: Record<string, string | undefined>;
const plaintexts = new Map<string, { tenantId: string; data: Buffer }>();

beforeAll(async () => {
  s3 = await startS3StandIn({ bucket: BUCKET, region: "eu-west-1", ...CREDENTIALS });
  dataDir = dirs();
  local = { ...embeddedEnv(dataDir), ENCRYPTION_KEY: randomBytes(32).toString("base64") };
  withS3 = { ...local, S3_BUCKET: BUCKET, S3_ENDPOINT: s3.url, S3_FORCE_PATH_STYLE: "true", S3_PREFIX: "prod/" };

  // A server's files on the local disk: two tenants', and one of a tenant deleted since whose removal failed.
  const database = await openDatabase(loadConfig(local));
  try {
    await database.migrate();
    expect(database.blobPlugin).toBeNull();
    for (const slug of ["copy-a", "copy-b"]) {
      const tenantId = (await database.prisma.tenant.create({ data: { name: slug, slug } })).id;
      for (const size of [10, 200_000]) {
        const data = randomBytes(size);
        const { key } = await database.blobs.put(tenantId, [data]);
        plaintexts.set(key, { tenantId, data });
      }
    }
  } finally {
    await database.close();
  }
  const orphan = path.join(dataDir, "blobs", randomUUID(), "ab");
  mkdirSync(orphan, { recursive: true });
  writeFileSync(path.join(orphan, `ab${randomUUID().slice(2)}`), "left behind");
  // A write that never finished is no file.
  const [key, { tenantId }] = [...plaintexts][0]!;
  writeFileSync(path.join(dataDir, "blobs", tenantId, key.slice(0, 2), `${key}.${randomUUID()}.partial`), "half");
});
afterAll(() => s3?.close());

describe("blobs:copy", () => {
  it("refuses when no plugin stores files", async () => {
    const r = await cli(["blobs:copy"], local);
    expect(r.code).toBe(1);
    expect(r.err).toContain("No plugin provides the storage of files here");
  });

  it("copies every tenant's files into the bucket as they are, and passes over what is there on a second run", async () => {
    const r = await cli(["blobs:copy"], withS3);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`to s3://${BUCKET}/prod/tenants/`);
    expect(r.out).toContain("Copied 4 file(s); 0 were there already; 1 of tenants that no longer exist were left out.");
    for (const [key, { tenantId }] of plaintexts) {
      const stored = s3.objects.get(`prod/tenants/${tenantId}/${key}`)!;
      expect(stored.body.equals(readFileSync(path.join(dataDir, "blobs", tenantId, key.slice(0, 2), key)))).toBe(true);
      expect(stored.sse).toBe("AES256");
    }
    expect(s3.keys()).toHaveLength(4);

    const again = await cli(["blobs:copy"], withS3);
    expect(again.out).toContain("Copied 0 file(s); 4 were there already;");
  });

  it("leaves files a server with the bucket opens with the tenants' keys, without the local disk", async () => {
    rmSync(path.join(dataDir, "blobs"), { recursive: true });
    const database = await openDatabase(loadConfig(withS3));
    try {
      expect(database.blobPlugin).toBe("s3-storage");
      for (const [key, { tenantId, data }] of plaintexts) {
        expect((await readAll(await database.blobs.get(tenantId, key))).equals(data)).toBe(true);
      }
    } finally {
      await database.close();
    }
  });
});
