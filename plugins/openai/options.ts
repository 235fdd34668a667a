import type { PluginRuntime, SettingsOf } from "../../src/plugin-host/plugin.js";
import type { manifest } from "./manifest.js";

/** OpenAI has no operator options: each tenant brings its own API key, saved as settings (manifest.ts). */
export type OpenAiSettings = SettingsOf<typeof manifest>;

export type OpenAiRuntime = PluginRuntime<OpenAiSettings, undefined>;
