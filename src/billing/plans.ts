import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Plans are configuration, not code: the operator lists them in a JSON file
 * (BILLING_PLANS_FILE, see config/plans.example.json) with their Stripe price
 * ids, seats, the plugins each allows and its API rate tier. Changing a
 * price or a limit is an edit and a restart, never a release.
 */

/** An API rate tier: how many GraphQL operations a tenant's callers may send together per minute. */
const RateTierSchema = z
  .object({
    requestsPerMinute: z.number().int().positive().max(1_000_000),
  })
  .strict();

const PlanSchema = z
  .object({
    id: z.string().regex(/^[A-Z][A-Z0-9_]{0,39}$/, "must be upper-case letters, digits and underscores, such as TEAM"),
    name: z.string().min(1).max(80),
    description: z.string().max(500).optional(),
    /** The recurring per-seat Stripe price; absent for the free plan (which cannot be bought). */
    priceId: z
      .string()
      .regex(/^price_\w+$/, "must be a Stripe price id (price_…)")
      .optional(),
    /** Seats of a plan without a price; ignored on paid plans, where the tenant buys a number of seats. */
    seats: z.number().int().positive().optional(),
    minSeats: z.number().int().positive().default(1),
    maxSeats: z.number().int().positive().optional(),
    /** Plugin ids a tenant on this plan may enable, or "*" for all. */
    plugins: z.union([z.literal("*"), z.array(z.string().min(1))]),
    /** The API rate tier: the name of one of the file's rateTiers, enforced per tenant. */
    rateTier: z.string().min(1).max(40),
  })
  .superRefine((p, ctx) => {
    if (!p.priceId && !p.seats) ctx.addIssue({ code: "custom", path: ["seats"], message: "a plan without priceId needs seats" });
    if (p.maxSeats && p.maxSeats < p.minSeats) ctx.addIssue({ code: "custom", path: ["maxSeats"], message: "must be at least minSeats" });
  });

const CatalogSchema = z
  .object({
    /** The plan of a tenant without a (live) subscription. */
    defaultPlan: z.string(),
    /** The API rate tiers plans refer to by name: { "basic": { "requestsPerMinute": 300 }, … }. */
    rateTiers: z.record(z.string().min(1).max(40), RateTierSchema).refine((t) => Object.keys(t).length > 0, "define at least one tier"),
    plans: z.array(PlanSchema).min(1),
  })
  .superRefine((c, ctx) => {
    const ids = c.plans.map((p) => p.id);
    for (const [i, id] of ids.entries()) {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: "custom", path: ["plans", i, "id"], message: `duplicate plan ${id}` });
    }
    const prices = c.plans.flatMap((p) => (p.priceId ? [p.priceId] : []));
    for (const [i, id] of prices.entries()) {
      if (prices.indexOf(id) !== i) ctx.addIssue({ code: "custom", path: ["plans"], message: `two plans use ${id}` });
    }
    const tiers = Object.keys(c.rateTiers);
    c.plans.forEach((p, i) => {
      if (!Object.hasOwn(c.rateTiers, p.rateTier)) {
        ctx.addIssue({
          code: "custom",
          path: ["plans", i, "rateTier"],
          message: `no rate tier "${p.rateTier}" in rateTiers (${tiers.join(", ")})`,
        });
      }
    });
    const fallback = c.plans.find((p) => p.id === c.defaultPlan);
    if (!fallback) ctx.addIssue({ code: "custom", path: ["defaultPlan"], message: `no plan ${c.defaultPlan}` });
    else if (fallback.priceId)
      ctx.addIssue({ code: "custom", path: ["defaultPlan"], message: "the default plan must be free (no priceId)" });
  });

export type Plan = z.infer<typeof PlanSchema>;
export type RateTier = z.infer<typeof RateTierSchema>;

export class PlanCatalog {
  readonly plans: Plan[];
  readonly defaultPlan: Plan;
  readonly rateTiers: Record<string, RateTier>;

  constructor(raw: unknown) {
    const c = CatalogSchema.parse(raw);
    this.plans = c.plans;
    this.defaultPlan = c.plans.find((p) => p.id === c.defaultPlan)!;
    this.rateTiers = c.rateTiers;
  }

  /** The plan's rate tier; the file was checked at start, so every plan's tier exists. */
  rateTierOf(plan: Plan): RateTier {
    return this.rateTiers[plan.rateTier]!;
  }

  get(id: string | null | undefined): Plan | undefined {
    return id ? this.plans.find((p) => p.id === id) : undefined;
  }

  byPrice(priceId: string | null | undefined): Plan | undefined {
    return priceId ? this.plans.find((p) => p.priceId === priceId) : undefined;
  }
}

export const allowsPlugin = (plan: Plan, pluginId: string) => plan.plugins === "*" || plan.plugins.includes(pluginId);

/** Reads and checks a plans file; the message names the file and each problem. */
export function loadPlans(file: string): PlanCatalog {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = CatalogSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return new PlanCatalog(parsed.data);
}
