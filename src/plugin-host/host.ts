import type { Logger } from "pino";
import type { BillingHost } from "../billing/host.js";
import type { Database } from "../db/database.js";
import type { PluginRegistry } from "./registry.js";
import type { SecretBox } from "./secrets.js";

/** Everything the core needs to reach plugins: which exist, how to open their secrets. */
export interface PluginHost {
  registry: PluginRegistry;
  secrets: SecretBox;
  database: Database;
  log: Logger;
  /** Operator billing (a plugin with billing hooks and Stripe configured); absent: billing is off. */
  billing?: BillingHost;
}
