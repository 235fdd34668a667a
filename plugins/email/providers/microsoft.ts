import { oauthProvider } from "./oauth-provider.js";

/**
 * Microsoft 365 (Exchange Online) through the Microsoft identity platform
 * (v2.0 endpoints) of the directories EMAIL_MICROSOFT_TENANT allows. IMAP and
 * SMTP need Outlook's own scopes; offline_access brings the refresh token.
 * Microsoft has no revocation endpoint: disconnecting deletes the tokens here,
 * and the grant lapses unused (or an admin removes the app in Entra ID).
 */
export const microsoftProvider = oauthProvider({
  kind: "MICROSOFT",
  authorizationServer: (options) => {
    const base = `https://login.microsoftonline.com/${encodeURIComponent(options.microsoftTenant)}`;
    return {
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
    };
  },
  scopes: ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"],
  authorizationParams: {},
  imap: { host: "outlook.office365.com", port: 993, security: "TLS" },
  smtp: { host: "smtp.office365.com", port: 587, security: "STARTTLS" },
});
