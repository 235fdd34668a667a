import { defineManifest } from "../../src/plugin-host/manifest.js";

const ATTACHMENTSCANNER = "attachmentscanner";

// Why this location, retention and what is sent: README.md, "What goes where".
export const manifest = defineManifest({
  id: ATTACHMENTSCANNER,
  name: "AttachmentScanner",
  version: "1.0.0",
  description:
    "Malware scanning of the tenant's attachments by AttachmentScanner's API (its US region), before anyone can download them, instead of the operator's scanner.",
  vendor: { legalName: "AttachmentScanner (attachmentscanner.com)", country: "US" },
  processingLocations: ["US"],
  transferMechanism: "SCC",
  dataCategories: ["user.content.attachment"],
  purposes: [{ purpose: "support", legalBasis: "CONTRACT" }],
  retention: { kind: "DAYS", days: 30 },
  dpaUrl: "https://www.attachmentscanner.com/",
  config: [
    {
      key: "apiToken",
      label: "API token",
      secret: true,
      required: true,
      description: "Your scanner's API token, from your scanner page at attachmentscanner.com",
    },
    {
      key: "apiBaseUrl",
      label: "API base URL",
      secret: false,
      required: false,
      type: "url",
      description: "Leave empty (https://us-east-1.attachmentscanner.com). Only for tests or an egress proxy: where scans are sent instead",
    },
  ],
  storesData: true,
});
