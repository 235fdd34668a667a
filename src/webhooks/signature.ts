import { createHmac, randomBytes } from "node:crypto";

/**
 * Signing the Standard Webhooks way (standardwebhooks.com): the secret is
 * "whsec_" + base64 of random bytes; the signature is the base64 HMAC-SHA256,
 * keyed with the decoded bytes, of `${webhook-id}.${webhook-timestamp}.${body}`,
 * sent as "v1,<signature>". Several signatures (during a secret rotation) are
 * separated by spaces; a receiver accepts the message if any one verifies.
 */
const SECRET_PREFIX = "whsec_";

/** The webhook-id of a delivery (Standard Webhooks' message id): the same on every attempt. */
export const webhookIdOf = (deliveryId: string) => `msg_${deliveryId}`;

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/** The webhook-signature header: one "v1,…" per signing secret, newest first. */
export function signatureHeader(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets.map((s) => sign(s, id, timestamp, body)).join(" ");
}

/** A signing secret as stored on the endpoint: sealed at rest, with its expiry once rotated out. */
export interface StoredSecret {
  sealed: string;
  createdAt: string;
  /** Null for the current secret; set when a rotation retires it. */
  expiresAt: string | null;
}

export function storedSecrets(json: unknown): StoredSecret[] {
  return Array.isArray(json) ? (json as StoredSecret[]) : [];
}

/** The secrets that still sign at `now`: the current one and those within their grace period. */
export function liveSecrets(secrets: StoredSecret[], now = new Date()): StoredSecret[] {
  return secrets.filter((s) => s.expiresAt === null || new Date(s.expiresAt) > now);
}
