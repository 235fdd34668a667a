import Stripe from "stripe";
import { startApp, type TestApp } from "../../../test/support/app.js";
import { startStripeApi } from "./stripe-api-stand-in.js";

export interface StripeKeys {
  secretKey: string;
  webhookSecret: string;
}

export interface BillingTestApp {
  app: TestApp;
  /** The local stand-in of Stripe's API the server's SDK talks to. */
  api: Awaited<ReturnType<typeof startStripeApi>>;
  /** Posts an event to the webhook as Stripe does: signed with the SDK's test-header helper (or as told). */
  deliver(event: object, opts?: { secret?: string; timestamp?: number; signature?: string | null }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

// Only for its webhook helpers: never sends a request.
const sdk = new Stripe("sk_test_unused");

/** The real server with billing on, its Stripe SDK pointed at a stand-in on 127.0.0.1. */
export async function startBillingApp(keys: StripeKeys, env: Record<string, string>): Promise<BillingTestApp> {
  const api = await startStripeApi(keys.secretKey);
  const app = await startApp({
    STRIPE_SECRET_KEY: keys.secretKey,
    STRIPE_WEBHOOK_SECRET: keys.webhookSecret,
    STRIPE_API_URL: api.url,
    ...env,
  });
  const webhookUrl = app.url.replace(/\/graphql$/, "/billing/stripe/webhook");
  return {
    app,
    api,
    async deliver(event, opts = {}) {
      const payload = JSON.stringify(event);
      const signature =
        opts.signature !== undefined
          ? opts.signature
          : sdk.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? keys.webhookSecret, timestamp: opts.timestamp });
      const res = await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...(signature ? { "stripe-signature": signature } : {}) },
        body: payload,
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as any };
    },
    async close() {
      await app.close();
      await api.close();
    },
  };
}
