import type { Transporter } from "nodemailer";
import { checkedEndpoint } from "./connection.js";
import { dkimFor } from "./outbound/dkim.js";
import type { ConnectDeps } from "./imap.js";
import { providerOf } from "./providers/index.js";
import type { MailboxAccess } from "./providers/provider.js";

/**
 * A nodemailer transport for a mailbox's SMTP server, to a checked address
 * of it (the certificate is checked against the server's name). One
 * connection per transport: replies are few, and a pool would keep
 * credentials and sockets open between them.
 */
export async function smtpTransport(deps: ConnectDeps, mailbox: MailboxAccess & { id?: string }): Promise<Transporter> {
  const [nodemailer, target, auth] = await Promise.all([
    import("nodemailer"),
    checkedEndpoint(deps.guard, { host: mailbox.smtpHost, port: mailbox.smtpPort, security: mailbox.smtpSecurity }),
    providerOf(mailbox.kind).smtpAuth(mailbox, deps),
  ]);
  return nodemailer.createTransport({
    host: target.address,
    port: mailbox.smtpPort,
    secure: mailbox.smtpSecurity === "TLS",
    requireTLS: mailbox.smtpSecurity === "STARTTLS",
    ignoreTLS: mailbox.smtpSecurity === "NONE",
    servername: target.servername,
    // The EHLO name: the domain of the mailbox's own address.
    name: mailbox.address.split("@")[1],
    auth,
    dkim: dkimFor(deps.options.dkim, mailbox.address),
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
    socketTimeout: 60_000,
    logger: false,
  } as Parameters<typeof nodemailer.createTransport>[0]);
}
