import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { BackgroundLoop } from "../../../src/background/loop.js";
import { outboundGuard } from "../../../src/outbound/guard.js";
import type { PluginServices, PluginWorker } from "../../../src/plugin-host/plugin.js";
import type { LoadedPlugin } from "../../../src/plugin-host/registry.js";
import { EMAIL } from "../manifest.js";
import type { EmailOptions } from "../options.js";
import type { SenderLimiter } from "../inbound/rate.js";
import { claimMailboxes } from "./lease.js";
import { MailboxSession, type SessionDeps } from "./session.js";

/** Mailboxes one instance syncs at most (each holds an IMAP connection open). */
const MAX_SESSIONS = 200;

/**
 * Syncs the mailboxes of every tenant: claims those nobody syncs (the lease
 * in MailboxSync makes exactly one instance sync a mailbox at a time), runs a
 * session for each, and looks again every so often for mailboxes whose
 * instance went away (their lease lapsed) or that were just connected
 * elsewhere. Stopping it ends every session and lets go of their leases.
 */
export class SyncWorker implements PluginWorker {
  /** Who holds a lease, in MailboxSync.leaseHolder: this host and process. */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly sessions = new Map<string, MailboxSession>();
  private readonly loop: BackgroundLoop;
  private readonly deps: SessionDeps;

  /** The per-sender cap is shared with the inbound SMTP endpoint: one sender, one count, whichever way its mail comes. */
  constructor(services: PluginServices, plugin: LoadedPlugin, options: EmailOptions, limiter: SenderLimiter) {
    const log = services.log.child({ pluginId: EMAIL });
    this.deps = {
      services,
      plugin,
      options,
      guard: outboundGuard(services.config),
      limiter,
      log,
    };
    this.loop = new BackgroundLoop({
      name: "email sync",
      log,
      health: services.database.health,
      // Lapsed leases are found within half a lease period, new mailboxes of other instances within a poll.
      idleMs: Math.min(options.pollMs, Math.floor(options.leaseMs / 2)),
      run: () => services.database.background(() => this.claim()),
    });
  }

  start(): this {
    this.loop.start(0);
    return this;
  }

  /** Looks for mailboxes to sync now (one was just connected). */
  kick(): Promise<void> {
    return this.loop.kick();
  }

  /** Ends this instance's session of a mailbox, if it has one; resolves once its lease is let go. */
  async drop(mailboxId: string): Promise<void> {
    await this.sessions.get(mailboxId)?.stop();
  }

  /** The mailboxes this instance syncs now (tests, operators' logs). */
  syncing(): string[] {
    return [...this.sessions.keys()];
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
  }

  private async claim(): Promise<void> {
    const room = MAX_SESSIONS - this.sessions.size;
    if (room <= 0 || this.loop.stopped) return;
    const claimed = await claimMailboxes(this.deps.services.database.prisma, this.holder, room, this.deps.options.leaseMs);
    for (const c of claimed) {
      const session = new MailboxSession(this.deps, c);
      this.sessions.set(c.mailboxId, session);
      void session.done.finally(() => {
        if (this.sessions.get(c.mailboxId) === session) this.sessions.delete(c.mailboxId);
      });
    }
  }
}
