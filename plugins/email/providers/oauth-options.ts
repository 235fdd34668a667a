import { z } from "zod";
import { ConfigError } from "../../../src/config.js";

const server = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  security: z.enum(["TLS", "STARTTLS", "NONE"]),
});

const endpoints = z.object({
  /** An authorization server with OpenID discovery metadata at this issuer (/.well-known/openid-configuration). */
  issuer: z.string().url(),
  imap: server,
  smtp: server,
});

/** Where a provider's sign-in and mail servers are, when the operator puts something in the provider's place. */
export type OAuthEndpoints = z.infer<typeof endpoints>;

/** The operator's OAuth2 client at one provider. */
export interface OAuthClientOptions {
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  /** Null: the provider's own (accounts.google.com, login.microsoftonline.com and their mail servers). */
  endpoints: OAuthEndpoints | null;
}

/**
 * EMAIL_GOOGLE_ENDPOINTS / EMAIL_MICROSOFT_ENDPOINTS: JSON, e.g.
 * {"issuer":"https://sso.example","imap":{"host":"imap.example","port":993,"security":"TLS"},"smtp":{…}}.
 * The operator's setting only: a tenant never chooses where tokens are sent.
 */
export function parseOAuthEndpoints(variable: string, value: string): OAuthEndpoints {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new ConfigError([`${variable}: must be JSON ({"issuer":…,"imap":{host,port,security},"smtp":{…}})`]);
  }
  const parsed = endpoints.safeParse(json);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${variable}.${i.path.join(".")}: ${i.message}`));
  return parsed.data;
}
