import { recordAuditIn } from "../../src/audit/service.js";
import type { Context } from "../../src/context.js";
import { requireViewer } from "../../src/context.js";
import { DAY_MS } from "../../src/constants.js";
import type { Tx } from "../../src/db/tx.js";
import { isUniqueViolation } from "../../src/db/unique-violation.js";
import { AppError, notFound, validationError } from "../../src/errors.js";
import type { MailboxStatus, MailSecurity } from "../../src/generated/prisma/client.js";
import { outboundGuard } from "../../src/outbound/guard.js";
import { runtimeFor } from "../../src/plugin-host/runtime.js";
import { DISCONNECTED_MAILBOX_KEEP_DAYS } from "../../src/retention/targets.js";
import { EMAIL } from "./manifest.js";
import type { EmailOptions, EmailRuntime } from "./options.js";
import { oauthSpecOf } from "./providers/index.js";
import { revokeGrant as revokeOAuthGrant } from "./providers/oauth.js";
import { oauthOut } from "./providers/oauth-record.js";
import { syncWorkerOf } from "./sync/registry.js";
import { connectDeps } from "./imap.js";
import { openSecrets, type MailboxAccess } from "./providers/provider.js";
import { verifyMailbox, type InputPaths } from "./verify.js";

/** How long a disconnected mailbox's tickets and messages stay, unless the tenant keeps them: the core's retention target says. */
export const PURGE_AFTER_DAYS = DISCONNECTED_MAILBOX_KEEP_DAYS;

interface MailServerInput {
  host: string;
  port: number;
  security: MailSecurity;
}

export interface ConnectMailboxInput {
  address: string;
  displayName?: string | null;
  folder?: string | null;
  plusAddressing?: boolean | null;
  importExisting?: boolean | null;
  passwordLogin?: { imap: MailServerInput; smtp: MailServerInput; username?: string | null; password: string } | null;
}

/** The email plugin's runtime in the caller's tenant; PLUGIN_DISABLED until it is enabled there. */
export async function emailRuntime(ctx: Context): Promise<EmailRuntime> {
  const { tenantId } = requireViewer(ctx);
  const def = ctx.plugins.registry.get(EMAIL);
  if (!def) throw new AppError("NOT_FOUND", `No plugin "${EMAIL}" on this server`);
  const runtime = (await runtimeFor(ctx, tenantId, def, ctx.requestId)) as EmailRuntime | null;
  if (!runtime) throw new AppError("PLUGIN_DISABLED", `Enable the ${EMAIL} plugin before connecting a mailbox`, { pluginId: EMAIL });
  return runtime;
}

/**
 * Connects a mailbox, or connects again a live one with the same address
 * (new credentials after NEEDS_RECONNECT, other servers): its tickets and
 * sync position stay. Nothing is saved unless signing in to IMAP, opening the
 * folder and signing in to SMTP all work: MAILBOX_CONNECTION_FAILED says
 * which server and why. The password is sealed before anything else sees it.
 */
export async function connectMailbox(ctx: Context, input: ConnectMailboxInput) {
  const runtime = await emailRuntime(ctx);
  const login = input.passwordLogin;
  if (!login) throw validationError([{ path: ["input", "passwordLogin"], message: "required: how the mailbox signs in" }]);
  if (!runtime.options.allowPlaintext) {
    const plain = (["imap", "smtp"] as const).filter((s) => login[s].security === "NONE");
    if (plain.length) {
      throw validationError(
        plain.map((s) => ({
          path: ["input", "passwordLogin", s, "security"],
          message: "must be TLS or STARTTLS: this server does not send passwords unencrypted (EMAIL_ALLOW_PLAINTEXT)",
        })),
      );
    }
  }
  const access: NewMailbox = {
    kind: "IMAP",
    address: input.address,
    displayName: input.displayName ?? null,
    imapHost: login.imap.host,
    imapPort: login.imap.port,
    imapSecurity: login.imap.security,
    smtpHost: login.smtp.host,
    smtpPort: login.smtp.port,
    smtpSecurity: login.smtp.security,
    username: login.username || input.address,
    secrets: { password: ctx.plugins.secrets.seal(login.password) },
  };
  return saveMailbox(ctx, runtime, access, input);
}

/** A mailbox about to be connected, its credentials sealed. */
export type NewMailbox = Omit<MailboxAccess, "secrets"> & { secrets: Record<string, string> };

/** What connecting keeps besides how a mailbox signs in. */
export interface MailboxChoices {
  folder?: string | null;
  plusAddressing?: boolean | null;
  importExisting?: boolean | null;
}

/**
 * Checks that the mailbox's servers take its credentials (verifyMailbox) and
 * saves it, in one transaction: a new mailbox, or the live one with its
 * address connected again (its tickets and sync position stay), with its
 * sync position and the audit entry. Then has the sync start at once.
 * `paths`: which input a failed check points at.
 */
