import type { PluginManifest } from "../../src/plugin-host/manifest.js";

export const TWILIO_SMS = "twilio-sms";

/**
 * What the Twilio SMS plugin sends to Twilio, where, and for how long.
 *
 * Locations: the plugin talks to api.twilio.com, Twilio's default US1 region,
 * so messages are processed and stored in the United States. Twilio also runs
 * an IE1 (Ireland) region, but this plugin does not use it, so it is not
 * declared: declaring it would suggest a residency the plugin does not give.
 *
 * Retention: Twilio keeps message records and bodies until they are deleted
 * (its "SMS message and traffic storage" support article). By default the
 * Messages API shows them for 400 days (13 months) and older records stay
 * available in Twilio's archive ("Message Records Data Access and Backup" in
 * the Console, adjustable from 7 to 400 days, archive on or off). We declare
 * 400 days: the default window, and docs/plugins.md tells admins to switch the
 * archive off so that nothing outlives it. Deleted bodies may persist up to
 * 30 days in Twilio's backups. Erasure requests delete the subject's messages
 * at Twilio at once (the erase hook).
 */
export const manifest: PluginManifest = {
  id: TWILIO_SMS,
  name: "Twilio SMS",
  version: "1.0.0",
  description:
    "Receive support requests by SMS and answer them from the helpdesk through Twilio Programmable Messaging. STOP and START keywords withdraw and restore SMS consent.",
  vendor: { legalName: "Twilio Inc.", country: "US" },
  processingLocations: ["US"],
  transferMechanism: "SCC",
  dataCategories: ["user.contact.phone", "user.content.message"],
  // Replies go out only under sms.messaging, so the consent a person gives or
  // withdraws by SMS (or on the portal) is the one thing that decides.
  purposes: [{ purpose: "sms.messaging", legalBasis: "CONSENT" }],
  retention: { kind: "DAYS", days: 400 },
  dpaUrl: "https://www.twilio.com/en-us/legal/data-protection-addendum",
  config: [
    { key: "accountSid", label: "Account SID", secret: false, required: true, description: "Starts with AC; on the Twilio Console's home page" },
    { key: "authToken", label: "Auth token", secret: true, required: true, description: "Also used to check the signature of Twilio's webhooks" },
    { key: "fromNumber", label: "Twilio phone number", secret: false, required: true, description: "The number replies are sent from, in E.164 (+14155550100)" },
    {
      key: "apiBaseUrl",
      label: "API base URL",
      secret: false,
      required: false,
      type: "url",
      description: "Leave empty. Only for tests or an egress proxy: where the Twilio SDK sends requests instead of https://api.twilio.com",
    },
  ],
  storesData: true,
};
