import type { AnyPlugin } from "../src/plugin-host/plugin.js";
import { attachmentScanner } from "./attachmentscanner/index.js";
import { clamav } from "./clamav/index.js";
import { deepL } from "./deepl/index.js";
import { elasticsearch } from "./elasticsearch/index.js";
import { email } from "./email/index.js";
import { openAi } from "./openai/index.js";
import { s3Storage } from "./s3-storage/index.js";
import { stripeBilling } from "./stripe-billing/index.js";
import { twilioSms } from "./twilio-sms/index.js";
// The GraphQL a plugin adds to the API (the email channel's mailboxes) registers on the schema
// builder when its module loads: src/graphql/schema.ts loads this list before it builds the schema.
import "./email/schema.js";

/** The plugins this distribution ships. Each lives in plugins/<id>/. */
export const shippedPlugins: AnyPlugin[] = [
  attachmentScanner,
  clamav,
  deepL,
  elasticsearch,
  email,
  openAi,
  s3Storage,
  stripeBilling,
  twilioSms,
];

/** The search:reindex command's work (src/cli/search-reindex.ts), loaded only when that command runs. */
export const loadSearchReindex = () => import("./elasticsearch/cli.js");
