import { NoCredentials, openSecrets, type MailboxProvider } from "./provider.js";

/** Plain IMAP and SMTP with a password (MailboxKind IMAP): any provider that still allows it. */
export const passwordProvider: MailboxProvider = {
  kind: "IMAP",
  async imapAuth(mailbox, box) {
    const { password } = openSecrets(mailbox, box);
    if (!password) throw new NoCredentials();
    return { user: mailbox.username, pass: password };
  },
  async smtpAuth(mailbox, box) {
    const { password } = openSecrets(mailbox, box);
    if (!password) throw new NoCredentials();
    return { user: mailbox.username, pass: password };
  },
};
