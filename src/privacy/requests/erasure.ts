import { recordEvents } from "../../events/outbox.js";
import type { Database } from "../../db/database.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import { notFound } from "../../errors.js";
import { bytesOf } from "../../attachments/text.js";
import { assertNoLegalHold } from "../restriction.js";
import { attachmentFiles } from "./attachment-contents.js";
import { matcherFor, REDACTED, scrub, type Identifiers } from "./identifiers.js";
import { scanForIdentifiers, SCANNED_STORES, type ScannedStore } from "./scan.js";
import { candidateRows, TEXT_COLUMNS, type TextColumn } from "./text-columns.js";
import { type Tx } from "../../db/tx.js";

/**
 * GDPR art. 17: erases one contact's personal data and keeps an anonymous shell,
 * so that tickets stay with the tenant and statistics still add up.
 *
 * Every step works in batches, each batch in a transaction of its own, and picks
 * its rows by condition (not yet redacted, still holding an identifier…). The
 * contact row is anonymised last: until then it still holds the identifiers, so
 * an erasure that stops half-way is completed by running it again, and running it
 * on an erased contact changes nothing.
 */

export const ERASED_NAME = "Erased contact";
const DEFAULT_BATCH = 500;

export interface PluginErasure {
  pluginId: string;
  store: string;
  deleted: number;
  ok: boolean;
  note?: string;
}

export interface EraseOptions {
  batchSize?: number;
  /** Asks integrations that keep data of their own to erase it too (the plugin host's erase hooks). */
  eraseAtPlugins?: (subject: { contactId: string; email: string | null; phone: string | null }) => Promise<PluginErasure[]>;
}

export interface ErasureCounts {
  contacts: number;
  messagesRedacted: number;
  attachmentsDeleted: number;
  portalTokensDeleted: number;
  exportsDeleted: number;
  subjectsScrubbed: number;
  bodiesScrubbed: number;
  filenamesScrubbed: number;
  /** Text files (on anyone's messages) whose contents mentioned the person, redacted. */
  attachmentContentsScrubbed: number;
  /** Files on the person's tickets that cannot be searched (not text), deleted. */
  unsearchableAttachmentsDeleted: number;
  requestDetailsScrubbed: number;
}

export interface ErasureReceipt {
  contactId: string;
  erasedAt: string;
  /** True when the contact had been erased before: nothing was left to do. */
  alreadyErased: boolean;
  counts: ErasureCounts;
  stores: { store: string; action: string; count: number; note?: string }[];
  plugins: PluginErasure[];
  verification: {
    scannedStores: ScannedStore[];
    leftovers: number;
    byStore: Record<string, number>;
    /**
     * Files elsewhere (on other people's tickets) that cannot be searched (not
     * text): kept, and not verified. Never folded into a silent `leftovers: 0`.
     */
    unverifiable: number;
    /** Other contacts with the same name: not counted as leftovers. */
    namesakes: number;
  };
}


/** Runs `step` on batches of ids until `next` finds none; returns the total `step` reported. */
async function inBatches(db: TenantClient, next: (tx: Tx) => Promise<string[]>, step: (tx: Tx, ids: string[]) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await db.$transaction(async (tx) => {
      const ids = await next(tx);
      return ids.length ? { n: await step(tx, ids), more: true } : { n: 0, more: false };
    });
    total += done.n;
    if (!done.more) return total;
  }
}

/**
 * Writes a batch of new texts in one statement (a row at a time costs a round
 * trip each: thousands of mentions took seconds). Raw SQL passes the tenant
 * scope by, so the tenant is in the WHERE clause here.
 */
async function writeTexts(tx: Tx, tenantId: string, target: TextColumn, rows: { id: string; text: string }[]): Promise<void> {
  if (!rows.length) return;
  const { table, column } = TEXT_COLUMNS[target];
  await tx.$executeRaw`UPDATE ${table} AS t SET ${column} = v.text
    FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.text)}::text[]) AS v(id, text)
    WHERE t."id" = v.id AND t."tenantId" = ${tenantId}::uuid`;
}

/** Replaces identifiers in one text column, batch by batch; returns the rows changed. */
async function scrubColumn(
  db: TenantClient,
  tenantId: string,
  ids: Identifiers,
  batch: number,
  target: TextColumn,
): Promise<number> {
  const matcher = matcherFor(ids);
  if (!matcher) return 0;
  let changed = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await db.$transaction(async (tx) => {
      const rows = await candidateRows(tx, tenantId, target, ids, after, batch);
      const scrubbed = rows.map((r) => ({ id: r.id, ...scrub(matcher, r.text) })).filter((r) => r.count > 0);
      await writeTexts(tx, tenantId, target, scrubbed);
      changed += scrubbed.length;
      return rows;
    });
    if (rows.length < batch) return changed;
    after = rows.at(-1)!.id;
  }
}

