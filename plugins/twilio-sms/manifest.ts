import { defineManifest } from "../../src/plugin-host/manifest.js";

export const TWILIO_SMS = "twilio-sms";

// Why these locations, purposes and retention: README.md, "What goes where".
export const manifest = defineManifest({
  id: TWILIO_SMS,
  name: "Twilio SMS",
  version: "1.0.0",
  description:
    "Receive support requests by SMS and answer them from the helpdesk through Twilio Programmable Messaging. STOP and START keywords withdraw and restore SMS consent.",
  vendor: { legalName: "Twilio Inc.", country: "US" },
  processingLocations: ["US"],
  transferMechanism: "SCC",
  dataCategories: ["user.contact.phone", "user.content.message"],
  purposes: [{ purpose: "sms.messaging", legalBasis: "CONSENT" }],
  retention: { kind: "DAYS", days: 400 },
  dpaUrl: "https://www.twilio.com/en-us/legal/data-protection-addendum",
  config: [
    {
      key: "accountSid",
      label: "Account SID",
      secret: false,
      required: true,
      description: "Starts with AC; on the Twilio Console's home page",
    },
    {
      key: "authToken",
      label: "Auth token",
      secret: true,
      required: true,
      description: "Also used to check the signature of Twilio's webhooks",
    },
    {
      key: "fromNumber",
      label: "Twilio phone number",
      secret: false,
      required: true,
      description: "The number replies are sent from, in E.164 (+14155550100)",
    },
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
});
