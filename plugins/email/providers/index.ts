import type { MailboxKind } from "../../../src/generated/prisma/client.js";
import { googleProvider } from "./google.js";
import { microsoftProvider } from "./microsoft.js";
import type { OAuthKind, OAuthSpec } from "./oauth.js";
import { passwordProvider } from "./password.js";
import type { MailboxProvider } from "./provider.js";

const PROVIDERS: Record<MailboxKind, MailboxProvider> = {
  IMAP: passwordProvider,
  GOOGLE: googleProvider,
  MICROSOFT: microsoftProvider,
};

export const providerOf = (kind: MailboxKind): MailboxProvider => PROVIDERS[kind];

const OAUTH: Record<OAuthKind, OAuthSpec> = { GOOGLE: googleProvider.spec, MICROSOFT: microsoftProvider.spec };

/** The OAuth2 description of a kind that signs in so; null for password mailboxes. */
export const oauthSpecOf = (kind: MailboxKind): OAuthSpec | null => (kind === "IMAP" ? null : OAUTH[kind]);
