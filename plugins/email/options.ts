import { z } from "zod";
import { ConfigError, flag } from "../../src/config.js";
import { envOptions } from "../../src/plugin-host/options.js";
import type { PluginRuntime, SettingsOf } from "../../src/plugin-host/plugin.js";
import type { manifest } from "./manifest.js";
import { inboundOptions } from "./inbound/smtp-options.js";
import { dkimOptions } from "./outbound/dkim.js";
import { parseOAuthEndpoints, type OAuthClientOptions } from "./providers/oauth-options.js";

/**
 * The operator's options, read once at start. Everything about a mailbox
 * (servers, credentials) is the tenant's, given to connectMailbox; the OAuth2
 * clients tenants sign in through (Google, Microsoft 365) are the operator's.
 */
export const options = envOptions(
  {
    // Passwords in clear text: only for a server on the operator's own network (tests, a local relay).
    EMAIL_ALLOW_PLAINTEXT: flag.default(false),
    // The safety net under IDLE, and the rhythm of servers without it.
    EMAIL_POLL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
    // How long a sync lease lasts unrenewed: how soon another instance takes over a mailbox whose instance died.
    EMAIL_LEASE_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
    // Mails per sender and hour that open or join tickets; beyond it they are skipped (a mail loop, a flood).
    EMAIL_SENDER_LIMIT_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(60),
    // Where that count lives in Redis (with REDIS_URL): deployments sharing one Redis each need their own.
    EMAIL_REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:._-]{1,100}$/, "must be letters, digits and : . _ - (at most 100)")
      .default("deskgraph:email"),
    // Attempts at sending a reply before it is FAILED, when what stops it may pass (the server unreachable, an SMTP 4xx).
    EMAIL_SEND_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
    // The wait before the second attempt; each further one waits three times longer.
    EMAIL_SEND_RETRY_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    // The page of the operator's frontend that the providers send the admin back to (registered with each provider).
    EMAIL_OAUTH_REDIRECT_URL: z.string().url().optional(),
    EMAIL_GOOGLE_CLIENT_ID: z.string().trim().min(1).optional(),
    EMAIL_GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    // Another authorization server and mail servers in Google's place: a private deployment's stand-in, tests.
    EMAIL_GOOGLE_ENDPOINTS: z.string().optional(),
    EMAIL_MICROSOFT_CLIENT_ID: z.string().trim().min(1).optional(),
    EMAIL_MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
    // Which Entra ID directories may sign in: "organizations" (any work account), or one directory's id or domain.
    EMAIL_MICROSOFT_TENANT: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,100}$/, "must be organizations, common, a directory id or a domain")
      .default("organizations"),
    EMAIL_MICROSOFT_ENDPOINTS: z.string().optional(),
    // DKIM signatures on mail sent from addresses of the operator's own domain (the forwarding domain).
    EMAIL_DKIM_DOMAIN: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/, "must be a domain name")
      .optional(),
    EMAIL_DKIM_SELECTOR: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "must be a DNS label (the selector's TXT record is <selector>._domainkey.<domain>)")
      .optional(),
    EMAIL_DKIM_PRIVATE_KEY: z.string().optional(),
    // The inbound SMTP endpoint for forwarding addresses: off unless a port is set.
    EMAIL_INBOUND_SMTP_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
    EMAIL_INBOUND_SMTP_HOST: z.string().trim().min(1).default("127.0.0.1"),
    // The domains its forwarding addresses are at, comma-separated; the first is the one shown to tenants.
    EMAIL_INBOUND_DOMAIN: z
      .string()
      .trim()
      .toLowerCase()
      .transform((v) =>
        v
          .split(",")
          .map((d) => d.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/, "must be domain names, comma-separated")).min(1))
      .optional(),
  },
  (e) => {
    const client = (
      prefix: "EMAIL_GOOGLE" | "EMAIL_MICROSOFT",
      id: string | undefined,
      secret: string | undefined,
      endpoints: string | undefined,
    ): OAuthClientOptions | null => {
      if (!id && !secret) return null;
      if (!id || !secret) throw new ConfigError([`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET: set both or neither`]);
      if (!e.EMAIL_OAUTH_REDIRECT_URL)
        throw new ConfigError([`EMAIL_OAUTH_REDIRECT_URL: required with ${prefix}_CLIENT_ID (the page providers send admins back to)`]);
      return {
        clientId: id,
        clientSecret: secret,
        redirectUrl: e.EMAIL_OAUTH_REDIRECT_URL,
        endpoints: endpoints ? parseOAuthEndpoints(`${prefix}_ENDPOINTS`, endpoints) : null,
      };
    };
    return {
      dkim: dkimOptions(e.EMAIL_DKIM_DOMAIN, e.EMAIL_DKIM_SELECTOR, e.EMAIL_DKIM_PRIVATE_KEY),
      allowPlaintext: e.EMAIL_ALLOW_PLAINTEXT,
      pollMs: e.EMAIL_POLL_SECONDS * 1000,
      leaseMs: e.EMAIL_LEASE_SECONDS * 1000,
      senderLimitPerHour: e.EMAIL_SENDER_LIMIT_PER_HOUR,
      redisKeyPrefix: e.EMAIL_REDIS_KEY_PREFIX,
      sendAttempts: e.EMAIL_SEND_ATTEMPTS,
      sendRetryMs: e.EMAIL_SEND_RETRY_SECONDS * 1000,
      oauth: {
        GOOGLE: client("EMAIL_GOOGLE", e.EMAIL_GOOGLE_CLIENT_ID, e.EMAIL_GOOGLE_CLIENT_SECRET, e.EMAIL_GOOGLE_ENDPOINTS),
        MICROSOFT: client("EMAIL_MICROSOFT", e.EMAIL_MICROSOFT_CLIENT_ID, e.EMAIL_MICROSOFT_CLIENT_SECRET, e.EMAIL_MICROSOFT_ENDPOINTS),
      },
      microsoftTenant: e.EMAIL_MICROSOFT_TENANT,
      inbound: inboundOptions(e.EMAIL_INBOUND_SMTP_PORT, e.EMAIL_INBOUND_SMTP_HOST, e.EMAIL_INBOUND_DOMAIN),
    };
  },
);
export type EmailOptions = ReturnType<typeof options.parse>;

/** No per-tenant settings: a tenant's mailboxes are rows of their own (Mailbox), connected with connectMailbox. */
export type EmailSettings = SettingsOf<ReturnType<typeof manifest>>;

/** What the plugin's code receives for one tenant. */
export type EmailRuntime = PluginRuntime<EmailSettings, EmailOptions>;
