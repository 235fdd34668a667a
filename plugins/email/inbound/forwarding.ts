import type { InboundSmtpOptions } from "./smtp-options.js";

/**
 * Forwarding addresses: a mailbox's address at the inbound SMTP endpoint,
 * <forwardingToken>@<first EMAIL_INBOUND_DOMAIN>. A tenant forwards its
 * support address there (or has customers write to it); a plus address of it
 * (<token>+<reply token>@…) brings a reply back to its conversation, as one of
 * the mailbox's own plus addresses does. The token is random (128 bits):
 * knowing a tenant's name is not enough to write into its mailbox.
 */

const FORWARDING_TOKEN = /^[0-9a-f]{32}$/;

/** The address shown to tenants. */
export const forwardingAddress = (inbound: InboundSmtpOptions, token: string): string => `${token}@${inbound.domains[0]}`;

/** Every address of the token, one per domain: mail to any of them reaches the mailbox. */
export const forwardingAddresses = (inbound: InboundSmtpOptions, token: string): string[] => inbound.domains.map((d) => `${token}@${d}`);

/** The forwarding token an envelope recipient is addressed to (with or without a plus part), or null. */
export function forwardingTokenOf(inbound: InboundSmtpOptions, recipient: string): string | null {
  const r = recipient.trim().toLowerCase();
  const at = r.lastIndexOf("@");
  if (at < 0 || !inbound.domains.includes(r.slice(at + 1))) return null;
  const token = r.slice(0, at).split("+")[0]!;
  return FORWARDING_TOKEN.test(token) ? token : null;
}
