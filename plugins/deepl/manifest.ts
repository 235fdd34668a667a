import { defineManifest } from "../../src/plugin-host/manifest.js";

const DEEPL = "deepl";

// Why this location and retention: README.md, "What goes where".
export const manifest = defineManifest({
  id: DEEPL,
  name: "DeepL",
  version: "1.0.0",
  description:
    "Translates messages with DeepL's API (DeepL API Pro). Texts are pseudonymised before they leave; DeepL deletes them once translated and does not train on them.",
  vendor: { legalName: "DeepL SE", country: "DE" },
  processingLocations: ["DE"],
  transferMechanism: "EEA",
  dataCategories: ["user.content.message"],
  purposes: [{ purpose: "ai.assistance", legalBasis: "LEGITIMATE_INTEREST" }],
  retention: { kind: "TRANSIENT" },
  dpaUrl: "https://www.deepl.com/en/pro-data-security",
  config: [
    {
      key: "authKey",
      label: "Authentication key",
      secret: true,
      required: true,
      description: "From your DeepL account; keys ending in :fx are DeepL API Free",
    },
    {
      key: "serverUrl",
      label: "API base URL",
      secret: false,
      required: false,
      type: "url",
      description: "Leave empty. Only for tests or an egress proxy: where the SDK sends requests instead of DeepL's API",
    },
  ],
  storesData: false,
  trainsOnCustomerData: false,
});
