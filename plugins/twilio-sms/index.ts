import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { eraseAtTwilio } from "./erase.js";
import { receiveSms } from "./inbound.js";
import { manifest } from "./manifest.js";
import type { TwilioSettings } from "./options.js";
import { sendReply } from "./outbound.js";
import { receiveStatus } from "./status.js";
import { formParams, forbidden, signedByTwilio } from "./webhook.js";

/**
 * Twilio SMS: texts to the tenant's Twilio number become tickets, agents'
 * replies on SMS tickets go out by SMS, delivery reports come back.
 * Webhooks: /plugins/twilio-sms/<tenant>/sms and …/status.
 */
export const twilioSms: PluginDefinition<TwilioSettings, undefined> = {
  manifest,

  async handleHttp(runtime, request) {
    const route = request.path.replace(/\/+$/, "");
    if (route !== "sms" && route !== "status") return { status: 404, contentType: "application/json", body: JSON.stringify({ code: "NOT_FOUND" }) };
    if (request.method !== "POST") return { status: 405, contentType: "application/json", body: JSON.stringify({ code: "METHOD_NOT_ALLOWED" }) };
    const params = formParams(request.rawBody);
    // Nothing is read or stored before the signature holds.
    if (!signedByTwilio(runtime.settings.authToken, request, params)) {
      runtime.log.warn({ route }, "Twilio webhook with a missing or wrong signature");
      return forbidden();
    }
    return route === "sms" ? receiveSms(runtime, params) : receiveStatus(runtime, request.url, params);
  },

  onMessageCreated: sendReply,

  erase: (runtime, subject) => eraseAtTwilio(runtime, subject),
};
