import type { Database } from "../db/database.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type { RetentionAction } from "../generated/prisma/enums.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { DataCategory } from "../privacy/taxonomy.js";
import { appendAudit, appendAuditIn, pruneAudit } from "../audit/service.js";
import { AppError } from "../errors.js";
import { eraseContact } from "../privacy/requests/erasure.js";
import { categoriesOf, erasedCategories, retainedCategories } from "../privacy/stores/index.js";
import type { Tx } from "../db/tx.js";
import { DAY_MS, REDACTED } from "../constants.js";
import { invalidateAiModels } from "../ai/invalidate.js";
import { recordEvents } from "../events/outbox.js";
import { quarantineFree, quarantineHeld, quarantinedBefore } from "../attachments/quarantine.js";
import { scheduledJobs } from "./scheduled-jobs.js";

/**
 * What a tenant can put a retention period on. Each target names the rows it
 * covers, what may happen to them and how to find the expired ones; their data
 * categories are those of the personal-data stores that name the target
 * (src/privacy/stores/). Nothing is swept until the tenant configures a rule (a
 * RetentionRule row); `suggested` is what the API offers as a starting point.
 *
 * Expired rows are found by condition, never by remembering what was done: a
 * sweep that stops half-way leaves the rest matching, and the next one picks
 * them up; a row already handled no longer matches, so running again does nothing.
 */

export const TARGET_NAMES = [
  "SOLVED_TICKET_MESSAGES",
  "SOLVED_TICKET_ATTACHMENTS",
  "INACTIVE_CONTACTS",
  "PORTAL_TOKENS",
  "DATA_EXPORTS",
  "SESSIONS",
  "AUDIT_ENTRIES",
  "PLUGIN_CALLS",
  "INFECTED_ATTACHMENTS",
  "DISCONNECTED_MAILBOXES",
  "AUTOMATION_RUNS",
  "SCHEDULED_JOBS",
] as const;

export type TargetName = (typeof TARGET_NAMES)[number];

export const isTargetName = (v: string): v is TargetName => (TARGET_NAMES as readonly string[]).includes(v);

/** What one step of a sweep works with. */
export interface SweepScope {
  database: Database;
  tenantId: string;
  db: TenantClient;
  /** The sweep's clock. */
  now: Date;
  /** now − keepDays: rows older than this have expired. */
  cutoff: Date;
  keepDays: number;
  action: RetentionAction;
  /** The tenant's SweepRun, named in the audit entries. */
  runId: string;
  /** The wall clock when this tenant's sweep began: rows written by the sweep itself come later. */
  sweepStartedAt: Date;
}

/** The audit entry for rows a sweep removed: ids and counts only. */
export const sweepAudit = (s: SweepScope, target: RetentionTarget, count: number, subject?: { type: string; id: string }) => ({
  actorType: "SYSTEM" as const,
  actorId: null,
  action: s.action === "DELETE" ? "retention.deleted" : "retention.anonymized",
  subjectType: subject?.type ?? null,
  subjectId: subject?.id ?? null,
  categories: target.categories,
  details: { runId: s.runId, target: target.name, keepDays: s.keepDays, count },
});

/** How a target applies its action to a batch. */
type Applier =
  /** In the sweep's transaction, together with the SweepRun update: all or nothing. */
  | { kind: "transaction"; apply(tx: Tx, scope: SweepScope, ids: string[]): Promise<number> }
  /** Through another module's service that opens transactions of its own. */
  | { kind: "service"; apply(scope: SweepScope, ids: string[]): Promise<number> };

export interface RetentionTarget {
  name: TargetName;
  description: string;
  /** The main category of the data removed; `categories` lists all of them. */
  category: DataCategory;
  categories: DataCategory[];
  actions: RetentionAction[];
  /** Offered in the API, applied only once a tenant sets a rule. */
  suggested: { keepDays: number; action: RetentionAction; why: string };
  /**
   * A period the product promised rather than one the tenant chooses: applied
   * without a rule, and no rule can change it. `tenantsWithWork` finds the
   * tenants that have expired rows, so that the sweep visits them too.
   */
  fixed?: { keepDays: number; action: RetentionAction; tenantsWithWork(now: Date): Prisma.TenantWhereInput };
  /** Whether a contact's legal hold keeps these rows. */
  respectsLegalHold: boolean;
  /** Up to `limit` ids of expired rows that no hold keeps, in a stable order. */
  nextBatch(scope: SweepScope, limit: number): Promise<string[]>;
  /** Expired rows kept because of a legal hold. */
  countHeld(scope: SweepScope): Promise<number>;
  applier: Applier;
}

