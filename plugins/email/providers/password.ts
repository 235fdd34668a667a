import { NoCredentials, openSecrets, type MailboxProvider } from "./provider.js";

/** Plain IMAP and SMTP with a password (MailboxKind IMAP): any provider that still allows it. */
export const passwordProvider: MailboxProvider = {
  kind: "IMAP",
  async imapAuth(mailbox, deps) {
    const { password } = openSecrets(mailbox, deps.secrets);
    if (!password) throw new NoCredentials();
    return { user: mailbox.username, pass: password };
  },
  async smtpAuth(mailbox, deps) {
    const { password } = openSecrets(mailbox, deps.secrets);
    if (!password) throw new NoCredentials();
    return { user: mailbox.username, pass: password };
  },
};
