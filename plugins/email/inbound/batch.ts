import { randomUUID } from "node:crypto";
import { isUniqueViolation } from "../../../src/db/unique-violation.js";
import { recordEvents, type NewEvent } from "../../../src/events/outbox.js";
import type { Contact, Mailbox } from "../../../src/generated/prisma/client.js";
import { nextTicketNumbers } from "../../../src/tickets/counter.js";
import { statusChange } from "../../../src/tickets/status.js";
import { LIMITS } from "../../../src/validation.js";
import type { EmailRuntime } from "../options.js";
import type { Claimed } from "../sync/lease.js";
import { newReplyToken } from "../tokens.js";
import { storeFiles } from "./attachments.js";
import { contentOf, type Content } from "./content.js";
import { noiseOf } from "./noise.js";
import { parseMail, type Mail } from "./parse.js";
import { maskedAddress, type SenderLimiter } from "./rate.js";
import { receiveMail, syntheticMessageId } from "./receive.js";
import { recordProgress, type Source } from "./store.js";
import { replyTokensOf } from "./threading.js";

/** A mail read from the folder: its UID and source. */
export interface Fetched {
  uid: bigint;
  raw: Buffer;
}

/** Where the folder is read from: the mailbox, its lease and its UIDVALIDITY. */
export interface Folder {
  mailbox: Mailbox;
  claimed: Claimed;
  uidValidity: bigint;
}

type TicketStatus = "NEW" | "OPEN" | "PENDING" | "SOLVED" | "CLOSED";

/** A mail of the batch that becomes a message, with everything decided before the write. */
interface Planned {
  uid: bigint;
  mail: Mail;
  messageId: string;
  contact: Contact;
  content: Content;
  ticketId: string;
  /** A ticket this batch opens (with its number), else one it joins. */
  opens: number | null;
  reopens: TicketStatus | null;
  newThread: boolean;
  id: string;
  createdAt: Date;
}

/**
 * A fetched batch of new mails, stored set-based: the same outcome as
 * receiveMail mail by mail (one message per UID and per Message-ID, noise
 * ignored, the sender cap, threading, reopening, events in mail order), in a
 * few statements for the whole batch: one read each for the UIDs, the
 * Message-IDs, the threads and the contacts, the new contacts in one insert,
 * the ticket numbers in one statement, then one transaction with one insert
 * per table (tickets, messages, email parts, threads, events) and the
 * position moved past the batch. A reply to a mail of the same batch joins
 * the ticket that mail opens.
 *
 * The unusual mails (a UID stored already, noise and delivery reports, no
 * sender) go through receiveMail one by one, in their place in the order; so
 * does the batch as a whole when another instance stored one of its mails at
 * the same moment (a unique violation): receiveMail sorts out which.
 */