export const cutoffFor = (now: Date, keepDays: number) => new Date(now.getTime() - keepDays * DAY_MS);

const HELD = { not: null } as const;

// ---- messages of solved and closed tickets ----

/**
 * Tickets done for longer than keepDays: solved (solvedAt), or closed without
 * having been solved first, whose updatedAt is the moment they were closed (a
 * closed ticket cannot change any more).
 */
const doneBefore = (cutoff: Date): Prisma.TicketWhereInput => ({
  OR: [
    { status: { in: ["SOLVED", "CLOSED"] }, solvedAt: { lt: cutoff } },
    { status: "CLOSED", solvedAt: null, updatedAt: { lt: cutoff } },
  ],
});

const expiredMessages = (s: SweepScope): Prisma.MessageWhereInput => ({
  ticket: doneBefore(s.cutoff),
  ...(s.action === "ANONYMIZE" ? { redactedAt: null } : {}),
});

/** A message is held when its ticket's requester, or its author, is under a legal hold. */
const messageHeld: Prisma.MessageWhereInput = {
  OR: [{ ticket: { requester: { legalHoldAt: HELD } } }, { authorContact: { legalHoldAt: HELD } }],
};
const messageFree: Prisma.MessageWhereInput = {
  ticket: { requester: { legalHoldAt: null } },
  OR: [{ authorContactId: null }, { authorContact: { legalHoldAt: null } }],
};

