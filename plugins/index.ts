import type { PluginDefinition } from "../src/plugin-host/plugin.js";
import { twilioSms } from "./twilio-sms/index.js";

/** The plugins this distribution ships. Each lives in plugins/<id>/. */
export const shippedPlugins: PluginDefinition[] = [twilioSms];
