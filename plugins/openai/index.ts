import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";
import type { OpenAiSettings } from "./options.js";

/**
 * OpenAI: an AI provider (the aiProvider capability) for suggested replies,
 * summaries and translations. The core hands it pseudonymised text only and
 * records every call. The SDK is loaded when a tenant first uses it.
 */
export const openAi: PluginDefinition<OpenAiSettings, undefined> = {
  manifest,
  provides: {
    aiProvider: async (runtime) => (await import("./provider.js")).openAiProvider(runtime),
  },
};