export async function eraseContact(database: Database, tenantId: string, contactId: string, opts: EraseOptions = {}): Promise<ErasureReceipt> {
  const db = database.forTenant(tenantId);
  const batch = opts.batchSize ?? DEFAULT_BATCH;
  const contact = await db.contact.findUnique({ where: { id: contactId } });
  if (!contact) throw notFound("Contact");
  assertNoLegalHold(contact);
  const alreadyErased = contact.erasedAt !== null;
  // Held in memory for this run only; after the last step no copy is left anywhere.
  const ids: Identifiers = alreadyErased ? {} : { name: contact.name, email: contact.email, phone: contact.phone };

  // Credentials and copies first: nobody can act as the person or download their data meanwhile.
  const portalTokensDeleted = (await db.portalToken.deleteMany({ where: { contactId } })).count;
  const exportsDeleted = (await db.dataExport.deleteMany({ where: { contactId } })).count;

  const attachmentsDeleted = await inBatches(
    db,
    async (tx) => (await tx.attachment.findMany({ where: { message: { authorContactId: contactId } }, select: { id: true }, take: batch })).map((a) => a.id),
    async (tx, idList) => (await tx.attachment.deleteMany({ where: { id: { in: idList } } })).count,
  );
  const now = new Date();
  const messagesRedacted = await inBatches(
    db,
    async (tx) => (await tx.message.findMany({ where: { authorContactId: contactId, redactedAt: null }, select: { id: true }, take: batch })).map((m) => m.id),
    async (tx, idList) => (await tx.message.updateMany({ where: { id: { in: idList } }, data: { body: REDACTED, redactedAt: now } })).count,
  );

  // Other people's words stay; only the person's identifiers are taken out of them.
  // Keyset pages (scrubColumn): rows changed by a batch stop matching, so the position is kept by id, not by offset.
  const subjectsScrubbed = await scrubColumn(db, tenantId, ids, batch, "Ticket.subject");
  const bodiesScrubbed = await scrubColumn(db, tenantId, ids, batch, "Message.body");
  const filenamesScrubbed = await scrubColumn(db, tenantId, ids, batch, "Attachment.filename");
  const files = alreadyErased ? { scrubbed: 0, deleted: 0 } : await scrubAttachmentContents(db, ids, contactId, batch);
  const requestDetailsScrubbed = await scrubRequestDetails(db, contactId);

  // Integrations are asked while the email and phone they may key on are still known.
  const plugins = !alreadyErased && opts.eraseAtPlugins ? await opts.eraseAtPlugins({ contactId, email: contact.email, phone: contact.phone }) : [];

  const final = await db.$transaction(async (tx) => {
    const current = await tx.contact.findUnique({ where: { id: contactId } });
    if (!current) throw notFound("Contact");
    assertNoLegalHold(current);
    // A message written while the batches ran is redacted with the shell, in the same commit.
    const late = (await tx.message.updateMany({ where: { authorContactId: contactId, redactedAt: null }, data: { body: REDACTED, redactedAt: now } })).count;
    if (current.erasedAt) return { contacts: 0, late };
    await tx.contact.update({
      where: { id: contactId },
      data: {
        name: ERASED_NAME,
        email: null,
        phone: null,
        locale: null,
        organizationId: null,
        restrictedAt: null,
        restrictionReason: null,
        erasedAt: now,
      },
    });
    // Tombstones in the same commit: partners on the event stream erase their copies.
    const tickets = await tx.ticket.findMany({ where: { requesterId: contactId }, select: { id: true }, orderBy: { id: "asc" } });
    await recordEvents(tx, tenantId, tickets.map((t) => ({ type: "TICKET_ERASED" as const, ticketId: t.id, data: { reason: "requester erased" } })));
    return { contacts: 1, late };
  });

  const scan = await scanForIdentifiers(db, tenantId, ids, { nameOnlyOn: contactId });
  // Same name, other person: their rows are not leftovers, but their texts were scrubbed too (exact matches cannot tell).
  const namesakes = ids.name ? await db.contact.count({ where: { id: { not: contactId }, name: { equals: ids.name, mode: "insensitive" } } }) : 0;
  const consentEvents = await db.consentEvent.count({ where: { contactId } });
  const tickets = await db.ticket.count({ where: { requesterId: contactId } });
  const counts = {
    contacts: final.contacts,
    messagesRedacted: messagesRedacted + final.late,
    attachmentsDeleted,
    portalTokensDeleted,
    exportsDeleted,
    subjectsScrubbed,
    bodiesScrubbed,
    filenamesScrubbed,
    attachmentContentsScrubbed: files.scrubbed,
    unsearchableAttachmentsDeleted: files.deleted,
    requestDetailsScrubbed,
  };
  return {
    contactId,
    erasedAt: (contact.erasedAt ?? now).toISOString(),
    alreadyErased,
    counts,
    stores: [
      { store: "Contact", action: "anonymised: name replaced, email, phone, locale and organisation removed", count: counts.contacts },
      { store: "Message", action: "bodies of the person's own messages replaced by [redacted]", count: counts.messagesRedacted },
      { store: "Attachment", action: "files on the person's own messages deleted", count: attachmentsDeleted },
      { store: "PortalToken", action: "deleted", count: portalTokensDeleted },
      { store: "DataExport", action: "deleted", count: exportsDeleted },
      { store: "Ticket.subject", action: "the person's name, email and phone replaced by [redacted]", count: subjectsScrubbed },
      { store: "Message.body", action: "the person's name, email and phone replaced by [redacted] in other people's messages", count: bodiesScrubbed },
      { store: "Attachment.filename", action: "the person's name, email and phone replaced by [redacted]", count: filenamesScrubbed },
      {
        store: "Attachment.content",
        action: "the person's name, email and phone replaced by [redacted] in text files on other people's messages",
        count: files.scrubbed,
      },
      {
        store: "Attachment.unsearchable",
        action: "files on the person's tickets that cannot be searched (not text) deleted",
        count: files.deleted,
      },
      {
        store: "Attachment.unverified",
        action: "kept, not verified",
        count: scan.unsearchable,
        note: "Files on other people's tickets that cannot be searched (not text, such as PDFs and images) may still mention the person; review them by hand.",
      },
      { store: "DataSubjectRequest.details", action: "corrected values removed, field names kept", count: requestDetailsScrubbed },
      {
        store: "ConsentEvent",
        action: "kept",
        count: consentEvents,
        note: "The consent history holds purposes, actions, methods and dates, no identifiers; it is kept as proof of consent (art. 7(1)).",
      },
      {
        store: "Ticket",
        action: "kept",
        count: tickets,
        note: "Tickets stay with the tenant; their requester is now the anonymous shell.",
      },
    ],
    plugins,
    verification: {
      scannedStores: [...SCANNED_STORES],
      leftovers: scan.total,
      byStore: Object.fromEntries(scan.stores.map((s) => [s.store, s.matches])),
      unverifiable: scan.unsearchable,
      namesakes,
    },
  };
}

