import type { EventConsumer } from "../events/consumers/consumer.js";
import type { PluginServices } from "./plugin.js";
import type { LoadedPlugin } from "./registry.js";
import { runtimeFor } from "./runtime.js";

/**
 * One consumer per plugin with an onMessageCreated hook: the plugin hears of
 * every committed message (MESSAGE_ADDED: replies, notes, a ticket's first
 * message, an inbound SMS), in each tenant that installed it. A disabled one
 * hears of it too, so that a channel (SMS) can mark a reply as not sent
 * instead of it silently going nowhere: whatever it tries is refused by the
 * gateway with PLUGIN_DISABLED, and recorded. Whether to act is the plugin's
 * call (the SMS channel sends only agents' public replies on SMS tickets, so
 * an inbound message is never echoed back).
 *
 * What a hook does is the plugin's outcome, recorded by the gateway: a hook
 * that throws is logged and not called again for that message (the vendor may
 * already have it). Only the core's own failures (the database going away)
 * retry the batch. A crash between a hook and the cursor's move offers the
 * batch's messages again: hooks must tolerate hearing of a message twice.
 */
export function messageHookConsumers(services: PluginServices): EventConsumer[] {
  return services.plugins.registry
    .list()
    .filter((def) => def.onMessageCreated)
    .map((def) => messageHookConsumer(services, def));
}

function messageHookConsumer(services: PluginServices, def: LoadedPlugin): EventConsumer {
  const pluginId = def.manifest.id;
  return {
    name: `plugin:${pluginId}`,
    types: ["MESSAGE_ADDED"],
    batchSize: 50,
    // addMessage answers with what the hook recorded (an SMS reply's delivery status).
    beforeResponse: true,
    async handle({ tenantId, events }) {
      const runtime = await runtimeFor(services, tenantId, def, undefined, { evenIfDisabled: true });
      if (!runtime) return;
      for (const event of events) {
        if (!event.messageId || !event.ticketId) continue;
        try {
          await def.onMessageCreated!(runtime, { messageId: event.messageId, ticketId: event.ticketId });
        } catch (err) {
          if (services.database.health.isOutage(err)) throw err;
          runtime.log.error({ err, pluginId, seq: event.seq }, "plugin failed on messageCreated");
        }
      }
    },
  };
}
