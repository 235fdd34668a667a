import { randomBytes } from "node:crypto";

/**
 * Reply tokens: a random name for a ticket's email thread (EmailThread.replyToken)
 * that travels with our replies and comes back with the answers to them, in
 * three places, so that one of them survives whatever the mail client does:
 * our Message-ID (quoted back in In-Reply-To and References), the Reply-To
 * address as a plus address when the mailbox allows it, and a header.
 * Unguessable: knowing a ticket's number is not enough to write into it.
 */

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
const TOKEN = /^[a-z2-7]{16}$/;

/** Base32, lower case: survives mail systems that change the case of addresses. */
function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** A new token: 80 random bits. */
export const newReplyToken = (): string => base32(randomBytes(10));

export const TOKEN_HEADER = "X-Deskgraph-Thread";

/** A Message-ID for a reply of ours (without brackets): the thread's token, then randomness of its own. */
export const messageIdFor = (token: string, domain: string): string => `dg-${token}-${base32(randomBytes(10))}@${domain}`;

/** The token in one of our Message-IDs, or null. */
export function tokenInMessageId(id: string): string | null {
  const m = /^dg-([a-z2-7]{16})-[a-z2-7]+@/i.exec(id);
  return m ? m[1]!.toLowerCase() : null;
}

/** support@example.com with token t → support+t@example.com */
export function plusAddress(address: string, token: string): string {
  const at = address.lastIndexOf("@");
  return `${address.slice(0, at)}+${token}${address.slice(at)}`;
}

/** The token of a recipient that is the mailbox's address plus a token, or null. */
export function tokenInRecipient(recipient: string, mailboxAddress: string): string | null {
  const at = mailboxAddress.lastIndexOf("@");
  const local = mailboxAddress.slice(0, at);
  const domain = mailboxAddress.slice(at + 1);
  const r = recipient.toLowerCase();
  const prefix = `${local}+`;
  const suffix = `@${domain}`;
  if (!r.startsWith(prefix) || !r.endsWith(suffix)) return null;
  const token = r.slice(prefix.length, r.length - suffix.length);
  return TOKEN.test(token) ? token : null;
}

export const isReplyToken = (v: string): boolean => TOKEN.test(v.trim().toLowerCase());
