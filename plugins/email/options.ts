import { z } from "zod";
import { flag } from "../../src/config.js";
import { envOptions } from "../../src/plugin-host/options.js";
import type { PluginRuntime, SettingsOf } from "../../src/plugin-host/plugin.js";
import type { manifest } from "./manifest.js";

/**
 * The operator's options, read once at start. Everything about a mailbox
 * (servers, credentials) is the tenant's, given to connectMailbox.
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
  },
  (e) => ({
    allowPlaintext: e.EMAIL_ALLOW_PLAINTEXT,
    pollMs: e.EMAIL_POLL_SECONDS * 1000,
    leaseMs: e.EMAIL_LEASE_SECONDS * 1000,
    senderLimitPerHour: e.EMAIL_SENDER_LIMIT_PER_HOUR,
  }),
);
export type EmailOptions = ReturnType<typeof options.parse>;

/** No per-tenant settings: a tenant's mailboxes are rows of their own (Mailbox), connected with connectMailbox. */
export type EmailSettings = SettingsOf<typeof manifest>;

/** What the plugin's code receives for one tenant. */
export type EmailRuntime = PluginRuntime<EmailSettings, EmailOptions>;
