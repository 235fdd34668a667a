import type { ImapFlow, MailboxObject } from "imapflow";
import type { Logger } from "pino";
import { DAY_MS } from "../../../src/constants.js";
import type { Mailbox } from "../../../src/generated/prisma/client.js";
import type { OutboundGuard } from "../../../src/outbound/guard.js";
import type { PluginServices } from "../../../src/plugin-host/plugin.js";
import type { LoadedPlugin } from "../../../src/plugin-host/registry.js";
import { runtimeFor } from "../../../src/plugin-host/runtime.js";
import { failureReason, needsAdmin } from "../connection.js";
import { closeImap, connectDeps, connectImap } from "../imap.js";
import type { EmailOptions, EmailRuntime } from "../options.js";
import { receiveBatch, type Fetched } from "../inbound/batch.js";
import { receiveMail } from "../inbound/receive.js";
import { markIfNeedsAdmin } from "../refusal.js";
import type { SenderLimiter } from "../inbound/rate.js";
import { recordProgress, type Source } from "../inbound/store.js";
import { LeaseLost, releaseLease, renewLease, type Claimed } from "./lease.js";

/** What every session of a worker shares. */
export interface SessionDeps {
  services: PluginServices;
  plugin: LoadedPlugin;
  options: EmailOptions;
  guard: OutboundGuard;
  limiter: SenderLimiter;
  log: Logger;
}

/** Mails fetched (their full source) per round trip, and through the gateway per call: at most this many, and this many bytes. */
const FETCH_BATCH = 20;
const FETCH_BATCH_BYTES = 25 * 1024 * 1024;
/** A dropped connection is opened again this soon (once per session; then the poll interval). */
const RECONNECT_MS = 1000;
/** A mail larger than this is skipped (and logged): most providers refuse anything over 25 to 50 MB anyway. */
const MAX_MAIL_BYTES = 50 * 1024 * 1024;

