import { z } from "zod";
import { ConfigError, flag } from "../../src/config.js";
import { envOptions } from "../../src/plugin-host/options.js";
import { AWS_REGION_COUNTRIES } from "./regions.js";

/** The operator's bucket; null when S3_BUCKET is unset (files stay on the local disk). */
export interface S3Options {
  bucket: string;
  region: string;
  /** The country of the bucket's data centres (ISO 3166-1 alpha-2): from the region, or S3_LOCATION. */
  location: string;
  /** Put before every object's key: each tenant's files live under `<prefix>tenants/<tenant id>/`. */
  prefix: string;
  /** Where the SDK sends requests instead of AWS's endpoint for the region (an S3-compatible store, a VPC endpoint, tests). */
  endpoint?: string;
  /** `https://<endpoint>/<bucket>/<key>` instead of `https://<bucket>.<endpoint>/<key>`. */
  forcePathStyle: boolean;
  /** Server-side encryption with this KMS key (aws:kms); unset: S3-managed keys (AES256). */
  kmsKeyId?: string;
}

const S3_VARIABLES = ["S3_REGION", "S3_LOCATION", "S3_PREFIX", "S3_ENDPOINT", "S3_FORCE_PATH_STYLE", "S3_KMS_KEY_ID"] as const;

/**
 * Read from the environment at start. Credentials are not options: the SDK
 * finds them itself (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile,
 * the instance's or container's role), so that no key needs to sit in the
 * environment where a role can do.
 */
export const options = envOptions(
  {
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and dashes")
      .optional(),
    S3_REGION: z
      .string()
      .regex(/^[a-z0-9-]{2,40}$/, "must be a region name such as eu-west-1")
      .optional(),
    S3_LOCATION: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code such as IE")
      .optional(),
    S3_PREFIX: z
      .string()
      .max(200)
      .regex(/^(?!\/)[A-Za-z0-9!_.*'()/-]*$/, "must be letters, digits and !_.*'()/- (not starting with /), such as deskgraph/")
      .optional(),
    S3_ENDPOINT: z
      .string()
      .url()
      .refine((u) => /^https?:$/.test(new URL(u).protocol), "must be an http(s) URL")
      .optional(),
    S3_FORCE_PATH_STYLE: flag.default(false),
    S3_KMS_KEY_ID: z.string().min(1).max(2048).optional(),
  },
  (e): S3Options | null => {
    if (!e.S3_BUCKET) {
      const stray = S3_VARIABLES.filter((k) => k !== "S3_FORCE_PATH_STYLE" && e[k] !== undefined);
      if (stray.length)
        throw new ConfigError(stray.map((k) => `${k}: set S3_BUCKET too, or unset it (files stay on the local disk without a bucket)`));
      return null;
    }
    const region = e.S3_REGION ?? "eu-west-1";
    const location = e.S3_LOCATION ?? AWS_REGION_COUNTRIES[region];
    if (!location)
      throw new ConfigError([
        `S3_LOCATION: required with S3_REGION=${region}, whose country is not known here (the ISO country code where the bucket's data centres are, such as DE)`,
      ]);
    return {
      bucket: e.S3_BUCKET,
      region,
      location,
      prefix: e.S3_PREFIX ?? "",
      endpoint: e.S3_ENDPOINT,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      kmsKeyId: e.S3_KMS_KEY_ID,
    };
  },
);
