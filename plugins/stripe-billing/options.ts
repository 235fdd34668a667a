import { z } from "zod";
import { ConfigError, flag } from "../../src/config.js";
import { envOptions } from "../../src/plugin-host/options.js";

/** The operator's Stripe account; null when STRIPE_SECRET_KEY is unset (billing is off). */
export interface StripeOptions {
  secretKey: string;
  /** The webhook endpoint's signing secret. */
  webhookSecret: string;
  /** Where the SDK sends requests instead of https://api.stripe.com (tests, an egress proxy). */
  apiUrl?: string;
  /** Let Stripe Tax compute tax on checkouts. */
  tax: boolean;
}

/**
 * Read from the environment at start. Stripe is all or nothing: a key without
 * its webhook secret, or without the plans it sells (the core's
 * BILLING_PLANS_FILE), would half-work, and so would either of those without a key.
 */
export const options = envOptions(
  {
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_\w+$/, "must be a Stripe secret or restricted key (sk_live_…, rk_live_…)")
      .optional(),
    STRIPE_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_\w+$/, "must be a webhook signing secret (whsec_…)")
      .optional(),
    STRIPE_API_URL: z.string().url().optional(),
    STRIPE_TAX: flag.default(false),
  },
  (e, env): StripeOptions | null => {
    const plansFile = env.BILLING_PLANS_FILE;
    if (!e.STRIPE_SECRET_KEY) {
      const stray = (["STRIPE_WEBHOOK_SECRET", "STRIPE_API_URL"] as const).filter((k) => e[k]);
      const problems = [...stray, ...(plansFile ? ["BILLING_PLANS_FILE"] : [])];
      if (problems.length)
        throw new ConfigError(problems.map((k) => `${k}: set STRIPE_SECRET_KEY too, or unset it (billing is off without a Stripe key)`));
      return null;
    }
    const problems: string[] = [];
    if (!e.STRIPE_WEBHOOK_SECRET)
      problems.push("STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY (the endpoint's signing secret, whsec_…)");
    if (!plansFile)
      problems.push(
        "BILLING_PLANS_FILE: required with STRIPE_SECRET_KEY (your plans and their Stripe price ids; see config/plans.example.json)",
      );
    if (problems.length) throw new ConfigError(problems);
    return { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET!, apiUrl: e.STRIPE_API_URL, tax: e.STRIPE_TAX };
  },
);
