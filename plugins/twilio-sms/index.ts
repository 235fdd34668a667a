import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";
import type { TwilioSettings } from "./options.js";

/**
 * Twilio SMS: texts to the tenant's Twilio number become tickets, agents'
 * replies on SMS tickets go out by SMS, delivery reports come back.
 * Webhooks: /plugins/twilio-sms/<tenant>/sms and …/status.
 *
 * The hooks load their modules, and with them the Twilio SDK, on first use:
 * a server where no tenant uses Twilio does not pay for loading it at start.
 */
export const twilioSms: PluginDefinition<TwilioSettings, undefined> = {
  manifest,
  handleHttp: async (runtime, request) => (await import("./http.js")).handleHttp(runtime, request),
  onMessageCreated: async (runtime, event) => (await import("./outbound.js")).sendReply(runtime, event),
  provides: { smsNotifier: async (runtime) => (await import("./notify.js")).smsNotifier(runtime) },
  erase: async (runtime, subject) => (await import("./erase.js")).eraseAtTwilio(runtime, subject),
};
