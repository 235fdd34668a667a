import type { S3Client } from "@aws-sdk/client-s3";
import { lazyModule } from "../../src/lazy-module.js";
import type { S3Options } from "./options.js";

/** The SDK, loaded when the operator's bucket is first used (see lazyModule); its commands come from here too. */
export const s3Sdk = lazyModule<typeof import("@aws-sdk/client-s3")>("@aws-sdk/client-s3");

/**
 * The official SDK's client for the operator's bucket. Credentials come from
 * the SDK's default chain (environment, profile, container or instance role).
 * S3_ENDPOINT sends requests elsewhere (an S3-compatible store, a VPC
 * endpoint, tests); path-style addressing for stores without bucket
 * subdomains. The SDK retries throttling, network failures and 5xx answers itself.
 */
export function s3Client(s3: S3Options): S3Client {
  return new (s3Sdk().S3Client)({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    maxAttempts: 3,
    // Only connecting is bounded: a download paused by a slow reader keeps its socket open as long as the reader needs.
    requestHandler: { connectionTimeout: 5_000 },
  });
}
