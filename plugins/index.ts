import type { AnyPlugin } from "../src/plugin-host/plugin.js";
import { deepL } from "./deepl/index.js";
import { elasticsearch } from "./elasticsearch/index.js";
import { openAi } from "./openai/index.js";
import { s3Storage } from "./s3-storage/index.js";
import { stripeBilling } from "./stripe-billing/index.js";
import { twilioSms } from "./twilio-sms/index.js";

/** The plugins this distribution ships. Each lives in plugins/<id>/. */
export const shippedPlugins: AnyPlugin[] = [deepL, elasticsearch, openAi, s3Storage, stripeBilling, twilioSms];

/** The search:reindex command's work (src/cli/search-reindex.ts), loaded only when that command runs. */
export const loadSearchReindex = () => import("./elasticsearch/cli.js");
