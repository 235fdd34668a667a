import { z } from "zod";
import { builder } from "../../src/graphql/builder.js";
import { emailSchema } from "../../src/validation.js";
import { completeMailboxAuthorization, startMailboxAuthorization } from "./authorize.js";
import { forwardingAddress } from "./inbound/forwarding.js";
import { connectMailbox, disconnectMailbox, listMailboxes, PURGE_AFTER_DAYS } from "./mailboxes.js";
import { EMAIL } from "./manifest.js";
import type { EmailOptions } from "./options.js";

/**
 * The email channel's part of the API: a tenant's mailboxes. Registered on
 * the core's schema builder when plugins/index.ts is loaded. Managing them is
 * managing an integration: plugins:manage, like the plugin itself.
 */
const MANAGE = { permission: "plugins:manage" } as const;

const MailboxKind = builder.enumType("MailboxKind", {
  description: "How a mailbox signs in to its servers.",
  values: {
    IMAP: { description: "IMAP and SMTP with a username and password, at any provider that allows it" },
    GOOGLE: { description: "Gmail or Google Workspace, signed in with OAuth2 (startMailboxAuthorization)" },
    MICROSOFT: { description: "Microsoft 365 (Exchange Online), signed in with OAuth2 (startMailboxAuthorization)" },
  } as const,
});

const MailboxStatus = builder.enumType("MailboxStatus", {
  values: {
    CONNECTED: { description: "Synced: new mail becomes tickets, replies leave from it" },
    NEEDS_RECONNECT: {
      description:
        "Its server refused the credentials, or its provider the OAuth2 grant (statusReason): nothing is synced and no reply leaves until it is connected again for its address (connectMailbox, or startMailboxAuthorization for GOOGLE and MICROSOFT)",
    },
    DISCONNECTED: { description: "Disconnected: its credentials and sync state are deleted; see purgeDueAt" },
  } as const,
});

const MailSecurity = builder.enumType("MailSecurity", {
  values: {
    TLS: { description: "TLS from the start (usually IMAP 993, SMTP 465)" },
    STARTTLS: {
      description: "Upgraded with STARTTLS before signing in, refused if the server does not offer it (usually IMAP 143, SMTP 587)",
    },
    NONE: { description: "Unencrypted: refused unless the operator allows it (EMAIL_ALLOW_PLAINTEXT), for a server on its own network" },
  } as const,
});

const MailServer = builder.objectRef<{ host: string; port: number; security: "TLS" | "STARTTLS" | "NONE" }>("MailServer").implement({
  fields: (t) => ({
    host: t.exposeString("host"),
    port: t.exposeInt("port"),
    security: t.field({ type: MailSecurity, resolve: (s) => s.security }),
  }),
});

const MailboxPurge = builder.objectRef<{ tickets: number; messages: number; heldTickets: number }>("MailboxPurge").implement({
  description: "What the deletion of a disconnected mailbox's data removed.",
  fields: (t) => ({
    tickets: t.exposeInt("tickets", { description: "Tickets that came only from this mailbox, deleted with their messages and files" }),
    messages: t.exposeInt("messages", { description: "Its mails on tickets that also came from elsewhere, deleted on their own" }),
    heldTickets: t.exposeInt("heldTickets", { description: "Tickets kept because their requester is under a legal hold" }),
  }),
});

