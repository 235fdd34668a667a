import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { EMAIL, manifest } from "./manifest.js";
import { options, type EmailOptions, type EmailSettings } from "./options.js";
import { registerSyncWorker } from "./sync/registry.js";
import { SyncWorker } from "./sync/worker.js";

/**
 * Email: each tenant connects its support mailboxes (connectMailbox, in
 * schema.ts); the sync worker turns the mail arriving in them into tickets,
 * agents' public replies on EMAIL tickets leave through the ticket's mailbox,
 * and delivery reports come back onto the replies. Disconnecting a mailbox
 * deletes its credentials and sync state at once, its tickets after 30 days
 * (the core's DISCONNECTED_MAILBOXES retention target).
 *
 * The hooks load their modules, and with them nodemailer, on first use.
 */
export const email: PluginDefinition<EmailSettings, EmailOptions> = {
  manifest,
  options,
  onMessageCreated: async (runtime, event) => (await import("./outbound/send.js")).sendReply(runtime, event),
  erase: async (runtime, subject) => (await import("./erase.js")).eraseInMailboxes(runtime, subject),
  start(services, operator) {
    // The plugin as the registry loaded it, for its runtimes.
    const worker = new SyncWorker(services, services.plugins.registry.get(EMAIL)!, operator).start();
    registerSyncWorker(services.plugins, worker);
    return worker;
  },
};
