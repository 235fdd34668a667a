import { twilioSdk } from "./client.js";
import type { PluginHttpRequest, PluginHttpResponse } from "../../src/plugin-host/plugin.js";

export type WebhookParams = Record<string, string>;

/** Twilio posts webhooks form-encoded; a repeated key keeps its last value. */
export function formParams(rawBody: string): WebhookParams {
  return Object.fromEntries(new URLSearchParams(rawBody));
}

/**
 * Checks X-Twilio-Signature with the SDK: an HMAC-SHA1, keyed with the auth
 * token, of the URL Twilio called followed by the sorted POST parameters.
 */
export function signedByTwilio(authToken: string | undefined, request: PluginHttpRequest, params: WebhookParams): boolean {
  const header = request.headers["x-twilio-signature"];
  const signature = Array.isArray(header) ? header[0] : header;
  if (!authToken || !signature) return false;
  return twilioSdk().validateRequest(authToken, signature, request.url, params);
}

/** Nothing to say back: Twilio sends no reply for an empty TwiML response. */
export const emptyTwiml = (): PluginHttpResponse => ({
  status: 200,
  contentType: "text/xml",
  body: new (twilioSdk().twiml.MessagingResponse)().toString(),
});

export const forbidden = (): PluginHttpResponse => ({
  status: 403,
  contentType: "application/json",
  body: JSON.stringify({ code: "FORBIDDEN" }),
});

export const badRequest = (message: string): PluginHttpResponse => ({
  status: 400,
  contentType: "application/json",
  body: JSON.stringify({ code: "VALIDATION", message }),
});