const Mailbox = builder.prismaNode("Mailbox", {
  id: { field: "id" },
  description: "A support mailbox of the tenant, connected through the email plugin.",
  authScopes: MANAGE,
  fields: (t) => ({
    kind: t.field({ type: MailboxKind, resolve: (m) => m.kind }),
    address: t.exposeString("address", { description: "The mailbox's own address: replies are sent from it" }),
    displayName: t.exposeString("displayName", { nullable: true, description: "The sender name of replies; the tenant's name when null" }),
    imap: t.field({ type: MailServer, resolve: (m) => ({ host: m.imapHost, port: m.imapPort, security: m.imapSecurity }) }),
    smtp: t.field({ type: MailServer, resolve: (m) => ({ host: m.smtpHost, port: m.smtpPort, security: m.smtpSecurity }) }),
    username: t.exposeString("username"),
    folder: t.exposeString("folder", { description: "The folder synced" }),
    plusAddressing: t.exposeBoolean("plusAddressing", {
      description: "Replies carry the conversation's token in their Reply-To address (support+token@…)",
    }),
    forwardingAddress: t.string({
      nullable: true,
      description:
        "Mail sent or forwarded to this address (or to a plus address of it) arrives like mail in the mailbox, through the inbound SMTP endpoint; null when the operator has not turned the endpoint on",
      select: { forwardingToken: true },
      resolve: (m, _a, ctx) => {
        const inbound = (ctx.plugins.registry.optionsOf(EMAIL) as EmailOptions | undefined)?.inbound;
        return inbound && m.status !== "DISCONNECTED" ? forwardingAddress(inbound, m.forwardingToken) : null;
      },
    }),
    status: t.field({ type: MailboxStatus, resolve: (m) => m.status }),
    statusReason: t.exposeString("statusReason", {
      nullable: true,
      description:
        "Why it needs reconnecting: AUTHENTICATION_FAILED (the server refused the credentials), GRANT_REVOKED (the provider refused the OAuth2 grant)",
    }),
    statusChangedAt: t.expose("statusAt", { type: "DateTime" }),
    connectedAt: t.expose("connectedAt", { type: "DateTime" }),
    connectedBy: t.prismaField({
      type: "Agent",
      nullable: true,
      resolve: (q, m, _a, ctx) => (m.connectedById ? ctx.db.agent.findUnique({ ...q, where: { id: m.connectedById } }) : null),
    }),
    lastSyncAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the last mail was taken from it",
      select: { sync: { select: { lastSyncAt: true } } },
      resolve: (m) => m.sync?.lastSyncAt ?? null,
    }),
    syncError: t.string({
      nullable: true,
      description: "Why the last attempt to sync failed (UNREACHABLE, TLS_FAILED…); null once it works again",
      select: { sync: { select: { lastError: true } } },
      resolve: (m) => m.sync?.lastError ?? null,
    }),
    mailsOverSenderLimit: t.exposeInt("mailsOverSenderLimit", {
      description:
        "Mails skipped because their sender had sent more than the operator's cap per hour to this mailbox (EMAIL_SENDER_LIMIT_PER_HOUR, counted across all instances): they opened no ticket and joined none, and stay only at the provider. A growing number means a mail loop or a flood",
    }),
    lastOverSenderLimitAt: t.expose("lastOverSenderLimitAt", {
      type: "DateTime",
      nullable: true,
      description: "When the latest of those mails came",
    }),
    disconnectedAt: t.expose("disconnectedAt", { type: "DateTime", nullable: true }),
    keepData: t.exposeBoolean("keepData", { description: "Chosen when disconnecting: its tickets and messages stay" }),
    purgeDueAt: t.expose("purgeDueAt", {
      type: "DateTime",
      nullable: true,
      description: `When a disconnected mailbox's tickets and messages are deleted (${PURGE_AFTER_DAYS} days after disconnecting); null when kept`,
    }),
    purgedAt: t.expose("purgedAt", { type: "DateTime", nullable: true }),
    purge: t.field({
      type: MailboxPurge,
      nullable: true,
      description: "The receipt of that deletion, once done",
      resolve: (m) => (m.purgeReceipt as { tickets: number; messages: number; heldTickets: number } | null) ?? null,
    }),
  }),
});

builder.queryField("mailboxes", (t) =>
  t.prismaField({
    type: ["Mailbox"],
    description: "The tenant's mailboxes, newest first, disconnected ones included until their data is deleted and after.",
    authScopes: MANAGE,
    args: { status: t.arg({ type: MailboxStatus }) },
    resolve: (_q, _r, args, ctx) => listMailboxes(ctx, args.status),
  }),
);

const hostname = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(253)
  .regex(/^[^\s/:@]+$|^\[[0-9a-fA-F:.]+\]$/, "must be a host name or IP address, without scheme, port or path");

const MailServerInput = builder.inputType("MailServerInput", {
  fields: (t) => ({
    host: t.string({ required: true, validate: hostname }),
    port: t.int({ required: true, validate: z.number().int().min(1).max(65535) }),
    security: t.field({ type: MailSecurity, required: true }),
  }),
});

const PasswordLoginInput = builder.inputType("PasswordLoginInput", {
  description: "Plain IMAP and SMTP with a password (kind IMAP). The password is encrypted at rest and never returned.",
  fields: (t) => ({
    imap: t.field({ type: MailServerInput, required: true }),
    smtp: t.field({ type: MailServerInput, required: true }),
    username: t.string({ description: "Defaults to the address", validate: z.string().trim().min(1).max(320) }),
    password: t.string({ required: true, validate: z.string().min(1, "must not be empty").max(1024) }),
  }),
});

const ConnectMailboxInput = builder.inputType("ConnectMailboxInput", {
  fields: (t) => ({
    address: t.string({ required: true, validate: emailSchema }),
    displayName: t.string({ validate: z.string().trim().min(1).max(200) }),
    folder: t.string({ description: "The folder to sync; INBOX by default", validate: z.string().trim().min(1).max(200) }),
    plusAddressing: t.boolean({
      description: "Put the conversation's token in replies' Reply-To (support+token@…): only if the provider delivers plus addresses",
      defaultValue: false,
    }),
    importExisting: t.boolean({
      description: "Also turn the mail already in the folder into tickets; by default only mail arriving from now on",
      defaultValue: false,
    }),
    passwordLogin: t.field({
      type: PasswordLoginInput,
      description: "How it signs in; required (Google and Microsoft 365 mailboxes are connected with startMailboxAuthorization instead)",
    }),
  }),
});

