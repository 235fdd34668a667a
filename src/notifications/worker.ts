import type { Logger } from "pino";
import { BackgroundLoop } from "../background/loop.js";
import type { Database } from "../db/database.js";
import type { Notification } from "../generated/prisma/client.js";
import { capability } from "../plugin-host/capabilities.js";
import type { PluginServices } from "../plugin-host/plugin.js";
import { type ContentDeps, contentOf, NotSendable } from "./content.js";
import { KINDS } from "./kinds.js";

/** Notifications claimed per statement. */
const BATCH = 20;
/**
 * A notification claimed this long ago and neither sent nor failed belongs to
 * an instance that died while sending: it may have left, so it is marked
 * FAILED (INTERRUPTED) rather than sent a second time.
 */
const STALE_MS = 10 * 60_000;

export type NotificationServices = PluginServices & { database: Database; log: Logger };

/**
 * Sends queued notifications (queue.ts), each once: a row is claimed
 * (QUEUED → SENDING, SKIP LOCKED: two instances never take the same one),
 * rendered for its person, handed to the tenant's channel plugin (the
 * emailNotifier or smsNotifier capability, through the gateway) and marked
 * SENT with the mail's Message-ID (or the SMS's id) or FAILED with a code.
 * Kicked after a commit that queued some, and on a timer.
 */
export class NotificationWorker {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly services: NotificationServices,
    private readonly deps: () => ContentDeps,
    idleMs = 5000,
  ) {
    this.loop = new BackgroundLoop({
      name: "notification worker",
      log: services.log,
      health: services.database.health,
      idleMs,
      run: (signal) => services.database.background(() => this.pass(signal)),
    });
  }

  start(): this {
    this.loop.start(0);
    return this;
  }

  kick(): Promise<void> {
    return this.loop.kick();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(signal: AbortSignal): Promise<void> {
    const { prisma } = this.services.database;
    await prisma.notification.updateMany({
      where: { status: "SENDING", claimedAt: { lt: new Date(Date.now() - STALE_MS) } },
      data: { status: "FAILED", error: "INTERRUPTED" },
    });
    for (;;) {
      const claimed = await prisma.$queryRaw<Notification[]>`
        UPDATE "Notification" n SET "status" = 'SENDING', "claimedAt" = ${new Date().toISOString()}::timestamp
        WHERE n."id" IN (
          SELECT "id" FROM "Notification" WHERE "status" = 'QUEUED' ORDER BY "createdAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
        )
        RETURNING n.*`;
      for (const n of claimed) {
        if (signal.aborted) break;
        await this.send(n);
      }
      if (claimed.length < BATCH || signal.aborted) return;
    }
  }

  private async send(n: Notification): Promise<void> {
    const { prisma } = this.services.database;
    const done = (data: { status: "SENT" | "FAILED"; error?: string; externalId?: string | null }) =>
      prisma.notification.updateMany({
        where: { id: n.id, status: "SENDING" },
        data: { ...data, ...(data.status === "SENT" ? { sentAt: new Date() } : {}) },
      });
    try {
      const db = this.services.database.forTenant(n.tenantId);
      const { content, headers: own } = await contentOf(this.deps(), db, n);
      const channel = await capability(this.services, n.channel === "SMS" ? "smsNotifier" : "emailNotifier", n.tenantId);
      if (!channel) throw new NotSendable("NO_CHANNEL");
      const headers: Record<string, string> = {
        // RFC 3834: automatic mail, which auto-responders leave unanswered; marketing mail says it is bulk.
        ...(n.kind === "MARKETING" ? { Precedence: "bulk" } : { "Auto-Submitted": "auto-generated" }),
        ...own,
      };
      const sent = await channel.value.send({
        contactId: n.contactId,
        purpose: KINDS[n.kind].purpose,
        ticketId: n.ticketId,
        content,
        headers,
      });
      await done({ status: "SENT", externalId: sent.externalId });
    } catch (err) {
      if (this.services.database.health.isOutage(err)) throw err;
      const code = codeOf(err);
      // Codes and ids only: an error's text can quote addresses.
      this.services.log.warn({ notificationId: n.id, tenantId: n.tenantId, kind: n.kind, code }, "notification not sent");
      await done({ status: "FAILED", error: code });
    }
  }
}

function codeOf(err: unknown): string {
  const e = err as { extensions?: { code?: unknown }; code?: unknown };
  const code = e?.extensions?.code ?? e?.code;
  return typeof code === "string" && /^[A-Z0-9_]+$/.test(code) ? code : "SEND_FAILED";
}
