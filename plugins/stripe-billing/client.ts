import type Stripe from "stripe";
import { lazyModule } from "../../src/lazy-module.js";

/** The SDK, loaded when the plugin first talks to Stripe (see lazyModule). */
export const stripeSdk = lazyModule<typeof import("stripe")>("stripe");

/**
 * The official SDK's client for the operator's account. STRIPE_API_URL sends
 * its requests elsewhere through the SDK's own host, port and protocol
 * options (tests, an egress proxy). The SDK retries network failures and 5xx
 * answers itself, with the same idempotency key each time.
 */
export function stripeClient(options: { secretKey: string; apiUrl?: string }): Stripe {
  const config: Stripe.StripeConfig = { maxNetworkRetries: 2, timeout: 20_000, appInfo: { name: "Deskgraph" }, telemetry: false };
  if (options.apiUrl) {
    const url = new URL(options.apiUrl);
    const protocol = url.protocol === "http:" ? "http" : "https";
    Object.assign(config, { host: url.hostname, port: Number(url.port || (protocol === "http" ? 80 : 443)), protocol });
  }
  const { Stripe: StripeClient } = stripeSdk();
  return new StripeClient(options.secretKey, config);
}