export async function saveMailbox(ctx: Context, runtime: EmailRuntime, access: NewMailbox, choices: MailboxChoices, paths?: InputPaths) {
  const viewer = requireViewer(ctx);
  const address = access.address;
  const folder = choices.folder || "INBOX";
  const verified = await verifyMailbox(runtime, connectDeps(runtime, outboundGuard(ctx.config)), access, folder, paths);
  const start = choices.importExisting ? 0n : BigInt(verified.uidNext - 1);

  const mailbox = await saveConnected(ctx, async (tx) => {
    const live = await tx.mailbox.findFirst({ where: { address, disconnectedAt: null } });
    const settings = { ...access, folder, plusAddressing: choices.plusAddressing ?? false };
    const connected = { status: "CONNECTED" as const, statusReason: null, statusAt: new Date() };
    const saved = live
      ? await tx.mailbox.update({ where: { id: live.id }, data: { ...settings, ...connected } })
      : await tx.mailbox.create({
          data: { tenantId: viewer.tenantId, ...settings, ...connected, connectedById: viewer.kind === "agent" ? viewer.agentId : null },
        });
    // Another folder, or the folder's UIDs renumbered: the position starts again from what the check saw.
    const sync = await tx.mailboxSync.findUnique({ where: { mailboxId: saved.id } });
    const restart = !sync || live?.folder !== folder || sync.uidValidity !== verified.uidValidity;
    if (restart) {
      await tx.mailboxSync.upsert({
        where: { mailboxId: saved.id },
        create: { mailboxId: saved.id, tenantId: viewer.tenantId, uidValidity: verified.uidValidity, lastUid: start },
        update: { uidValidity: verified.uidValidity, lastUid: start, lastError: null },
      });
    } else {
      await tx.mailboxSync.update({ where: { mailboxId: saved.id }, data: { lastError: null } });
    }
    // The wait after a failed sync is over, the credentials having just been checked (a live session keeps its lease).
    await tx.mailboxSync.updateMany({ where: { mailboxId: saved.id, leaseToken: null }, data: { leaseUntil: null } });
    await recordAuditIn(tx, ctx, {
      action: live ? "mailbox.reconnected" : "mailbox.connected",
      subjectType: "Mailbox",
      subjectId: saved.id,
      details: { mailboxId: saved.id, kind: saved.kind, imapHost: saved.imapHost, smtpHost: saved.smtpHost, folder },
    });
    return saved;
  });
  syncWorkerOf(ctx.plugins)?.kick();
  return mailbox;
}

/** The connect's transaction; the same address connected at the same moment by another request is a CONFLICT. */
async function saveConnected<T>(ctx: Context, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await ctx.db.$transaction(work);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new AppError("CONFLICT", "This address was connected by another request at the same time", {
      fields: [{ path: ["input", "address"], message: "connected meanwhile" }],
    });
  }
}

export async function listMailboxes(ctx: Context, status?: MailboxStatus | null) {
  return ctx.db.mailbox.findMany({ where: status ? { status } : {}, orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
}

/**
 * Disconnects a mailbox: in one commit its credentials are emptied and its
 * sync state (with the lease of whichever instance syncs it) deleted, so no
 * mail from it is stored after this; this instance closes its connection
 * now, another one at its next write or lease renewal. Its tickets and
 * messages are due for deletion in 30 days (the DISCONNECTED_MAILBOXES
 * retention target), unless keepData. Works with the plugin disabled too.
 */
export async function disconnectMailbox(ctx: Context, id: string, keepData: boolean) {
  const viewer = requireViewer(ctx);
  const now = new Date();
  const purgeDueAt = keepData ? null : new Date(now.getTime() + PURGE_AFTER_DAYS * DAY_MS);
  let sealed: Pick<MailboxAccess, "kind" | "secrets"> | null = null;
  const mailbox = await ctx.db.$transaction(async (tx) => {
    const found = await tx.mailbox.findUnique({ where: { id } });
    if (!found) throw notFound("Mailbox");
    sealed = found;
    if (found.disconnectedAt) throw new AppError("CONFLICT", "This mailbox is disconnected already");
    const updated = await tx.mailbox.update({
      where: { id },
      data: {
        status: "DISCONNECTED",
        statusReason: null,
        statusAt: now,
        disconnectedAt: now,
        disconnectedById: viewer.kind === "agent" ? viewer.agentId : null,
        secrets: {},
        keepData,
        purgeDueAt,
      },
    });
    await tx.mailboxSync.deleteMany({ where: { mailboxId: id } });
    await recordAuditIn(tx, ctx, {
      action: "mailbox.disconnected",
      subjectType: "Mailbox",
      subjectId: id,
      details: { mailboxId: id, keepData, purgeDueAt: purgeDueAt?.toISOString() ?? null, deleted: ["credentials", "syncState"] },
    });
    return updated;
  });
  await syncWorkerOf(ctx.plugins)?.drop(id);
  if (sealed) await revokeGrant(ctx, sealed);
  return mailbox;
}

/**
 * An OAuth2 mailbox's grant, given back to its provider once its tokens are
 * deleted here (Google revokes it; Microsoft has no endpoint for it). Best
 * effort: a provider that cannot be reached leaves a grant that nothing here
 * can use any more, which is logged.
 */
async function revokeGrant(ctx: Context, mailbox: Pick<MailboxAccess, "kind" | "secrets">): Promise<void> {
  const spec = oauthSpecOf(mailbox.kind);
  const options = ctx.plugins.registry.optionsOf(EMAIL) as EmailOptions | undefined;
  if (!spec || !options?.oauth[spec.kind]) return;
  try {
    const { refreshToken } = openSecrets(mailbox, ctx.plugins.secrets);
    // A disabled plugin's mailbox gives its grant back too: the revocation only deletes (see oauthRecorder).
    const runtime = (await runtimeFor(ctx, requireViewer(ctx).tenantId, ctx.plugins.registry.get(EMAIL)!, ctx.requestId, {
      evenIfDisabled: true,
    })) as EmailRuntime | null;
    if (refreshToken && runtime) await revokeOAuthGrant(spec, options, oauthOut(runtime), refreshToken);
  } catch (err) {
    ctx.log.warn({ code: (err as { code?: unknown }).code, kind: mailbox.kind }, "could not revoke a disconnected mailbox's OAuth2 grant");
  }
}
