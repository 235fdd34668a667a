import { createHash, timingSafeEqual } from "node:crypto";

/** What an `Authorization: Operator <key>` header proves; null for any other header. */
export type OperatorAuthentication = { operator: true } | { operator: false; failure: string } | null;

const digest = (v: string) => createHash("sha256").update(v).digest();

/**
 * The operator sends `Authorization: Operator <OPERATOR_KEY>`. A scheme of its
 * own, so that the key can never be mistaken for (or tried as) a tenant's
 * Bearer credential. Compared as fixed-length digests in constant time, so the
 * comparison tells nothing about how much of a guess was right.
 */
export function authenticateOperator(operatorKey: string | undefined, header: string | null | undefined): OperatorAuthentication {
  const match = header ? /^Operator\s+(\S+)$/i.exec(header.trim()) : null;
  if (!match) return null;
  if (!operatorKey) return { operator: false, failure: "The operator API is off: OPERATOR_KEY is not set" };
  if (!timingSafeEqual(digest(match[1]!), digest(operatorKey))) return { operator: false, failure: "Operator key refused" };
  return { operator: true };
}