builder.mutationField("connectMailbox", (t) =>
  t.prismaField({
    type: "Mailbox",
    description:
      "Connects a mailbox after checking that its IMAP server accepts the credentials and has the folder, and that its SMTP server does too; " +
      "nothing is saved otherwise (MAILBOX_CONNECTION_FAILED with the server and reason, ADDRESS_NOT_ALLOWED). For an address already connected, " +
      "updates it instead (new credentials after NEEDS_RECONNECT). Needs the email plugin enabled.",
    authScopes: MANAGE,
    args: { input: t.arg({ type: ConnectMailboxInput, required: true }) },
    resolve: (_q, _r, { input }, ctx) => connectMailbox(ctx, input),
  }),
);

builder.mutationField("disconnectMailbox", (t) =>
  t.prismaField({
    type: "Mailbox",
    description: `Stops syncing it at once and deletes its credentials and sync state. Its tickets and messages are deleted ${PURGE_AFTER_DAYS} days later, unless keepData.`,
    authScopes: MANAGE,
    args: {
      id: t.arg.globalID({ required: true, for: Mailbox }),
      keepData: t.arg.boolean({ defaultValue: false, description: "Keep the tickets and messages that came from it" }),
    },
    resolve: (_q, _r, args, ctx) => disconnectMailbox(ctx, args.id.id, args.keepData ?? false),
  }),
);

const MailboxOAuthProvider = builder.enumType("MailboxOAuthProvider", {
  description: "A mail provider whose mailboxes sign in with OAuth2, through the operator's client there.",
  values: {
    GOOGLE: { description: "Gmail and Google Workspace (EMAIL_GOOGLE_CLIENT_ID)" },
    MICROSOFT: { description: "Microsoft 365 (EMAIL_MICROSOFT_CLIENT_ID)" },
  } as const,
});

const StartMailboxAuthorizationInput = builder.inputType("StartMailboxAuthorizationInput", {
  fields: (t) => ({
    provider: t.field({ type: MailboxOAuthProvider, required: true }),
    address: t.string({
      required: true,
      validate: emailSchema,
      description: "The mailbox's address: the account to sign in with at the provider",
    }),
    displayName: t.string({ validate: z.string().trim().min(1).max(200) }),
    folder: t.string({ description: "The folder to sync; INBOX by default", validate: z.string().trim().min(1).max(200) }),
    plusAddressing: t.boolean({ description: "As in ConnectMailboxInput", defaultValue: false }),
    importExisting: t.boolean({ description: "As in ConnectMailboxInput", defaultValue: false }),
  }),
});

const MailboxAuthorization = builder
  .objectRef<{ authorizationUrl: string; state: string; expiresAt: Date }>("MailboxAuthorization")
  .implement({
    description:
      "Where to send the admin's browser to connect a mailbox with OAuth2. The provider sends it back to the operator's page (EMAIL_OAUTH_REDIRECT_URL) with `code` and `state` in the query: pass both to completeMailboxAuthorization.",
    fields: (t) => ({
      authorizationUrl: t.exposeString("authorizationUrl", { description: "The provider's sign-in page, with PKCE and the state" }),
      state: t.exposeString("state", {
        description: "The state in that URL: sealed, bound to this tenant and caller; the redirect must bring the same one back",
      }),
      expiresAt: t.expose("expiresAt", { type: "DateTime", description: "Complete it before this (15 minutes)" }),
    }),
  });

builder.mutationField("startMailboxAuthorization", (t) =>
  t.field({
    type: MailboxAuthorization,
    description:
      "Starts connecting a Google or Microsoft 365 mailbox (or connecting one again after NEEDS_RECONNECT): OAuth2 authorization code with PKCE. Saves nothing. " +
      "VALIDATION on input.provider when the operator has no client there. Needs the email plugin enabled.",
    authScopes: MANAGE,
    args: { input: t.arg({ type: StartMailboxAuthorizationInput, required: true }) },
    resolve: (_r, { input }, ctx) => startMailboxAuthorization(ctx, input),
  }),
);

const CompleteMailboxAuthorizationInput = builder.inputType("CompleteMailboxAuthorizationInput", {
  fields: (t) => ({
    code: t.string({ required: true, description: "`code` from the redirect's query", validate: z.string().min(1).max(4096) }),
    state: t.string({ required: true, description: "`state` from the redirect's query", validate: z.string().min(1).max(8192) }),
  }),
});

builder.mutationField("completeMailboxAuthorization", (t) =>
  t.prismaField({
    type: "Mailbox",
    description:
      "Finishes what startMailboxAuthorization started, as the same caller: exchanges the code for tokens (sealed at rest, refreshed before they expire), " +
      "signs in to the provider's IMAP and SMTP servers with XOAUTH2 as the address, and saves the mailbox (or updates the one with that address). " +
      "Nothing is saved otherwise: MAILBOX_AUTHORIZATION_FAILED (reason STATE_INVALID, STATE_EXPIRED, CODE_REFUSED, PROVIDER_UNAVAILABLE), " +
      "MAILBOX_CONNECTION_FAILED (AUTHENTICATION_FAILED: the account signed in with is not the address).",
    authScopes: MANAGE,
    args: { input: t.arg({ type: CompleteMailboxAuthorizationInput, required: true }) },
    resolve: (_q, _r, { input }, ctx) => completeMailboxAuthorization(ctx, input),
  }),
);
