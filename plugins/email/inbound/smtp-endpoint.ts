import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";
import type { PluginServices, PluginWorker } from "../../../src/plugin-host/plugin.js";
import { runtimeFor } from "../../../src/plugin-host/runtime.js";
import type { LoadedPlugin } from "../../../src/plugin-host/registry.js";
import type { EmailRuntime } from "../options.js";
import { forwardingAddresses, forwardingTokenOf } from "./forwarding.js";
import { maskedAddress, type SenderLimiter } from "./rate.js";
import { receiveMail } from "./receive.js";
import type { InboundSmtpOptions } from "./smtp-options.js";

/** A reply with an SMTP code: smtp-server answers with it. */
const reply = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

/** A connection waits this long for its client to finish when the server stops, then is cut. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * The inbound SMTP endpoint (off unless EMAIL_INBOUND_SMTP_PORT is set): mail
 * to a mailbox's forwarding address, or to a plus address of it, goes through
 * the same receiveMail as mail read over IMAP (parsing, noise, threading, the
 * contact, attachments, one message per Message-ID, the per-sender cap).
 *
 * Recipients are checked at RCPT TO: an address that is no connected
 * mailbox's, in a tenant with the plugin enabled, is refused with 550, so
 * that nothing is accepted that will not be stored. A mail over the
 * attachment size limit is refused with 552. Once the mail is accepted
 * (250) it is stored, ignored as noise, or recognised as stored already; a
 * failure of our own (the database away) answers 451, and the sender tries again.
 *
 * It takes mail from anyone, without authentication, as any MX does: the
 * noise rules and the per-sender cap stand between it and a flood.
 */
export class InboundSmtp implements PluginWorker {
  private readonly server: SMTPServer;
  private readonly listening: Promise<void>;
  /** The recipients each open transaction was allowed: mailbox id and tenant, by session. */
  private readonly accepted = new Map<string, Map<string, { tenantId: string; addresses: string[] }>>();

  constructor(
    private readonly services: PluginServices,
    private readonly plugin: LoadedPlugin,
    private readonly inbound: InboundSmtpOptions,
    private readonly limiter: SenderLimiter,
  ) {
    const log = services.log.child({ pluginId: plugin.manifest.id, component: "inbound-smtp" });
    this.server = new SMTPServer({
      // Mail from other servers arrives unauthenticated; TLS is the operator's (a proxy in front, on port 25).
      secure: false,
      disabledCommands: ["STARTTLS", "AUTH"],
      authOptional: true,
      size: services.config.attachments.maxBytes,
      rejectOversized: true,
      closeTimeout: CLOSE_TIMEOUT_MS,
      logger: false,
      // A new transaction (after RSET, or the next mail on the connection) starts with no recipients.
      onMailFrom: (_address, session, callback) => {
        this.accepted.delete(session.id);
        callback();
      },
      onRcptTo: (address, session, callback) => {
        this.allow(address, session).then(
          () => callback(),
          (err: Error) => callback(err),
        );
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        // Over the limit: the rest is read and dropped (rejectOversized answers 552), not kept in memory.
        stream.on("data", (c: Buffer) => {
          if (!stream.sizeExceeded) chunks.push(c);
        });
        stream.on("end", () => {
          if (stream.sizeExceeded) return callback(reply(552, "Message exceeds the size limit"));
          this.deliver(session, Buffer.concat(chunks)).then(
            () => callback(),
            (err: unknown) => {
              const e = err as { name?: unknown; code?: unknown };
              // The error's name and code only: its message can quote the mail.
              log.error(
                { error: e?.name, code: e?.code },
                "email delivered over SMTP could not be stored: the sender is told to try again",
              );
              callback(reply(451, "Temporary failure, try again later"));
            },
          );
        });
      },
      onClose: (session) => {
        this.accepted.delete(session.id);
      },
    });
    this.server.on("error", (err: Error & { code?: unknown }) => log.error({ code: err.code }, "inbound SMTP endpoint error"));
    this.listening = new Promise<void>((resolve, reject) => {
      this.server.server.once("error", reject);
      this.server.listen(inbound.port, inbound.host, () => {
        this.server.server.off("error", reject);
        const { port } = this.server.server.address() as AddressInfo;
        log.info({ host: inbound.host, port, domains: inbound.domains }, "inbound SMTP endpoint listening");
        resolve();
      });
    });
    this.listening.catch((err: Error & { code?: unknown }) =>
      log.error({ code: err.code, host: inbound.host, port: inbound.port }, "inbound SMTP endpoint could not listen"),
    );
  }

  /** Resolves once it listens; rejects when it cannot (the port is taken). */
  ready(): Promise<void> {
    return this.listening;
  }

  async stop(): Promise<void> {
    // Stops taking connections; open ones may finish their mail for CLOSE_TIMEOUT_MS.
    if (
      !(await this.listening.then(
        () => true,
        () => false,
      ))
    )
      return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** RCPT TO: a connected mailbox's forwarding address (or a plus address of it), in a tenant that has the plugin enabled. */
  private async allow(address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
    const token = forwardingTokenOf(this.inbound, address.address);
    const mailbox = token
      ? await this.services.database.prisma.mailbox.findFirst({
          where: {
            forwardingToken: token,
            status: "CONNECTED",
            tenant: { closedAt: null, pluginInstalls: { some: { pluginId: this.plugin.manifest.id, enabled: true } } },
          },
          select: { id: true, tenantId: true },
        })
      : null;
    if (!mailbox) throw reply(550, "No such recipient here");
    const targets = this.accepted.get(session.id) ?? new Map<string, { tenantId: string; addresses: string[] }>();
    this.accepted.set(session.id, targets);
    const target = targets.get(mailbox.id) ?? { tenantId: mailbox.tenantId, addresses: [] };
    target.addresses.push(address.address.toLowerCase());
    targets.set(mailbox.id, target);
  }

  /** The mail, once for each mailbox it was addressed to. */
  private async deliver(session: SMTPServerSession, raw: Buffer): Promise<void> {
    const targets = this.accepted.get(session.id);
    // The next transaction on this connection names its own recipients.
    this.accepted.delete(session.id);
    for (const [mailboxId, target] of targets ?? []) {
      const runtime = (await runtimeFor(this.services, target.tenantId, this.plugin)) as EmailRuntime | null;
      const mailbox = runtime ? await runtime.core.db.mailbox.findUnique({ where: { id: mailboxId } }) : null;
      // Disconnected (or the plugin disabled) between RCPT TO and the end of DATA: nothing is stored, as after it.
      if (!runtime || mailbox?.status !== "CONNECTED") {
        runtime?.log.info(
          { mailboxId, to: target.addresses.map(maskedAddress) },
          "email over SMTP dropped: its mailbox was disconnected meanwhile",
        );
        continue;
      }
      await receiveMail(
        runtime,
        {
          mailbox,
          delivery: { forwardingAddresses: forwardingAddresses(this.inbound, mailbox.forwardingToken), envelopeTo: target.addresses },
        },
        raw,
        this.limiter,
      );
    }
  }
}
