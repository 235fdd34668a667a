import { z } from "zod";
import type { PluginManifest } from "../../src/plugin-host/manifest.js";
import { isEea } from "../../src/plugin-host/regions.js";

export const ELASTICSEARCH = "elasticsearch";

/**
 * The operator's own settings for this plugin, read once from the environment
 * (like the core's config): where the cluster runs, and how often queued
 * changes are looked for.
 */
const Env = z.object({
  ELASTICSEARCH_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, "ELASTICSEARCH_REGION must be an ISO 3166-1 alpha-2 country code such as DE")
    .default("DE"),
  // A safety net: committed events wake the worker at once.
  ELASTICSEARCH_OUTBOX_POLL_MS: z.coerce.number().int().positive().default(5000),
});
export type ElasticsearchEnv = z.infer<typeof Env>;
/** The variables above by name (test/deployment-files.test.ts checks compose.yaml against them). */
export const OPERATOR_SETTINGS = Object.keys(Env.shape);

export function readEnv(env: NodeJS.ProcessEnv = process.env): ElasticsearchEnv {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

/**
 * What the Elasticsearch plugin sends to the search cluster, where, and for how long.
 *
 * The cluster is not a vendor's service picked by us: it is the operator's or
 * the tenant's own (self-hosted, or an Elastic Cloud deployment in a region
 * they chose). So the processing location is operator configuration,
 * ELASTICSEARCH_REGION, read when the manifest is built (at start: manifests
 * are static, checked once by the registry). The transfer mechanism follows
 * from it: EEA inside the EEA, otherwise standard contractual clauses (the
 * admin must accept that transfer when the tenant requires EU residency).
 *
 * Data: ticket subjects and message bodies, contact names, emails and phone
 * numbers, for answering support requests (CONTRACT). Retention AS_SOURCE: the
 * index is a copy kept in sync through the outbox, so a document goes when its
 * source row goes (deleted, redacted, erased, or by the retention rules); a
 * restricted contact's documents are removed until the restriction is lifted.
 */
export function buildManifest(env: ElasticsearchEnv = readEnv()): PluginManifest {
  const region = env.ELASTICSEARCH_REGION;
  return {
    id: ELASTICSEARCH,
    name: "Elasticsearch",
    version: "1.0.0",
    description:
      "Search tickets, messages and contacts in your own Elasticsearch cluster, with per-language analysis and typo tolerance. Changes reach the index through a durable queue; the built-in PostgreSQL search serves until the first index is complete.",
    vendor: { legalName: "Operator-run Elasticsearch cluster (self-hosted or Elastic Cloud)", country: region },
    processingLocations: [region],
    transferMechanism: isEea(region) ? "EEA" : "SCC",
    dataCategories: ["user.name", "user.contact.email", "user.contact.phone", "user.content.message"],
    purposes: [{ purpose: "support", legalBasis: "CONTRACT" }],
    retention: { kind: "AS_SOURCE" },
    dpaUrl: "https://www.elastic.co/legal/dpa",
    config: [
      { key: "node", label: "Cluster URL", secret: false, required: true, type: "url", description: "https://search.example.com:9200 or your Elastic Cloud endpoint" },
      { key: "apiKey", label: "API key", secret: true, required: true, description: "An Elasticsearch API key (base64 id:key) allowed to manage and write the index prefix" },
      {
        key: "indexPrefix",
        label: "Index prefix",
        secret: false,
        required: false,
        description: "Indices are named <prefix>-<tenant id>-v<n> behind the alias <prefix>-<tenant id>; default deskgraph",
      },
    ],
    storesData: true,
  };
}
