import { z } from "zod";
import { envOptions } from "../../src/plugin-host/options.js";
import type { PluginRuntime, SettingsOf } from "../../src/plugin-host/plugin.js";
import type { manifest } from "./manifest.js";

/**
 * The operator's options, read once from the environment at start: where the
 * clusters run (the manifest's processing location) and how often queued
 * changes are looked for.
 */
export const options = envOptions(
  {
    ELASTICSEARCH_REGION: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code such as DE")
      .default("DE"),
    // A safety net: committed events wake the worker at once.
    ELASTICSEARCH_OUTBOX_POLL_MS: z.coerce.number().int().positive().default(5000),
  },
  (e) => ({ region: e.ELASTICSEARCH_REGION, outboxPollMs: e.ELASTICSEARCH_OUTBOX_POLL_MS }),
);
export type ElasticsearchOptions = ReturnType<typeof options.parse>;

/** Each tenant's cluster, key and index prefix (manifest.ts declares them). */
export type ElasticsearchSettings = SettingsOf<ReturnType<typeof manifest>>;

/** What the plugin's code receives for one tenant. */
export type ElasticsearchRuntime = PluginRuntime<ElasticsearchSettings, ElasticsearchOptions>;