/** New mails in fetch batches: a few at a time, and never more bytes than a few large mails (a mail alone may exceed it). */
function* batches<M extends { size?: number }>(mails: M[]): Generator<M[]> {
  let batch: M[] = [];
  let bytes = 0;
  for (const m of mails) {
    if (batch.length && (batch.length === FETCH_BATCH || bytes + (m.size ?? 0) > FETCH_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(m);
    bytes += m.size ?? 0;
  }
  if (batch.length) yield batch;
}

/**
 * One mailbox synced by this instance while it holds the lease: signed in,
 * its folder open, every new mail received in UID order, then waiting for
 * more: the server announces new mail while the client idles (IDLE), and a
 * pass runs every EMAIL_POLL_SECONDS anyway (servers without IDLE, a missed
 * announcement). The lease is renewed a few times per lease period; when it
 * is lost (taken over, the mailbox disconnected) the session ends and
 * nothing it was doing is recorded as done.
 */
export class MailboxSession {
  readonly done: Promise<void>;
  private client: ImapFlow | null = null;
  private stopped = false;
  private pending = true;
  /** Signed in, folder open, caught up once: a failure from here on is a dropped connection. */
  private established = false;
  private wake: (() => void) | null = null;
  private renewTimer?: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(
    private readonly deps: SessionDeps,
    readonly claimed: Claimed,
  ) {
    this.log = deps.log.child({ mailboxId: claimed.mailboxId, tenantId: claimed.tenantId });
    this.done = deps.services.database.background(() => this.run());
  }

  /** Ends the session now (closing its connection) and resolves once it has let go of the lease. */
  stop(): Promise<void> {
    this.stopped = true;
    this.client?.close();
    this.wake?.();
    return this.done;
  }

  private async run(): Promise<void> {
    const { services, plugin } = this.deps;
    const prisma = services.database.prisma;
    let failure: { code: string; retryInMs: number } | undefined;
    let runtime: EmailRuntime | null = null;
    let mailbox: Mailbox | null = null;
    try {
      runtime = (await runtimeFor(services, this.claimed.tenantId, plugin)) as EmailRuntime | null;
      mailbox = runtime ? await runtime.core.db.mailbox.findUnique({ where: { id: this.claimed.mailboxId } }) : null;
      if (!runtime || mailbox?.status !== "CONNECTED") return;
      this.renewTimer = setInterval(() => void this.renew(), Math.max(1000, Math.floor(this.deps.options.leaseMs / 3)));
      this.renewTimer.unref();
      await this.syncReconnecting(runtime, mailbox);
    } catch (err) {
      if (err instanceof LeaseLost || this.stopped) {
        this.log.info("email sync stopped: the mailbox was disconnected or another instance took it over");
        return;
      }
      const marked = runtime && mailbox ? await markIfNeedsAdmin(connectDeps(runtime, this.deps.guard), mailbox, err) : null;
      const reason = marked ?? failureReason(err);
      if (!marked) this.log.warn({ reason, code: (err as { code?: unknown }).code }, "email sync failed; it is tried again later");
      failure = { code: reason, retryInMs: this.deps.options.pollMs };
    } finally {
      clearInterval(this.renewTimer);
      await closeImap(this.client);
      await releaseLease(prisma, this.claimed, failure).catch((err) => this.log.error({ err }, "could not release an email sync lease"));
    }
  }

  /**
   * A connection that worked and then dropped (the server restarted, the
   * provider ended the session: a changed password or a revoked grant shows
   * at the next sign-in) is opened again once, after RECONNECT_MS, within the
   * same lease; a second failure waits for the next poll like any other.
   */
  private async syncReconnecting(runtime: EmailRuntime, mailbox: Mailbox): Promise<void> {
    try {
      await this.sync(runtime, mailbox);
    } catch (err) {
      if (!this.established || this.stopped || err instanceof LeaseLost || needsAdmin(failureReason(err))) throw err;
      this.log.info({ reason: failureReason(err) }, "email sync lost its connection; connecting again");
      await closeImap(this.client);
      this.client = null;
      this.established = false;
      await this.pause(RECONNECT_MS);
      if (this.stopped) return;
      // Read again: the mailbox may have been disconnected or given new credentials meanwhile.
      const again = await runtime.core.db.mailbox.findUnique({ where: { id: mailbox.id } });
      if (again?.status !== "CONNECTED") return;
      await this.sync(runtime, again);
    }
  }

  private async sync(runtime: EmailRuntime, mailbox: Mailbox): Promise<void> {
    const client = await connectImap(connectDeps(runtime, this.deps.guard), mailbox);
    this.client = client;
    if (this.stopped) return;
    client.on("exists", () => this.nudge());
    client.on("close", () => this.nudge());
    // Read-only: fetching leaves the mails as the tenant's people see them (unread stays unread).
    const folder = await client.mailboxOpen(mailbox.folder, { readOnly: true });
    await this.reconcile(runtime, mailbox, client, folder);
    this.established = true;
    while (!this.stopped) {
      if (!client.usable) throw Object.assign(new Error("The IMAP connection closed"), { code: "EConnectionClosed" });
      this.pending = false;
      await this.pass(runtime, mailbox, client, folder.uidValidity);
      await this.idle();
    }
  }

  /** Every mail after the position, in UID order, each received and the position moved past it. */
  private async pass(runtime: EmailRuntime, mailbox: Mailbox, client: ImapFlow, uidValidity: bigint): Promise<void> {
    const sync = await runtime.core.db.mailboxSync.findUnique({ where: { mailboxId: mailbox.id } });
    if (!sync || sync.leaseToken !== this.claimed.token) throw new LeaseLost(mailbox.id);
    // "n:*" also names the last mail when its UID is below n: only those after the position count.
    const news = (await client.fetchAll(`${sync.lastUid + 1n}:*`, { uid: true, size: true }, { uid: true }))
      .filter((m) => BigInt(m.uid) > sync.lastUid)
      .sort((a, b) => a.uid - b.uid);
    for (const batch of batches(news)) {
      if (this.stopped) return;
      const wanted = batch.filter((m) => (m.size ?? 0) <= MAX_MAIL_BYTES).map((m) => m.uid);
      const fetched = wanted.length
        ? await runtime.call(
            {
              operation: "receive",
              purpose: "support",
              categories: ["user.name", "user.contact.email", "user.content.message", "user.content.attachment"],
              subjectIds: [],
            },
            () => client.fetchAll(wanted.join(","), { uid: true, source: true }, { uid: true }),
          )
        : [];
      const sources = new Map(fetched.map((m) => [m.uid, m.source]));
      if (this.stopped) return;
      // Too large, or expunged between the two fetches: passed over (the position moves past them with the batch).
      for (const m of batch.filter((m) => !sources.has(m.uid))) {
        this.log.warn({ uid: m.uid, size: m.size }, "email skipped: larger than 50 MB or gone from the folder");
      }
      const present = batch.filter((m) => sources.has(m.uid)).map((m) => ({ uid: BigInt(m.uid), raw: sources.get(m.uid)! }));
      await this.receiveAll(runtime, mailbox, uidValidity, present);
      const last = batch.at(-1)!;
      if (!sources.has(last.uid)) {
        const source: Source = { mailbox, folder: { claimed: this.claimed, uidValidity, uid: BigInt(last.uid) } };
        await runtime.core.db.$transaction((tx) => recordProgress(tx, source));
      }
    }
  }

  /**
   * A fetched batch, stored set-based (receiveBatch). When it fails for a
   * reason of its own, its mails are taken one by one, so that the one at
   * fault is passed over and the others are stored (those stored already are
   * recognised by their UID).
   */
  private async receiveAll(runtime: EmailRuntime, mailbox: Mailbox, uidValidity: bigint, mails: Fetched[]): Promise<void> {
    if (!mails.length) return;
    try {
      await receiveBatch(runtime, { mailbox, claimed: this.claimed, uidValidity }, mails, this.deps.limiter);
    } catch (err) {
      if (err instanceof LeaseLost || this.stopped || this.deps.services.database.health.isOutage(err)) throw err;
      const e = err as { name?: unknown; code?: unknown };
      this.log.warn({ error: e?.name, code: e?.code }, "email batch could not be stored as a whole; storing it mail by mail");
      for (const m of mails) {
        if (this.stopped) return;
        await this.receive(runtime, { mailbox, folder: { claimed: this.claimed, uidValidity, uid: m.uid } }, m.raw);
      }
    }
  }

  /**
   * One mail. One that cannot be stored for a reason of its own (a bug, a
   * mail no parser takes) is logged and passed over: otherwise it would stop
   * the mailbox for good, retried at every pass. It stays in the mailbox. A
   * lost lease or a database that went away stops the session instead, and
   * the mail is taken again later.
   */
  private async receive(runtime: EmailRuntime, source: Source, raw: Buffer): Promise<void> {
    try {
      await receiveMail(runtime, source, raw, this.deps.limiter);
    } catch (err) {
      if (err instanceof LeaseLost || this.stopped || this.deps.services.database.health.isOutage(err)) throw err;
      const e = err as { name?: unknown; code?: unknown };
      // The error's name and code only: its message can quote the mail.
      this.log.error(
        { uid: source.folder?.uid.toString(), error: e?.name, code: e?.code },
        "email could not be stored: passed over, it stays in the mailbox",
      );
      await runtime.core.db.$transaction((tx) => recordProgress(tx, source));
    }
  }

  /**
   * The folder's UIDs were renumbered (UIDVALIDITY changed: the folder was
   * rebuilt or restored): the position is meaningless. Mails received since a
   * day before the last sync are looked at again; Message-IDs keep those
   * already stored from being stored twice.
   */
  private async reconcile(runtime: EmailRuntime, mailbox: Mailbox, client: ImapFlow, folder: MailboxObject): Promise<void> {
    const sync = await runtime.core.db.mailboxSync.findUnique({ where: { mailboxId: mailbox.id } });
    if (!sync) throw new LeaseLost(mailbox.id);
    if (sync.uidValidity === folder.uidValidity) return;
    const since = new Date((sync.lastSyncAt ?? new Date()).getTime() - DAY_MS);
    const uids = (await client.search({ since }, { uid: true })) || [];
    const start = uids.length ? Math.min(...uids) - 1 : folder.uidNext - 1;
    this.log.warn(
      { since: since.toISOString() },
      "the folder's UIDVALIDITY changed: mails since a day before the last sync are looked at again",
    );
    const source: Source = { mailbox, folder: { claimed: this.claimed, uidValidity: folder.uidValidity, uid: BigInt(start) } };
    await runtime.core.db.$transaction((tx) => recordProgress(tx, source));
  }

  /** Waits for an announcement of new mail, the poll interval, or the end. */
  private idle(): Promise<void> {
    if (this.pending) return Promise.resolve();
    return this.pause(this.deps.options.pollMs);
  }

  /** Waits `ms`, or less if nudged or stopped. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private nudge(): void {
    this.pending = true;
    this.wake?.();
  }

  private async renew(): Promise<void> {
    try {
      if (!(await renewLease(this.deps.services.database.prisma, this.claimed, this.deps.options.leaseMs))) {
        this.log.info("email sync lease lost: the mailbox was disconnected or taken over");
        this.stopped = true;
        this.client?.close();
        this.wake?.();
      }
    } catch (err) {
      this.log.warn({ err }, "could not renew an email sync lease; trying again");
    }
  }
}
