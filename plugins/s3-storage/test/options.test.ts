import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { openDatabase } from "../../../src/db/database.js";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import { embeddedEnv, tempDirs } from "../../../test/support/cli.js";
import { s3Storage } from "../index.js";
import { options } from "../options.js";

/** The operator's S3_* variables, and the manifest they make: where the files are, and under which transfer mechanism. */

const manifestFor = (env: Record<string, string>) => new PluginRegistry([s3Storage], env).get("s3-storage")!.manifest;
const problems = (env: Record<string, string>) => {
  try {
    options.parse(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};
const dirs = tempDirs("deskgraph-s3-options-");

describe("S3 options", () => {
  it("are off without a bucket; the manifest then shows the default region, Ireland", () => {
    expect(options.parse({})).toBeNull();
    expect(manifestFor({})).toMatchObject({ processingLocations: ["IE"], transferMechanism: "EEA", operatorManaged: true });
  });

  it("take a bucket with the defaults: eu-west-1, no prefix, virtual-host addressing, S3-managed encryption", () => {
    expect(options.parse({ S3_BUCKET: "acme-files" })).toEqual({
      bucket: "acme-files",
      region: "eu-west-1",
      location: "IE",
      prefix: "",
      endpoint: undefined,
      forcePathStyle: false,
      kmsKeyId: undefined,
    });
    expect(options.parse({ S3_BUCKET: "acme-files", S3_KMS_KEY_ID: "alias/deskgraph", S3_PREFIX: "eu/prod/" })).toMatchObject({
      kmsKeyId: "alias/deskgraph",
      prefix: "eu/prod/",
    });
  });

  it("name each variable that is wrong, or set without a bucket", () => {
    expect(problems({ S3_PREFIX: "x/", S3_REGION: "eu-west-3" })).toEqual([
      "S3_REGION: set S3_BUCKET too, or unset it (files stay on the local disk without a bucket)",
      "S3_PREFIX: set S3_BUCKET too, or unset it (files stay on the local disk without a bucket)",
    ]);
    expect(problems({ S3_BUCKET: "Not_A_Bucket" })[0]).toMatch(/^S3_BUCKET: must be an S3 bucket name/);
    expect(problems({ S3_BUCKET: "files", S3_PREFIX: "/rooted" })[0]).toMatch(/^S3_PREFIX: /);
    expect(problems({ S3_BUCKET: "files", S3_ENDPOINT: "ftp://store.example" })[0]).toMatch(/^S3_ENDPOINT: /);
    expect(problems({ S3_BUCKET: "files", S3_FORCE_PATH_STYLE: "maybe" })[0]).toMatch(/^S3_FORCE_PATH_STYLE: /);
  });

  it("place the bucket in its region's country, or where S3_LOCATION says for a region not known here", () => {
    expect(manifestFor({ S3_BUCKET: "fff", S3_REGION: "eu-central-1" })).toMatchObject({
      processingLocations: ["DE"],
      transferMechanism: "EEA",
    });
    expect(manifestFor({ S3_BUCKET: "fff", S3_REGION: "eu-west-2" })).toMatchObject({
      processingLocations: ["GB"],
      transferMechanism: "ADEQUACY",
    });
    expect(manifestFor({ S3_BUCKET: "fff", S3_REGION: "us-east-1" })).toMatchObject({
      processingLocations: ["US"],
      transferMechanism: "SCC",
    });
    expect(manifestFor({ S3_BUCKET: "fff", S3_REGION: "ap-south-1" })).toMatchObject({
      processingLocations: ["IN"],
      transferMechanism: "SCC",
    });
    expect(problems({ S3_BUCKET: "fff", S3_REGION: "fr-par", S3_ENDPOINT: "https://s3.fr-par.scw.cloud" })).toEqual([
      "S3_LOCATION: required with S3_REGION=fr-par, whose country is not known here (the ISO country code where the bucket's data centres are, such as DE)",
    ]);
    expect(manifestFor({ S3_BUCKET: "fff", S3_REGION: "fr-par", S3_LOCATION: "FR" })).toMatchObject({
      processingLocations: ["FR"],
      transferMechanism: "EEA",
    });
  });

  it("stop a database from opening when wrong, before its data directory is taken", async () => {
    const env = { ...embeddedEnv(dirs()), ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    await expect(openDatabase(loadConfig({ ...env, S3_BUCKET: "Bad_Bucket" }))).rejects.toBeInstanceOf(ConfigError);
    const database = await openDatabase(loadConfig(env));
    await database.close();
  });
});
