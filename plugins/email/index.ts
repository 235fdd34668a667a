import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { EMAIL, manifest } from "./manifest.js";
import { options, type EmailOptions, type EmailSettings } from "./options.js";
import { SenderLimiter } from "./inbound/rate.js";
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
  provides: { emailNotifier: async (runtime) => (await import("./outbound/notify.js")).emailNotifier(runtime) },
  erase: async (runtime, subject) => (await import("./erase.js")).eraseInMailboxes(runtime, subject),
  start(services, operator) {
    // The plugin as the registry loaded it, for its runtimes.
    const plugin = services.plugins.registry.get(EMAIL)!;
    const limiter = new SenderLimiter({
      perHour: operator.senderLimitPerHour,
      redisUrl: services.config.redisUrl,
      keyPrefix: `${operator.redisKeyPrefix}:sender`,
      log: services.log.child({ pluginId: EMAIL }),
    });
    const worker = new SyncWorker(services, plugin, operator, limiter).start();
    registerSyncWorker(services.plugins, worker);
    // Replies left QUEUED (a failure that may pass, an instance that died mid-send) are sent from here.
    const retry = import("./outbound/retry.js").then(({ SendRetryWorker }) => new SendRetryWorker(services, plugin, operator).start());
    const inbound = operator.inbound;
    // smtp-server is loaded only where the operator turned the endpoint on.
    const endpoint = inbound
      ? import("./inbound/smtp-endpoint.js").then(({ InboundSmtp }) => new InboundSmtp(services, plugin, inbound, limiter))
      : null;
    return {
      // The endpoint first: no new mail is taken while the sessions end.
      stop: async () => {
        await (await endpoint)?.stop();
        await worker.stop();
        await (await retry).stop();
        limiter.close();
      },
    };
  },
};
