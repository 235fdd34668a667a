import type { OAuthSpec } from "./oauth.js";
import { accessTokenFor, renewAccessToken } from "./oauth-tokens.js";
import type { MailboxProvider } from "./provider.js";

/** A mailbox kind that signs in with OAuth2: XOAUTH2 (or OAUTHBEARER, as the server offers) on IMAP, XOAUTH2 on SMTP. */
export function oauthProvider(spec: OAuthSpec): MailboxProvider & { spec: OAuthSpec } {
  return {
    kind: spec.kind,
    spec,
    async imapAuth(mailbox, deps) {
      return { user: mailbox.username, accessToken: await accessTokenFor(spec, mailbox, deps) };
    },
    async smtpAuth(mailbox, deps) {
      return { type: "OAuth2", user: mailbox.username, accessToken: await accessTokenFor(spec, mailbox, deps) };
    },
    async renew(mailboxId, deps) {
      await renewAccessToken(spec, mailboxId, deps);
    },
  };
}
