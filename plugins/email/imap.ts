import type { ImapFlow } from "imapflow";
import { outboundGuard, type OutboundGuard } from "../../src/outbound/guard.js";
import { checkedEndpoint } from "./connection.js";
import type { EmailRuntime } from "./options.js";
import { providerOf } from "./providers/index.js";
import { oauthRecorder } from "./providers/oauth-record.js";
import type { TokenDeps } from "./providers/oauth-tokens.js";
import type { MailboxAccess } from "./providers/provider.js";

/** What connecting to a mailbox's servers needs: the outbound guard, and what signing in needs (keys, OAuth2 clients, the database for refreshed tokens). */
export type ConnectDeps = TokenDeps;

/** The connect deps of a tenant's runtime. */
export const connectDeps = (runtime: EmailRuntime, guard: OutboundGuard = outboundGuard(runtime.core.config)): ConnectDeps => ({
  guard,
  record: oauthRecorder(runtime),
  secrets: runtime.core.plugins.secrets,
  options: runtime.options,
  db: runtime.core.db,
  log: runtime.log,
});

/** IDLE is broken and started again this often: servers drop an IDLE left alone for 30 minutes (RFC 2177). */
const MAX_IDLE_MS = 10 * 60_000;

/**
 * An IMAP client for a mailbox, connected and signed in, to a checked
 * address of its server. imapflow is loaded on first use: a server where no
 * tenant connected a mailbox does not pay for it at start. Its own logging is
 * off: it would write addresses and subjects into the server's logs.
 */
export async function connectImap(deps: ConnectDeps, mailbox: MailboxAccess & { id?: string }): Promise<ImapFlow> {
  const [{ ImapFlow }, target, auth] = await Promise.all([
    import("imapflow"),
    checkedEndpoint(deps.guard, { host: mailbox.imapHost, port: mailbox.imapPort, security: mailbox.imapSecurity }),
    providerOf(mailbox.kind).imapAuth(mailbox, deps),
  ]);
  const client = new ImapFlow({
    host: target.address,
    port: mailbox.imapPort,
    secure: mailbox.imapSecurity === "TLS",
    // STARTTLS is required when asked for, never tried when the admin chose no encryption.
    doSTARTTLS: mailbox.imapSecurity === "STARTTLS" ? true : mailbox.imapSecurity === "NONE" ? false : undefined,
    servername: target.servername,
    auth,
    logger: false,
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
    // New mail is announced while the client idles; soon after each command, so that little is missed in between.
    autoIdleDelay: 1000,
    maxIdleTime: MAX_IDLE_MS,
    // Servers without IDLE: imapflow polls with STATUS, which reports new mail like IDLE would.
    missingIdleCommand: "STATUS",
    clientInfo: { name: "Deskgraph" },
  });
  // An error after connecting (a dropped connection) also closes the client; the sync sees it as "close".
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** Logs out, or just closes when the connection is already gone. Never throws. */
export async function closeImap(client: ImapFlow | null | undefined): Promise<void> {
  if (!client) return;
  try {
    if (client.usable) await client.logout();
  } catch {
    // gone already
  } finally {
    client.close();
  }
}
