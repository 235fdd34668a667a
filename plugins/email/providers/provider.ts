import type { Mailbox, MailboxKind } from "../../../src/generated/prisma/client.js";
import type { SecretBox } from "../../../src/plugin-host/secrets.js";

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
 * same for every kind; an OAuth2 provider (Google, Microsoft 365) is one more
 * file like password.ts, whose auth refreshes its token first.
 */
export interface MailboxProvider {
  kind: MailboxKind;
  imapAuth(mailbox: MailboxAccess, secrets: SecretBox): Promise<ImapAuth>;
  smtpAuth(mailbox: MailboxAccess, secrets: SecretBox): Promise<SmtpAuth>;
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