/**
 * Attachment contents: text files mentioning the person are redacted like
 * message bodies, wherever they are (agents' replies, notes, other contacts'
 * messages). Files that cannot be searched are deleted when they sit on the
 * person's own tickets (exchanged with or about them); elsewhere they are kept
 * and the receipt lists them as unverified.
 */
async function scrubAttachmentContents(db: TenantClient, ids: Identifiers, contactId: string, batch: number): Promise<{ scrubbed: number; deleted: number }> {
  const matcher = matcherFor(ids);
  let scrubbed = 0;
  const unsearchable: string[] = [];
  for await (const files of attachmentFiles(db, batch)) {
    for (const f of files) {
      if (f.text === null) {
        if (f.requesterId === contactId) unsearchable.push(f.id);
        continue;
      }
      if (!matcher) continue;
      const result = scrub(matcher, f.text);
      if (!result.count) continue;
      const content = bytesOf(result.text);
      await db.attachment.update({ where: { id: f.id }, data: { content, size: content.length } });
      scrubbed++;
    }
  }
  let deleted = 0;
  for (let i = 0; i < unsearchable.length; i += batch) {
    deleted += (await db.attachment.deleteMany({ where: { id: { in: unsearchable.slice(i, i + batch) } } })).count;
  }
  return { scrubbed, deleted };
}

/** A rectification request keeps the corrected values while open; once the person is erased, only the field names stay. */
async function scrubRequestDetails(db: TenantClient, contactId: string): Promise<number> {
  const requests = await db.dataSubjectRequest.findMany({ where: { contactId }, select: { id: true, details: true } });
  let n = 0;
  for (const r of requests) {
    const details = r.details as { corrections?: Record<string, unknown> } | null;
    if (!details?.corrections) continue;
    const { corrections, ...rest } = details;
    await db.dataSubjectRequest.update({ where: { id: r.id }, data: { details: { ...rest, correctedFields: Object.keys(corrections) } as object } });
    n++;
  }
  return n;
}
