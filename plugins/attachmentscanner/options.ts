import type { PluginRuntime, SettingsOf } from "../../src/plugin-host/plugin.js";
import type { manifest } from "./manifest.js";

/** AttachmentScanner has no operator options: each tenant brings its own scanner's token (manifest.ts declares the settings). */
export type AttachmentScannerSettings = SettingsOf<typeof manifest>;

/** What the plugin's code receives for one tenant. */
export type AttachmentScannerRuntime = PluginRuntime<AttachmentScannerSettings, undefined>;
