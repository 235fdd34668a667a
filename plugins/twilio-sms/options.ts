import type { PluginRuntime, SettingsOf } from "../../src/plugin-host/plugin.js";
import type { manifest } from "./manifest.js";

/**
 * Twilio has no operator options: everything it needs is the tenant's own
 * Twilio account, saved as settings (declared in manifest.ts).
 */
export type TwilioSettings = SettingsOf<typeof manifest>;

/** What the plugin's code receives for one tenant. */
export type TwilioRuntime = PluginRuntime<TwilioSettings, undefined>;
