import type { BillingConfig } from "../config.js";
import type { BillingProvider } from "./provider.js";

/** Billing as the server runs it: present only when the operator configured plans and a billing provider. */
export interface BillingHost {
  /** The plugin that provides it, for the call log (stripe-billing). */
  pluginId: string;
  provider: BillingProvider;
  config: BillingConfig;
}
