import { z } from "zod";
import { DATA_CATEGORIES, PURPOSES } from "../privacy/taxonomy.js";
import { ADEQUATE, EEA as EEA_CODES } from "./regions.js";

const country = z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code such as DE or US");
const category = z.enum(Object.keys(DATA_CATEGORIES) as [string, ...string[]], {
  message: "must be a category of src/privacy/taxonomy.ts",
});
const purpose = z.enum(Object.keys(PURPOSES) as [string, ...string[]], { message: "must be a purpose of src/privacy/taxonomy.ts" });

/** What a plugin declares about itself. The host refuses to start with a broken one. */
const ManifestSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, "must be lower-case letters, digits and dashes"),
    name: z.string().min(1).max(80),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, "must be a semantic version such as 1.2.0"),
    description: z.string().min(1).max(500),
    vendor: z.object({ legalName: z.string().min(1), country }),
    /** Where the vendor processes the data. */
    processingLocations: z.array(country).min(1),
    transferMechanism: z.enum(["EEA", "ADEQUACY", "SCC"]),
    dataCategories: z.array(category).min(1),
    purposes: z.array(z.object({ purpose, legalBasis: z.enum(["CONTRACT", "LEGAL_OBLIGATION", "LEGITIMATE_INTEREST", "CONSENT"]) })).min(1),
    /**
     * How long the vendor keeps the data: not at all, a number of days,
     * AS_SOURCE for a copy kept in sync with the helpdesk's own data (a search
     * index): it goes when the source goes, by the retention rules or erasure;
     * or TENANT_ACCOUNT when the vendor is the tenant's own account (its mail
     * provider): the data stays there as long as the tenant keeps it, under the
     * tenant's own agreement with that provider.
     */
    retention: z.union([
      z.object({ kind: z.literal("TRANSIENT") }),
      z.object({ kind: z.literal("DAYS"), days: z.number().int().positive() }),
      z.object({ kind: z.literal("AS_SOURCE") }),
      z.object({ kind: z.literal("TENANT_ACCOUNT") }),
    ]),
    dpaUrl: z.string().url(),
    config: z.array(
      z.object({
        key: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/),
        label: z.string().min(1),
        secret: z.boolean().default(false),
        required: z.boolean().default(true),
        description: z.string().optional(),
        /**
         * "url": a place the server will call (a vendor's API base, a cluster). Saving it and
         * every connection to it pass the outbound address guard (src/outbound/).
         */
        type: z.enum(["text", "url"]).optional(),
      }),
    ),
    /** True when the plugin or its vendor keeps personal data: it must then provide an erase hook. */
    storesData: z.boolean(),
    /**
     * Whether the vendor uses what it receives to train or improve its models.
     * Required of every plugin that processes for ai.assistance; shown in the
     * record of processing and the plugin list.
     */
    trainsOnCustomerData: z.boolean().optional(),
    /**
     * Configured by the operator from the environment and used for every tenant
     * (billing): tenants neither configure nor enable it, and it is not in their plugin list.
     */
    operatorManaged: z.boolean().optional(),
  })
  .superRefine((m, ctx) => {
    if (m.purposes.some((p) => p.purpose === "ai.assistance") && m.trainsOnCustomerData === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["trainsOnCustomerData"],
        message: "a plugin for ai.assistance must say whether its vendor trains on what it receives",
      });
    }
    const outside = m.processingLocations.filter((c) => !EEA_CODES.has(c));
    if (m.transferMechanism === "EEA" && outside.length) {
      ctx.addIssue({
        code: "custom",
        path: ["transferMechanism"],
        message: `processes in ${outside.join(", ")}: EEA is not a valid transfer mechanism`,
      });
    }
    // An adequacy decision covers named countries only: anywhere else needs SCCs (art. 46).
    const notAdequate = outside.filter((c) => !ADEQUATE.has(c));
    if (m.transferMechanism === "ADEQUACY" && notAdequate.length) {
      ctx.addIssue({
        code: "custom",
        path: ["transferMechanism"],
        message: `processes in ${notAdequate.join(", ")}, which has no EU adequacy decision: ADEQUACY is not a valid transfer mechanism`,
      });
    }
  });

export type PluginManifest = z.infer<typeof ManifestSchema>;

export class ManifestError extends Error {}

/** Validates a manifest, naming the plugin and every problem. */
export function validateManifest(raw: unknown, source: string): PluginManifest {
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(manifest)"}: ${i.message}`).join("\n");
    throw new ManifestError(`Plugin manifest ${source} is invalid:\n${problems}`);
  }
  return parsed.data;
}

/** One per-tenant setting a manifest declares. */
type SettingField = PluginManifest["config"][number];

/**
 * A manifest whose settings keep their keys as literal types, so that the
 * plugin's code reads `runtime.settings.accountSid` typed
 * (SettingsOf<typeof manifest>, src/plugin-host/plugin.ts). Data only: the
 * registry still validates it at start.
 */
export function defineManifest<const C extends readonly SettingField[]>(
  manifest: Omit<PluginManifest, "config"> & { config: C },
): PluginManifest & { config: C } {
  return manifest as PluginManifest & { config: C };
}
