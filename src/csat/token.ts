import { signedQuery, verifySignature } from "../privacy/requests/signed-url.js";
import { DAY_MS } from "../constants.js";

/**
 * The satisfaction request's link credential: tenant, ticket and expiry,
 * HMAC-signed with a key of its own derived from the server's encryption key
 * (signed-url.ts). Nothing is stored: the same solve always yields the same
 * token, so the portal, an email and the API all hand out one link, and
 * whoever holds it may rate that ticket (and only that one) until it expires.
 */
const PURPOSE = "deskgraph/satisfaction/v1";

/** How long after solving a requester may rate (and change their rating). */
const SATISFACTION_WINDOW_MS = 14 * DAY_MS;

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const TOKEN = new RegExp(`^(${UUID})\\.(${UUID})\\.(\\d{1,12})\\.([0-9a-f]{64})$`);

export function satisfactionToken(key: Buffer, tenantId: string, ticketId: string, solvedAt: Date) {
  const expiresAt = new Date(solvedAt.getTime() + SATISFACTION_WINDOW_MS);
  const q = new URLSearchParams(signedQuery(key, PURPOSE, `${tenantId}/${ticketId}`, expiresAt));
  return { token: `${tenantId}.${ticketId}.${q.get("expires")}.${q.get("signature")}`, expiresAt };
}

/** The tenant and ticket a token is for; null when it is malformed or forged. Expiry is the caller's to check (EXPIRED). */
export function readSatisfactionToken(keys: Buffer[], token: string): { tenantId: string; ticketId: string; expiresAt: Date } | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, tenantId, ticketId, expires, signature] = m as unknown as [string, string, string, string, string];
  if (!verifySignature(keys, PURPOSE, `${tenantId}/${ticketId}`, Number(expires), signature)) return null;
  return { tenantId, ticketId, expiresAt: new Date(Number(expires) * 1000) };
}
