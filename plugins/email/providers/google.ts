import { oauthProvider } from "./oauth-provider.js";

/**
 * Gmail and Google Workspace. The scope https://mail.google.com/ is the one
 * Google gives IMAP and SMTP; access_type=offline and prompt=consent make it
 * hand out a refresh token every time (also when the account connected before).
 */
export const googleProvider = oauthProvider({
  kind: "GOOGLE",
  authorizationServer: () => ({
    issuer: "https://accounts.google.com",
    authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint: "https://oauth2.googleapis.com/token",
    revocation_endpoint: "https://oauth2.googleapis.com/revoke",
  }),
  scopes: ["https://mail.google.com/"],
  authorizationParams: { access_type: "offline", prompt: "consent" },
  imap: { host: "imap.gmail.com", port: 993, security: "TLS" },
  smtp: { host: "smtp.gmail.com", port: 465, security: "TLS" },
});
