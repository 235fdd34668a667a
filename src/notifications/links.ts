import { signedQuery, verifySignature } from "../privacy/requests/signed-url.js";

/**
 * Links in notifications that carry their own credential: what they are for
 * (the kind, a purpose of their own so that one kind can never pass for
 * another), the tenant and a row's id, and an expiry, HMAC-signed with a key
 * derived from the server's encryption key (signed-url.ts). Served under
 * /links/ (routes.ts).
 */
const LINK_KINDS = {
  /** Confirms a data-subject request (…/verify/<token>); single-use through the request's nonce. */
  verify: "deskgraph/dsr-verification/v1",
  /** RFC 8058 one-click unsubscribe from marketing mail (…/unsubscribe/<token>). */
  unsubscribe: "deskgraph/marketing-unsubscribe/v1",
} as const;

export type LinkKind = keyof typeof LINK_KINDS;

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const TOKEN = new RegExp(`^(${UUID})\\.(${UUID})\\.([0-9a-z]{0,64})\\.(\\d{1,12})\\.([0-9a-f]{64})$`);

/** `<tenant>.<id>.<nonce>.<expires>.<signature>`; the nonce (may be empty) makes a link single-use when the row keeps it. */
export function linkToken(key: Buffer, kind: LinkKind, tenantId: string, id: string, nonce: string, expiresAt: Date): string {
  const q = new URLSearchParams(signedQuery(key, LINK_KINDS[kind], `${tenantId}/${id}/${nonce}`, expiresAt));
  return `${tenantId}.${id}.${nonce}.${q.get("expires")}.${q.get("signature")}`;
}

export interface LinkClaims {
  tenantId: string;
  id: string;
  nonce: string;
  expiresAt: Date;
}

/** What a token says, or null when it is malformed or forged. Expiry is the caller's to check. */
export function readLinkToken(keys: Buffer[], kind: LinkKind, token: string): LinkClaims | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, tenantId, id, nonce, expires, signature] = m as unknown as [string, string, string, string, string, string];
  if (!verifySignature(keys, LINK_KINDS[kind], `${tenantId}/${id}/${nonce}`, Number(expires), signature)) return null;
  return { tenantId, id, nonce, expiresAt: new Date(Number(expires) * 1000) };
}

/** The URL of a link on the server's public base. */
export const linkUrl = (base: string, kind: LinkKind | "satisfaction", token: string) =>
  `${base.replace(/\/$/, "")}/links/${kind}/${encodeURIComponent(token)}`;
