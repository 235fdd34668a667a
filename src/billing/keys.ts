import { createHash } from "node:crypto";

/**
 * An idempotency key for a write to the payment provider, derived from the
 * tenant, the operation and what makes the request unique (the target
 * subscription, the account's revision, the new value…). A retried mutation,
 * or the SDK retrying a lost response, sends the same key and the provider
 * answers with the first result instead of charging again; a new change
 * (another revision) gets a new key.
 */
export function idempotencyKey(tenantId: string, operation: string, ...parts: unknown[]): string {
  const digest = createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
  return `deskgraph:${tenantId}:${operation}:${digest}`;
}
