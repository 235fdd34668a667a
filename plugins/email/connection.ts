import { isIP } from "node:net";
import type { MailSecurity } from "../../src/generated/prisma/client.js";
import { isAddressRefusal, type OutboundGuard } from "../../src/outbound/guard.js";

/** A mail server as a mailbox names it. */
export interface Endpoint {
  host: string;
  port: number;
  security: MailSecurity;
}

/**
 * Where a client connects: an address of the host that the outbound guard
 * allows (the same check as webhook URLs: public addresses, or networks the
 * operator listed in OUTBOUND_ALLOW_PRIVATE), and the name the server's TLS
 * certificate must carry. The client is given the checked address itself, so
 * a name that resolves elsewhere by the time it connects (DNS rebinding)
 * cannot take it anywhere else.
 */
export async function checkedEndpoint(guard: OutboundGuard, endpoint: Endpoint): Promise<{ address: string; servername?: string }> {
  const host = endpoint.host.replace(/^\[(.*)\]$/, "$1");
  const [address] = await guard.resolve(host);
  return { address: address!, servername: isIP(host) ? undefined : host };
}

/** Why a connection to a mail server failed, as a stable code (never the server's own words, which can quote addresses). */
export type FailureReason =
  | "ADDRESS_NOT_ALLOWED"
  | "HOST_NOT_FOUND"
  | "UNREACHABLE"
  | "TLS_FAILED"
  | "AUTHENTICATION_FAILED"
  | "GRANT_REVOKED"
  | "FOLDER_NOT_FOUND"
  | "MAILBOX_DISCONNECTED"
  | "PROTOCOL_ERROR";

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "GREETING_TIMEOUT",
  "UPGRADE_TIMEOUT",
  "ETIMEOUT",
  "NoConnection",
  "EConnectionClosed",
  "ClosedAfterConnectText",
  "ClosedAfterConnectTLS",
  // nodemailer's
  "ECONNECTION",
  "ESOCKET",
  "EDNS",
  // the OAuth2 authorization server's (providers/oauth.ts)
  "OAUTH_UNAVAILABLE",
]);

/** The reason for an error of imapflow, nodemailer, node:net/tls or the outbound guard. */
export function failureReason(err: unknown): FailureReason {
  const e = err as {
    code?: unknown;
    authenticationFailed?: boolean;
    tlsFailed?: boolean;
    mailboxMissing?: boolean;
    responseCode?: number;
    message?: string;
  };
  const code = typeof e?.code === "string" ? e.code : "";
  if (isAddressRefusal(err)) return "ADDRESS_NOT_ALLOWED";
  if (code === "MAILBOX_DISCONNECTED") return "MAILBOX_DISCONNECTED";
  if (code === "GRANT_REVOKED") return "GRANT_REVOKED";
  if (e?.authenticationFailed || code === "EAUTH" || e?.responseCode === 535) return "AUTHENTICATION_FAILED";
  if (e?.mailboxMissing) return "FOLDER_NOT_FOUND";
  if (
    e?.tlsFailed ||
    code === "ETLS" ||
    code.startsWith("ERR_TLS") ||
    code.startsWith("ERR_SSL") ||
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/.test(code) ||
    /STARTTLS/i.test(e?.message ?? "")
  )
    return "TLS_FAILED";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ENODATA") return "HOST_NOT_FOUND";
  if (UNREACHABLE.has(code)) return "UNREACHABLE";
  return "PROTOCOL_ERROR";
}

/** Failures that only an admin can mend, by connecting the mailbox again: the mailbox is marked NEEDS_RECONNECT. */
export const needsAdmin = (reason: FailureReason): boolean => reason === "AUTHENTICATION_FAILED" || reason === "GRANT_REVOKED";
