import type { PluginRuntime, SettingsOf } from "../../src/plugin-host/plugin.js";
import type { manifest } from "./manifest.js";

/** DeepL has no operator options: each tenant brings its own key, saved as settings (manifest.ts). */
export type DeepLSettings = SettingsOf<typeof manifest>;

export type DeepLRuntime = PluginRuntime<DeepLSettings, undefined>;
