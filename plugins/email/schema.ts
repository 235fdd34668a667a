import { z } from "zod";
import { builder } from "../../src/graphql/builder.js";
import { emailSchema } from "../../src/validation.js";
import { connectMailbox, disconnectMailbox, listMailboxes, PURGE_AFTER_DAYS } from "./mailboxes.js";

/**
 * The email channel's part of the API: a tenant's mailboxes. Registered on
 * the core's schema builder when plugins/index.ts is loaded. Managing them is
 * managing an integration: plugins:manage, like the plugin itself.
 */
const MANAGE = { permission: "plugins:manage" } as const;

const MailboxKind = builder.enumType("MailboxKind", {
  description: "How a mailbox signs in to its servers.",
  values: { IMAP: { description: "IMAP and SMTP with a username and password, at any provider that allows it" } } as const,
});

const MailboxStatus = builder.enumType("MailboxStatus", {
  values: {
    CONNECTED: { description: "Synced: new mail becomes tickets, replies leave from it" },
    NEEDS_RECONNECT: {
      description:
        "Its server refused the credentials (statusReason): nothing is synced until connectMailbox is called again for its address",
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
    status: t.field({ type: MailboxStatus, resolve: (m) => m.status }),
    statusReason: t.exposeString("statusReason", {
      nullable: true,
      description: "Why it needs reconnecting: AUTHENTICATION_FAILED…",
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
      description: "How it signs in; required (OAuth2 sign-ins for Google and Microsoft 365 will be alternatives to it)",
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
