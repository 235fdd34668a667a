import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";
import type { DeepLSettings } from "./options.js";

/**
 * DeepL: translation (the translate operation of the aiProvider capability).
 * The core hands it pseudonymised text only and records every call. The SDK
 * is loaded when a tenant first uses it.
 */
export const deepL: PluginDefinition<DeepLSettings, undefined> = {
  manifest,
  provides: {
    aiProvider: async (runtime) => (await import("./provider.js")).deepLProvider(runtime),
  },
};
