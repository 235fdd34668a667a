import { defineManifest } from "../../src/plugin-host/manifest.js";
import { isEea } from "../../src/plugin-host/regions.js";
import type { ElasticsearchOptions } from "./options.js";

export const ELASTICSEARCH = "elasticsearch";

// The cluster is the operator's, so where it runs is an option (ELASTICSEARCH_REGION), and the
// transfer mechanism follows from it. Why the rest: README.md, "What goes where".
export const manifest = ({ region }: ElasticsearchOptions) =>
  defineManifest({
    id: ELASTICSEARCH,
    name: "Elasticsearch",
    version: "1.1.0",
    description:
      "Search tickets, messages (with the text of their files) and contacts in your own Elasticsearch cluster, with per-language analysis and typo tolerance. Changes reach the index through a durable queue; the built-in PostgreSQL search serves until the first index is complete.",
    vendor: { legalName: "Operator-run Elasticsearch cluster (self-hosted or Elastic Cloud)", country: region },
    processingLocations: [region],
    transferMechanism: isEea(region) ? "EEA" : "SCC",
    dataCategories: ["user.name", "user.contact.email", "user.contact.phone", "user.content.message", "user.content.attachment"],
    purposes: [{ purpose: "support", legalBasis: "CONTRACT" }],
    retention: { kind: "AS_SOURCE" },
    dpaUrl: "https://www.elastic.co/legal/dpa",
    config: [
      {
        key: "node",
        label: "Cluster URL",
        secret: false,
        required: true,
        type: "url",
        description: "https://search.example.com:9200 or your Elastic Cloud endpoint",
      },
      {
        key: "apiKey",
        label: "API key",
        secret: true,
        required: true,
        description: "An Elasticsearch API key (base64 id:key) allowed to manage and write the index prefix",
      },
      {
        key: "indexPrefix",
        label: "Index prefix",
        secret: false,
        required: false,
        description: "Indices are named <prefix>-<tenant id>-v<n> behind the alias <prefix>-<tenant id>; default deskgraph",
      },
    ],
    storesData: true,
  });