export async function receiveBatch(runtime: EmailRuntime, folder: Folder, fetched: Fetched[], limiter: SenderLimiter): Promise<void> {
  const db = runtime.core.db;
  const { mailbox } = folder;
  const sourceOf = (uid: bigint): Source => ({ mailbox, folder: { claimed: folder.claimed, uidValidity: folder.uidValidity, uid } });
  const parsed = await Promise.all(fetched.map(async (f) => ({ ...f, mail: await parseMail(f.raw).catch(() => null) })));
  const seen = new Set(
    (
      await db.emailMessage.findMany({
        where: { mailboxId: mailbox.id, uidValidity: folder.uidValidity, uid: { in: fetched.map((f) => f.uid) } },
        select: { uid: true },
      })
    ).map((r) => r.uid),
  );
  /** Mails for receiveMail: unparsable, seen, noise, without a sender. */
  const single = (p: (typeof parsed)[number]) => !p.mail || seen.has(p.uid) || noiseOf(p.mail, mailbox.address) !== null || !p.mail.from;

  const candidates = parsed
    .filter((p) => !single(p))
    .map((p) => ({ ...p, mail: p.mail!, messageId: p.mail!.messageId ?? syntheticMessageId(p.raw) }));
  const stored = new Set(
    (await db.message.findMany({ where: { externalId: { in: candidates.map((c) => c.messageId) } }, select: { externalId: true } })).map(
      (m) => m.externalId,
    ),
  );
  // In mail order: a Message-ID stored already or earlier in the batch is a duplicate; then the sender cap.
  const taken: typeof candidates = [];
  const skipped = new Map<bigint, "DUPLICATE" | "SENDER_OVER_LIMIT">();
  for (const c of candidates) {
    if (stored.has(c.messageId)) {
      skipped.set(c.uid, "DUPLICATE");
      continue;
    }
    stored.add(c.messageId);
    if (!(await limiter.allow(mailbox.id, c.mail.from!.address))) {
      runtime.log.warn(
        { mailboxId: mailbox.id, sender: maskedAddress(c.mail.from!.address), limitPerHour: limiter.perHour },
        "email ignored: its sender is over the per-sender limit (EMAIL_SENDER_LIMIT_PER_HOUR); a mail loop or a flood",
      );
      skipped.set(c.uid, "SENDER_OVER_LIMIT");
      continue;
    }
    taken.push(c);
  }

  const planned = taken.length ? await plan(runtime, mailbox, taken) : [];
  const byUid = new Map(planned.map((p) => [p.uid, p]));
  // In order: runs of mails stored together, and the single ones between them.
  let run: bigint[] = [];
  const flush = async () => {
    if (!run.length) return;
    const uids = run;
    run = [];
    await writeRun(runtime, sourceOf(uids.at(-1)!), uids, byUid, skipped, fetched);
  };
  for (const p of parsed) {
    if (single(p)) {
      await flush();
      await receiveMail(runtime, sourceOf(p.uid), p.raw, limiter);
    } else run.push(p.uid);
  }
  await flush();
}

/** Contacts, threading and ticket numbers for the mails to store, resolved for the whole batch. */
async function plan(runtime: EmailRuntime, mailbox: Mailbox, taken: { uid: bigint; mail: Mail; messageId: string }[]): Promise<Planned[]> {
  const db = runtime.core.db;
  const contacts = await contactsFor(
    runtime,
    taken.map((t) => t.mail.from!),
  );
  const answered = taken.map((t) => [...t.mail.inReplyTo, ...[...t.mail.references].reverse()]);
  const known = new Map(
    (
      await db.message.findMany({
        where: { externalId: { in: [...new Set(answered.flat())] } },
        select: { externalId: true, ticketId: true },
      })
    ).map((m) => [m.externalId!, m.ticketId]),
  );
  const tokens = taken.map((t, i) => replyTokensOf(t.mail, answered[i]!, [mailbox.address]));
  const threads = new Map(
    (
      await db.emailThread.findMany({
        where: { replyToken: { in: [...new Set(tokens.flat())] } },
        select: { replyToken: true, ticketId: true },
      })
    ).map((t) => [t.replyToken, t.ticketId]),
  );
  // A mail's own Message-ID, once planned, is "known" to the mails after it: a reply in the same batch joins its ticket.
  const threadOf = (i: number): string | null => {
    for (const id of answered[i]!) {
      const ticketId = known.get(id);
      if (ticketId) return ticketId;
    }
    for (const token of tokens[i]!) {
      const ticketId = threads.get(token);
      if (ticketId) return ticketId;
    }
    return null;
  };
  const existing = [...new Set(taken.map((_, i) => threadOf(i)).filter((id): id is string => id !== null))];
  const tickets = new Map(
    (
      await db.ticket.findMany({
        where: { id: { in: existing } },
        select: { id: true, status: true, emailThread: { select: { ticketId: true } } },
      })
    ).map((t) => [t.id, { status: t.status as TicketStatus, hasThread: t.emailThread !== null }]),
  );

  const t0 = Date.now();
  const planned: Planned[] = [];
  for (const [i, t] of taken.entries()) {
    const joinId = threadOf(i);
    const joined = joinId ? tickets.get(joinId) : undefined;
    const open = joined && joined.status !== "CLOSED" ? joined : null;
    const contact = contacts.get(t.mail.from!.address)!;
    const ticketId = open ? joinId! : randomUUID();
    const reopens = open && !contact.restrictedAt && (open.status === "SOLVED" || open.status === "PENDING") ? open.status : null;
    if (open && !contact.restrictedAt) open.status = reopens ? "OPEN" : open.status;
    const newThread = !open?.hasThread;
    if (open) open.hasThread = true;
    else tickets.set(ticketId, { status: "NEW", hasThread: true });
    known.set(t.messageId, ticketId);
    planned.push({
      uid: t.uid,
      mail: t.mail,
      messageId: t.messageId,
      contact,
      content: await contentOf(t.mail, runtime.core.config.attachments.maxBytes),
      ticketId,
      opens: open ? null : 0,
      reopens,
      newThread,
      id: randomUUID(),
      // Distinct times in mail order: a ticket's messages keep the order they came in.
      createdAt: new Date(t0 + i),
    });
  }
  const opening = planned.filter((p) => p.opens !== null);
  if (opening.length) {
    // Taken before the transaction, in a statement of its own: see nextTicketNumber.
    const numbers = await nextTicketNumbers(db, runtime.tenantId, opening.length);
    for (const [i, p] of opening.entries()) p.opens = numbers[i]!;
  }
  return planned;
}

