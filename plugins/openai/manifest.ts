import { defineManifest } from "../../src/plugin-host/manifest.js";

const OPENAI = "openai";

// Why these locations, retention and flags: README.md, "What goes where".
export const manifest = defineManifest({
  id: OPENAI,
  name: "OpenAI",
  version: "1.0.0",
  description:
    "Suggested replies, summaries and translations by OpenAI's models (Chat Completions). Texts are pseudonymised before they leave; nothing is stored at OpenAI for retrieval (store: false), and API data is not used to train its models.",
  vendor: { legalName: "OpenAI OpCo, LLC", country: "US" },
  processingLocations: ["US"],
  transferMechanism: "SCC",
  dataCategories: ["user.content.message"],
  purposes: [{ purpose: "ai.assistance", legalBasis: "LEGITIMATE_INTEREST" }],
  retention: { kind: "DAYS", days: 30 },
  dpaUrl: "https://openai.com/policies/data-processing-addendum/",
  config: [
    { key: "apiKey", label: "API key", secret: true, required: true, description: "A project key (sk-…) from platform.openai.com" },
    {
      key: "model",
      label: "Model",
      secret: false,
      required: false,
      description: "The chat model to use; gpt-4o-mini when empty",
    },
    {
      key: "apiBaseUrl",
      label: "API base URL",
      secret: false,
      required: false,
      type: "url",
      description: "Leave empty. Only for tests or an egress proxy: where the SDK sends requests instead of https://api.openai.com/v1",
    },
  ],
  storesData: false,
  trainsOnCustomerData: false,
});
