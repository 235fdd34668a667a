import type { Mailbox, MailboxKind } from "../../../src/generated/prisma/client.js";
import type { SecretBox } from "../../../src/plugin-host/secrets.js";
import type { TokenDeps } from "./oauth-tokens.js";

/** What connecting needs of a mailbox: its servers and its sealed credentials (also before it is saved). */
export type MailboxAccess = Pick<
  Mailbox,
  | "kind"
  | "address"
  | "displayName"
  | "imapHost"
  | "imapPort"
  | "imapSecurity"
  | "smtpHost"
  | "smtpPort"
  | "smtpSecurity"
  | "username"
  | "secrets"
>;

/** How an IMAP client signs in: a password, or (OAuth2 kinds) an access token for XOAUTH2. */
type ImapAuth = { user: string; pass: string } | { user: string; accessToken: string };

/** How an SMTP client signs in, in nodemailer's terms. */
type SmtpAuth = { user: string; pass: string } | { type: "OAuth2"; user: string; accessToken: string };

/**
 * What a kind of mailbox contributes: how its clients sign in with what is
 * sealed in Mailbox.secrets. The servers, the sync and the sending are the
 * same for every kind; an OAuth2 kind (google.ts, microsoft.ts) refreshes its
 * access token first when it is due, and keeps the new one in the mailbox's
 * row (hence the database in the deps; a mailbox being connected has no id yet).
 */
export interface MailboxProvider {
  kind: MailboxKind;
  imapAuth(mailbox: MailboxAccess & { id?: string }, deps: TokenDeps): Promise<ImapAuth>;
  smtpAuth(mailbox: MailboxAccess & { id?: string }, deps: TokenDeps): Promise<SmtpAuth>;
  /**
   * OAuth2 kinds: a new access token, due or not, after a server refused the
   * one it was given (providers end a revoked grant's tokens early).
   * GrantRevoked when the provider refuses.
   */
  renew?(mailboxId: string, deps: TokenDeps): Promise<void>;
}

/** A mailbox's sealed credentials, opened; a disconnected mailbox has none. */
export function openSecrets(mailbox: Pick<Mailbox, "secrets">, box: SecretBox): Record<string, string> {
  const sealed = (mailbox.secrets ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(sealed).map(([k, v]) => [k, box.open(v)]));
}

/** Thrown when a mailbox has no credentials to sign in with (disconnected meanwhile). */
export class NoCredentials extends Error {
  readonly code = "MAILBOX_DISCONNECTED";
  constructor() {
    super("The mailbox has no credentials: it was disconnected");
  }
}