/** The senders' contacts: those with the address, and the others created in one insert (named as their From header names them). */
async function contactsFor(runtime: EmailRuntime, senders: { address: string; name: string }[]): Promise<Map<string, Contact>> {
  const db = runtime.core.db;
  const addresses = [...new Set(senders.map((s) => s.address))];
  const found = async () => new Map((await db.contact.findMany({ where: { email: { in: addresses } } })).map((c) => [c.email!, c]));
  const contacts = await found();
  const missing = addresses.filter((a) => !contacts.has(a));
  if (!missing.length) return contacts;
  // Named as the first of their mails names them, as when mails come one by one.
  const nameOf = new Map<string, string>();
  for (const s of senders) if (!nameOf.has(s.address)) nameOf.set(s.address, s.name);
  // skipDuplicates: another instance's mail from the same address may create the contact at the same moment.
  await db.contact.createMany({
    data: missing.map((email) => ({
      tenantId: runtime.tenantId,
      email,
      name: (nameOf.get(email) || email.split("@")[0]!).slice(0, LIMITS.name),
    })),
    skipDuplicates: true,
  });
  return found();
}

/** One transaction for a run of mails: what they open, add and change, their events in mail order, and the position past them. */
async function writeRun(
  runtime: EmailRuntime,
  last: Source,
  uids: bigint[],
  planned: Map<bigint, Planned>,
  skipped: Map<bigint, "DUPLICATE" | "SENDER_OVER_LIMIT">,
  fetched: Fetched[],
): Promise<void> {
  const db = runtime.core.db;
  const tenantId = runtime.tenantId;
  const mailboxId = last.mailbox.id;
  const run = uids.map((uid) => planned.get(uid)).filter((p): p is Planned => p !== undefined);
  const overLimit = uids.filter((uid) => skipped.get(uid) === "SENDER_OVER_LIMIT").length;
  try {
    await db.$transaction(async (tx) => {
      const lastAt = new Map(run.map((p) => [p.ticketId, p.createdAt]));
      const opening = run.filter((p) => p.opens !== null);
      if (opening.length) {
        await tx.ticket.createMany({
          data: opening.map((p) => ({
            id: p.ticketId,
            tenantId,
            number: p.opens!,
            subject: (p.mail.subject || "(no subject)").slice(0, LIMITS.subject),
            channel: "EMAIL" as const,
            requesterId: p.contact.id,
            createdAt: p.createdAt,
            lastMessageAt: lastAt.get(p.ticketId)!,
          })),
        });
      }
      if (run.length) {
        await tx.message.createMany({
          data: run.map((p) => ({
            id: p.id,
            tenantId,
            ticketId: p.ticketId,
            body: p.content.body,
            channel: "EMAIL" as const,
            internal: false,
            authorType: "CONTACT" as const,
            authorContactId: p.contact.id,
            externalId: p.messageId,
            createdAt: p.createdAt,
          })),
        });
        await tx.emailMessage.createMany({
          data: run.map((p) => ({
            messageId: p.id,
            tenantId,
            mailboxId,
            direction: "INBOUND" as const,
            inReplyTo: p.mail.inReplyTo.join(" ") || null,
            references: p.mail.references.join(" ") || null,
            fromHeader: p.mail.fromHeader,
            toHeader: p.mail.toHeader,
            ccHeader: p.mail.ccHeader,
            html: p.content.html,
            quoted: p.content.quoted,
            sentAt: p.mail.date,
            uidValidity: last.folder!.uidValidity,
            uid: p.uid,
            attachmentsPending: p.content.files.length > 0,
          })),
        });
      }
      const newThreads = run.filter((p) => p.newThread);
      if (newThreads.length) {
        await tx.emailThread.createMany({
          data: newThreads.map((p) => ({ ticketId: p.ticketId, tenantId, mailboxId, replyToken: newReplyToken() })),
        });
      }
      // Tickets joined (not restricted contacts' mail: it changes nothing), each once: the latest message, reopened when it was solved or pending.
      const joined = new Map<string, { at: Date; from: TicketStatus | null }>();
      const openedHere = new Set(opening.map((p) => p.ticketId));
      for (const p of run) {
        if (p.opens !== null || p.contact.restrictedAt || openedHere.has(p.ticketId)) continue;
        const before = joined.get(p.ticketId);
        joined.set(p.ticketId, { at: p.createdAt, from: before?.from ?? p.reopens });
      }
      for (const [id, j] of joined) {
        await tx.ticket.update({ where: { id }, data: { lastMessageAt: j.at, ...(j.from ? statusChange(j.from, "OPEN") : {}) } });
      }
      const events: NewEvent[] = run
        .filter((p) => !p.contact.restrictedAt)
        .flatMap((p) => [
          ...(p.opens !== null ? [{ type: "TICKET_CREATED" as const, ticketId: p.ticketId, data: { status: "NEW" } }] : []),
          { type: "MESSAGE_ADDED" as const, ticketId: p.ticketId, messageId: p.id },
          ...(p.reopens ? [{ type: "TICKET_STATUS_CHANGED" as const, ticketId: p.ticketId, data: { from: p.reopens, to: "OPEN" } }] : []),
        ]);
      await recordEvents(tx, tenantId, events);
      if (overLimit) {
        await tx.mailbox.update({
          where: { id: mailboxId },
          data: { mailsOverSenderLimit: { increment: overLimit }, lastOverSenderLimitAt: new Date() },
        });
      }
      await recordProgress(tx, last);
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Another instance stored one of these mails meanwhile: one by one, receiveMail tells which.
    runtime.log.info({ mailboxId }, "email batch met mails stored meanwhile; storing it mail by mail");
    for (const uid of uids) {
      const source: Source = { mailbox: last.mailbox, folder: { ...last.folder!, uid } };
      if (planned.has(uid)) await receiveMail(runtime, source, fetched.find((f) => f.uid === uid)!.raw, counted);
      else
        await db.$transaction(async (tx) => {
          await recordProgress(tx, source);
          if (skipped.get(uid) === "SENDER_OVER_LIMIT") {
            await tx.mailbox.update({
              where: { id: mailboxId },
              data: { mailsOverSenderLimit: { increment: 1 }, lastOverSenderLimitAt: new Date() },
            });
          }
        });
    }
    return;
  }
  // The events are committed: have them numbered now rather than at the sequencer's next round.
  if (run.length) runtime.core.database.appended(tenantId);
  for (const p of run) if (p.content.files.length) await storeFiles(runtime, p.id, p.content.files);
}

/** The cap was counted already for these mails: counting them again would skip mails that were allowed. */
const counted = { perHour: Number.POSITIVE_INFINITY, allow: async () => true };