const solvedTicketMessages: RetentionTarget = {
  name: "SOLVED_TICKET_MESSAGES",
  description:
    "Messages and internal notes of tickets solved or closed for longer than keepDays. DELETE removes them with their attachments; " +
    `ANONYMIZE replaces each body with "${REDACTED}", marks it redacted and removes its attachments. Tickets stay, with their subject.`,
  category: "user.content.message",
  categories: retainedCategories("SOLVED_TICKET_MESSAGES"),
  actions: ["DELETE", "ANONYMIZE"],
  suggested: {
    keepDays: 7 * 365,
    action: "ANONYMIZE",
    why: "communication data is commonly kept for 7 years (support tickets, chat messages)",
  },
  respectsLegalHold: true,
  async nextBatch(s, limit) {
    const rows = await s.db.message.findMany({
      where: { AND: [expiredMessages(s), messageFree] },
      select: { id: true },
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map((r) => r.id);
  },
  countHeld: (s) => s.db.message.count({ where: { AND: [expiredMessages(s), messageHeld] } }),
  applier: {
    kind: "transaction",
    async apply(tx, s, ids) {
      // The condition again: a ticket reopened or a hold placed since the batch was chosen keeps its messages.
      const where = { AND: [{ id: { in: ids } }, expiredMessages(s), messageFree] };
      // The local AI models may have learnt from these messages: they are trained again without them.
      await invalidateAiModels(tx, s.tenantId);
      if (s.action === "DELETE") return (await tx.message.deleteMany({ where })).count;
      const redacted = await tx.message.updateManyAndReturn({ where, data: { body: REDACTED, redactedAt: s.now }, select: { id: true } });
      if (redacted.length) {
        const messageId = { in: redacted.map((m) => m.id) };
        await tx.attachment.deleteMany({ where: { messageId } });
        // A mail's headers, HTML and quoted history go with its body.
        await tx.emailMessage.updateMany({
          where: { messageId },
          data: { fromHeader: REDACTED, toHeader: null, ccHeader: null, html: null, quoted: null },
        });
      }
      return redacted.length;
    },
  },
};

// ---- contacts without recent activity ----

/** No change to the contact, no ticket activity and no message of theirs since the cutoff. */
const inactiveContacts = (s: SweepScope): Prisma.ContactWhereInput => ({
  erasedAt: null,
  updatedAt: { lt: s.cutoff },
  requestedTickets: { none: { OR: [{ updatedAt: { gte: s.cutoff } }, { lastMessageAt: { gte: s.cutoff } }] } },
  messages: { none: { createdAt: { gte: s.cutoff } } },
});

/**
 * Erasure skips a contact under a legal hold, and one whose processing is
 * restricted: art. 18(1)(b) lets a person ask for restriction *instead of* erasure.
 */
const contactHeld: Prisma.ContactWhereInput = { OR: [{ legalHoldAt: HELD }, { restrictedAt: HELD }] };
const contactFree: Prisma.ContactWhereInput = { legalHoldAt: null, restrictedAt: null };

const inactiveContactsTarget: RetentionTarget = {
  name: "INACTIVE_CONTACTS",
  description:
    "Contacts with no ticket activity, no message and no change for longer than keepDays. ANONYMIZE erases their personal data exactly as " +
    "an erasure request does and keeps an anonymous shell so tickets stay countable. Restricted contacts are kept, like held ones.",
  category: "user.name",
  // It runs the erasure: whatever an erasure removes anywhere, not only the contact row.
  categories: erasedCategories(),
  actions: ["ANONYMIZE"],
  suggested: { keepDays: 3 * 365, action: "ANONYMIZE", why: "customer data is commonly kept for 3 years after the last interaction" },
  respectsLegalHold: true,
  async nextBatch(s, limit) {
    const rows = await s.db.contact.findMany({
      where: { AND: [inactiveContacts(s), contactFree] },
      select: { id: true },
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map((r) => r.id);
  },
  countHeld: (s) => s.db.contact.count({ where: { AND: [inactiveContacts(s), contactHeld] } }),
  applier: {
    kind: "service",
    async apply(s, ids) {
      let erased = 0;
      for (const id of ids) {
        // Checked again, one by one: erasure runs in transactions of its own.
        const still = await s.db.contact.count({ where: { AND: [{ id }, inactiveContacts(s), contactFree] } });
        if (!still) continue;
        try {
          await eraseContact(s.database, s.tenantId, id);
        } catch (err) {
          // A hold placed since the batch was chosen: the contact is kept, and counted as held at the end.
          if (err instanceof AppError && err.code === "LEGAL_HOLD") continue;
          throw err;
        }
        await appendAudit(s.database, s.tenantId, [sweepAudit(s, inactiveContactsTarget, 1, { type: "Contact", id })]);
        erased++;
      }
      return erased;
    },
  },
};

// ---- portal tokens, data exports, sessions ----

const contactRowHeld = { contact: { legalHoldAt: HELD } };
const contactRowFree = { contact: { legalHoldAt: null } };

const expiredPortalTokens = (s: SweepScope): Prisma.PortalTokenWhereInput => ({
  OR: [{ expiresAt: { lte: s.now } }, { revokedAt: { not: null } }, { createdAt: { lt: s.cutoff } }],
});

const portalTokens: RetentionTarget = {
  name: "PORTAL_TOKENS",
  description:
    "Portal tokens that expired or were revoked, and any issued more than keepDays ago (so keepDays is also their longest life).",
  category: "system.operations",
  categories: retainedCategories("PORTAL_TOKENS"),
  actions: ["DELETE"],
  suggested: { keepDays: 90, action: "DELETE", why: "a link handed over by email should not work for long" },
  respectsLegalHold: true,
  async nextBatch(s, limit) {
    const rows = await s.db.portalToken.findMany({
      where: { AND: [expiredPortalTokens(s), contactRowFree] },
      select: { id: true },
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map((r) => r.id);
  },
  countHeld: (s) => s.db.portalToken.count({ where: { AND: [expiredPortalTokens(s), contactRowHeld] } }),
  applier: {
    kind: "transaction",
    apply: async (tx, s, ids) =>
      (await tx.portalToken.deleteMany({ where: { AND: [{ id: { in: ids } }, expiredPortalTokens(s), contactRowFree] } })).count,
  },
};

const expiredExports = (s: SweepScope): Prisma.DataExportWhereInput => ({
  OR: [{ expiresAt: { lte: s.now } }, { createdAt: { lt: s.cutoff } }],
});

const dataExports: RetentionTarget = {
  name: "DATA_EXPORTS",
  description: "Copies made for access and portability requests, once their download link expired or keepDays after they were made.",
  category: "user.content.message",
  categories: retainedCategories("DATA_EXPORTS"),
  actions: ["DELETE"],
  suggested: {
    keepDays: 30,
    action: "DELETE",
    why: "an export is a full copy of someone's data; it only needs to live until it is downloaded",
  },
  respectsLegalHold: true,
  async nextBatch(s, limit) {
    const rows = await s.db.dataExport.findMany({
      where: { AND: [expiredExports(s), contactRowFree] },
      select: { id: true },
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map((r) => r.id);
  },
  countHeld: (s) => s.db.dataExport.count({ where: { AND: [expiredExports(s), contactRowHeld] } }),
  applier: {
    kind: "transaction",
    apply: async (tx, s, ids) =>
      (await tx.dataExport.deleteMany({ where: { AND: [{ id: { in: ids } }, expiredExports(s), contactRowFree] } })).count,
  },
};

/** Sessions that no longer work (expired or signed out) and were started more than keepDays ago. */
const endedSessions = (s: SweepScope): Prisma.SessionWhereInput => ({
  OR: [{ expiresAt: { lte: s.now } }, { revokedAt: { not: null } }],
  createdAt: { lt: s.cutoff },
});

const sessions: RetentionTarget = {
  name: "SESSIONS",
  description: "Agents' sessions that expired or were signed out, started more than keepDays ago. Sessions still in use are never touched.",
  category: "user.account",
  categories: ["user.account"],
  actions: ["DELETE"],
  suggested: { keepDays: 365, action: "DELETE", why: "sign-in and usage data are commonly kept for 1 year" },
  respectsLegalHold: false,
  async nextBatch(s, limit) {
    const rows = await s.db.session.findMany({ where: endedSessions(s), select: { id: true }, orderBy: { id: "asc" }, take: limit });
    return rows.map((r) => r.id);
  },
  countHeld: async () => 0,
  applier: {
    kind: "transaction",
    apply: async (tx, s, ids) => (await tx.session.deleteMany({ where: { AND: [{ id: { in: ids } }, endedSessions(s)] } })).count,
  },
};

// ---- the audit log ----

/**
 * Sealed, older than keepDays, and older than the sweep: the audit.pruned entries it writes never count (not even on a
 * test's future clock), and an entry not yet numbered waits for the next sweep.
 */
const expiredAudit = (s: SweepScope) => ({
  seq: { not: null },
  at: { lt: new Date(Math.min(s.cutoff.getTime(), s.sweepStartedAt.getTime())) },
});

/**
 * Audit entries go oldest first, through the audit service, so that what is
 * left still verifies as one chain: each batch deletes a prefix of the log and
 * leaves an audit.pruned entry linking the rest to it. The log names people
 * by id only, so legal holds do not apply.
 */
const auditEntries: RetentionTarget = {
  name: "AUDIT_ENTRIES",
  description: "Audit log entries older than keepDays, oldest first, so that the remaining log still verifies.",
  category: "system.operations",
  categories: retainedCategories("AUDIT_ENTRIES"),
  actions: ["DELETE"],
  suggested: { keepDays: 7 * 365, action: "DELETE", why: "system logs are commonly kept for 7 years" },
  respectsLegalHold: false,
  async nextBatch(s, limit) {
    const rows = await s.db.auditEntry.findMany({ where: expiredAudit(s), select: { id: true }, orderBy: { seq: "asc" }, take: limit });
    return rows.map((r) => r.id);
  },
  countHeld: async () => 0,
  applier: {
    kind: "service",
    async apply(s, ids) {
      const last = await s.db.auditEntry.aggregate({ where: { AND: [{ id: { in: ids } }, expiredAudit(s)] }, _max: { seq: true } });
      if (last._max.seq === null) return 0;
      return pruneAudit(s.database, s.tenantId, last._max.seq);
    },
  },
};

// ---- the record of calls to plugins and AI models ----

const oldCalls = (s: SweepScope): Prisma.PluginCallWhereInput => ({ at: { lt: s.cutoff } });

/**
 * The record of calls through the plugin gateway and of AI model calls (ids,
 * digests, counts, outcomes; never content), with the AI suggestions of the
 * same age. It names people by id only, so legal holds do not apply; each
 * call is in the audit log too, which has its own period.
 */
const pluginCalls: RetentionTarget = {
  name: "PLUGIN_CALLS",
  description:
    "Records of calls to plugins and AI models (who, what for, digests and token counts, never the content) older than keepDays, and the AI suggestions made that long ago.",
  category: "system.operations",
  categories: retainedCategories("PLUGIN_CALLS"),
  actions: ["DELETE"],
  suggested: { keepDays: 365, action: "DELETE", why: "a year of traceability of model and vendor calls, like other system logs of use" },
  respectsLegalHold: false,
  async nextBatch(s, limit) {
    const rows = await s.db.pluginCall.findMany({ where: oldCalls(s), select: { id: true }, orderBy: { id: "asc" }, take: limit });
    return rows.map((r) => r.id);
  },
  countHeld: async () => 0,
  applier: {
    kind: "transaction",
    async apply(tx, s, ids) {
      await tx.aiSuggestion.deleteMany({ where: { createdAt: { lt: s.cutoff } } });
      return (await tx.pluginCall.deleteMany({ where: { AND: [{ id: { in: ids } }, oldCalls(s)] } })).count;
    },
  },
};

// ---- disconnected mailboxes (the email plugin) ----

/** How long a disconnected mailbox's tickets and messages stay: the promise made when a mailbox is connected. */
export const DISCONNECTED_MAILBOX_KEEP_DAYS = 30;

const mailboxesDue = (now: Date): Prisma.MailboxWhereInput => ({ purgeDueAt: { lte: now }, purgedAt: null });

/** A ticket whose mail all came through this mailbox (its thread is here and no mail of it came through another). */
const onlyFrom = (mailboxId: string): Prisma.TicketWhereInput => ({
  emailThread: { mailboxId },
  messages: { none: { email: { mailboxId: { not: mailboxId } } } },
});
const ticketFree: Prisma.TicketWhereInput = { requester: { legalHoldAt: null } };
const ticketHeld: Prisma.TicketWhereInput = { requester: { legalHoldAt: HELD } };
/** This mailbox's mails on tickets that also hold mail from elsewhere (the tickets themselves stay). */
const strayMails = (mailboxId: string): Prisma.MessageWhereInput => ({ email: { mailboxId }, ticket: { NOT: onlyFrom(mailboxId) } });

const PURGE_BATCH = 200;

/**
 * Deletes what one disconnected mailbox brought in, in batches each in a
 * transaction of its own that also adds to the mailbox's receipt: first the
 * tickets that came only from it (with their messages, notes and files), then
 * its mails on tickets that also came from elsewhere. What a legal hold keeps
 * stays, and the mailbox stays due until the hold is released; otherwise it
 * is marked purged, and the audit log says what went.
 */
async function purgeMailbox(s: SweepScope, target: RetentionTarget, mailboxId: string): Promise<number> {
  let tickets = 0;
  let messages = 0;
  const addToReceipt = (tx: Tx, t: number, m: number) =>
    tx.$executeRaw`UPDATE "Mailbox" SET "purgeReceipt" = jsonb_build_object(
        'tickets', COALESCE(("purgeReceipt"->>'tickets')::int, 0) + ${t}::int,
        'messages', COALESCE(("purgeReceipt"->>'messages')::int, 0) + ${m}::int,
        'heldTickets', 0)
      WHERE "id" = ${mailboxId}::uuid AND "tenantId" = ${s.tenantId}::uuid`;
  for (;;) {
    const n = await s.db.$transaction(async (tx) => {
      const ids = (
        await tx.ticket.findMany({ where: { AND: [onlyFrom(mailboxId), ticketFree] }, select: { id: true }, take: PURGE_BATCH })
      ).map((t) => t.id);
      if (!ids.length) return 0;
      const { count } = await tx.ticket.deleteMany({ where: { AND: [{ id: { in: ids } }, onlyFrom(mailboxId), ticketFree] } });
      // Tombstones in the same commit: partners on the event stream delete their copies of these tickets too.
      const left =
        count === ids.length
          ? new Set<string>()
          : new Set((await tx.ticket.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((t) => t.id));
      await recordEvents(
        tx,
        s.tenantId,
        ids
          .filter((id) => !left.has(id))
          .map((id) => ({ type: "TICKET_ERASED" as const, ticketId: id, data: { reason: "mailbox data deleted" } })),
      );
      await addToReceipt(tx, count, 0);
      return count;
    });
    tickets += n;
    if (!n) break;
  }
  for (;;) {
    const n = await s.db.$transaction(async (tx) => {
      const where = { AND: [strayMails(mailboxId), messageFree] };
      const ids = (await tx.message.findMany({ where, select: { id: true }, take: PURGE_BATCH })).map((m) => m.id);
      if (!ids.length) return 0;
      const { count } = await tx.message.deleteMany({ where: { AND: [{ id: { in: ids } }, where] } });
      await addToReceipt(tx, 0, count);
      return count;
    });
    messages += n;
    if (!n) break;
  }
  const held = await s.db.ticket.count({ where: { AND: [onlyFrom(mailboxId), ticketHeld] } });
  const heldMails = await s.db.message.count({ where: { AND: [strayMails(mailboxId), messageHeld] } });
  const complete = held === 0 && heldMails === 0;
  await s.db.$transaction(async (tx) => {
    await tx.$executeRaw`UPDATE "Mailbox" SET "purgeReceipt" = jsonb_set(COALESCE("purgeReceipt", '{"tickets":0,"messages":0}'::jsonb), '{heldTickets}', to_jsonb(${held}::int))
      WHERE "id" = ${mailboxId}::uuid AND "tenantId" = ${s.tenantId}::uuid`;
    if (complete) await tx.mailbox.updateMany({ where: { id: mailboxId, purgedAt: null }, data: { purgedAt: new Date() } });
    if (tickets || messages || complete) {
      await appendAuditIn(tx, s.tenantId, [
        {
          ...sweepAudit(s, target, tickets + messages, { type: "Mailbox", id: mailboxId }),
          details: { runId: s.runId, target: target.name, keepDays: s.keepDays, tickets, messages, heldTickets: held, complete },
        },
      ]);
    }
  });
  return tickets + messages;
}

const disconnectedMailboxes: RetentionTarget = {
  name: "DISCONNECTED_MAILBOXES",
  description:
    `What came from a mailbox disconnected ${DISCONNECTED_MAILBOX_KEEP_DAYS} days ago, unless the tenant kept it when disconnecting: ` +
    "tickets whose mail all came through it (deleted with their messages, notes and files), and its mails on other tickets. " +
    "Fixed: no rule sets or changes it. The mailbox's purge receipt says what went.",
  category: "user.content.message",
  categories: categoriesOf(["Ticket", "Message", "Attachment", "EmailMessage"]),
  actions: ["DELETE"],
  suggested: {
    keepDays: DISCONNECTED_MAILBOX_KEEP_DAYS,
    action: "DELETE",
    why: "mailbox data is deleted within 30 days of the mailbox being disconnected",
  },
  fixed: {
    keepDays: DISCONNECTED_MAILBOX_KEEP_DAYS,
    action: "DELETE",
    tenantsWithWork: (now) => ({ mailboxes: { some: mailboxesDue(now) } }),
  },
  respectsLegalHold: true,
  async nextBatch(s, limit) {
    const rows = await s.db.mailbox.findMany({ where: mailboxesDue(s.now), select: { id: true }, orderBy: { id: "asc" }, take: limit });
    return rows.map((r) => r.id);
  },
  async countHeld(s) {
    const due = await s.db.mailbox.findMany({ where: mailboxesDue(s.now), select: { id: true } });
    let held = 0;
    for (const m of due) held += await s.db.ticket.count({ where: { AND: [onlyFrom(m.id), ticketHeld] } });
    return held;
  },
  applier: {
    kind: "service",
    async apply(s, ids) {
      let n = 0;
      for (const id of ids) n += await purgeMailbox(s, disconnectedMailboxes, id);
      return n;
    },
  },
};

// ---- files in quarantine ----

/**
 * Files a malware scanner found infected: kept encrypted and never served, so
 * that admins see what was caught, for keepDays after the verdict. Without a
 * rule, ATTACHMENT_QUARANTINE_DAYS applies (src/attachments/quarantine.ts).
 */
// ---- files of solved and closed tickets ----

/** Files on the messages of tickets done for longer than keepDays; held where their message is. */
const expiredFiles = (s: SweepScope): Prisma.AttachmentWhereInput => ({ message: { ticket: doneBefore(s.cutoff) } });
const fileHeld: Prisma.AttachmentWhereInput = { message: messageHeld };
const fileFree: Prisma.AttachmentWhereInput = { message: messageFree };

const solvedTicketAttachments: RetentionTarget = {
  name: "SOLVED_TICKET_ATTACHMENTS",
  description:
    "Files on messages and notes of tickets solved or closed for longer than keepDays, deleted with their stored bytes and extracted text. " +
    "The messages stay: files (identity documents, invoices, screenshots) can go sooner than the conversation (SOLVED_TICKET_MESSAGES).",
  category: "user.content.attachment",
  categories: ["user.content.attachment"],
  actions: ["DELETE"],
  suggested: {
    keepDays: 365,
    action: "DELETE",
    why: "a file is rarely needed once its ticket has been done for a year, and it often holds more than the conversation",
  },
  respectsLegalHold: true,
  async nextBatch(s, limit) {
    const rows = await s.db.attachment.findMany({
      where: { AND: [expiredFiles(s), fileFree] },
      select: { id: true },
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map((r) => r.id);
  },
  countHeld: (s) => s.db.attachment.count({ where: { AND: [expiredFiles(s), fileHeld] } }),
  applier: {
    kind: "transaction",
    // The condition again: a ticket reopened or a hold placed since the batch was chosen keeps its files.
    // The stored bytes are queued for deletion by the row's trigger and leave the store after the sweep.
    apply: async (tx, s, ids) =>
      (await tx.attachment.deleteMany({ where: { AND: [{ id: { in: ids } }, expiredFiles(s), fileFree] } })).count,
  },
};

const infectedAttachments: RetentionTarget = {
  name: "INFECTED_ATTACHMENTS",
  description:
    "Attachments a malware scanner found INFECTED, keepDays after the verdict. They are never served; until deleted they stay listed on their " +
    "message with their scanStatus. Without a rule the server's ATTACHMENT_QUARANTINE_DAYS (30 by default) applies.",
  category: "user.content.attachment",
  categories: ["user.content.attachment"],
  actions: ["DELETE"],
  suggested: {
    keepDays: 30,
    action: "DELETE",
    why: "long enough to see what was caught and tell the sender; malware is no record worth keeping",
  },
  respectsLegalHold: true,
  async nextBatch(s, limit) {
    const rows = await s.db.attachment.findMany({
      where: { AND: [quarantinedBefore(s.cutoff), quarantineFree] },
      select: { id: true },
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map((r) => r.id);
  },
  countHeld: (s) => s.db.attachment.count({ where: { AND: [quarantinedBefore(s.cutoff), quarantineHeld] } }),
  applier: {
    kind: "transaction",
    apply: async (tx, s, ids) =>
      (await tx.attachment.deleteMany({ where: { AND: [{ id: { in: ids } }, quarantinedBefore(s.cutoff), quarantineFree] } })).count,
  },
};

// ---- the automations' run log ----

const oldRuns = (s: SweepScope): Prisma.AutomationRunWhereInput => ({ createdAt: { lt: s.cutoff } });

/**
 * The automations' execution log (src/automations/): which rule fired on
 * which event and what it changed, by ids and field names only, never content.
 * Nobody's personal data, so legal holds do not apply.
 */
const automationRuns: RetentionTarget = {
  name: "AUTOMATION_RUNS",
  description: "The automation run log (rule, ticket and event ids, outcomes, changed field names; never content) older than keepDays.",
  category: "system.operations",
  categories: retainedCategories("AUTOMATION_RUNS"),
  actions: ["DELETE"],
  suggested: { keepDays: 90, action: "DELETE", why: "long enough to explain what a rule did to a ticket this quarter" },
  respectsLegalHold: false,
  async nextBatch(s, limit) {
    const rows = await s.db.automationRun.findMany({ where: oldRuns(s), select: { id: true }, orderBy: { id: "asc" }, take: limit });
    return rows.map((r) => r.id);
  },
  countHeld: async () => 0,
  applier: {
    kind: "transaction",
    apply: async (tx, s, ids) => (await tx.automationRun.deleteMany({ where: { AND: [{ id: { in: ids } }, oldRuns(s)] } })).count,
  },
};

export const TARGETS: Record<TargetName, RetentionTarget> = {
  SOLVED_TICKET_MESSAGES: solvedTicketMessages,
  SOLVED_TICKET_ATTACHMENTS: solvedTicketAttachments,
  INACTIVE_CONTACTS: inactiveContactsTarget,
  PORTAL_TOKENS: portalTokens,
  DATA_EXPORTS: dataExports,
  SESSIONS: sessions,
  AUDIT_ENTRIES: auditEntries,
  PLUGIN_CALLS: pluginCalls,
  INFECTED_ATTACHMENTS: infectedAttachments,
  DISCONNECTED_MAILBOXES: disconnectedMailboxes,
  AUTOMATION_RUNS: automationRuns,
  SCHEDULED_JOBS: scheduledJobs,
};
