import type { PluginHttpRequest, PluginHttpResponse } from "../../src/plugin-host/plugin.js";
import { receiveSms } from "./inbound.js";
import type { TwilioRuntime } from "./options.js";
import { receiveStatus } from "./status.js";
import { formParams, forbidden, signedByTwilio } from "./webhook.js";

/** Twilio's webhooks: …/sms (an inbound text) and …/status (a delivery report), each signed. */
export async function handleHttp(runtime: TwilioRuntime, request: PluginHttpRequest): Promise<PluginHttpResponse> {
  const route = request.path.replace(/\/+$/, "");
  if (route !== "sms" && route !== "status")
    return { status: 404, contentType: "application/json", body: JSON.stringify({ code: "NOT_FOUND" }) };
  if (request.method !== "POST")
    return { status: 405, contentType: "application/json", body: JSON.stringify({ code: "METHOD_NOT_ALLOWED" }) };
  const params = formParams(request.rawBody);
  // Nothing is read or stored before the signature holds.
  if (!signedByTwilio(runtime.settings.authToken, request, params)) {
    runtime.log.warn({ route }, "Twilio webhook with a missing or wrong signature");
    return forbidden();
  }
  return route === "sms" ? receiveSms(runtime, params) : receiveStatus(runtime, request.url, params);
}
