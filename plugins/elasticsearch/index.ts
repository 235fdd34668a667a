import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { searchBackendFor } from "./backend.js";
import { clientFactory, type ConnectionClass } from "./client.js";
import { dropIndexOnDisable } from "./disable.js";
import { eraseFromIndex } from "./erase.js";
import { buildManifest, readEnv } from "./manifest.js";
import { OutboxWorker, type OutboxWorkerOptions } from "./outbox.js";

export interface ElasticsearchPluginOptions extends Partial<OutboxWorkerOptions> {
  /** The client's Connection class; tests pass @elastic/elasticsearch-mock's. */
  Connection?: ConnectionClass;
  /** Called with the started worker (tests drive it). */
  onWorker?: (worker: OutboxWorker) => void;
}

/**
 * Elasticsearch: tickets, messages and contacts searchable in the tenant's
 * own cluster. Changes reach it through the SearchIndexOutbox table (filled by
 * triggers, drained by the worker started with the server); the first full
 * index is built by that worker when the plugin is enabled, and rebuilt with
 * `npm run search:reindex -- --tenant <slug>`.
 */
export function elasticsearchPlugin(options: ElasticsearchPluginOptions = {}): PluginDefinition {
  const env = readEnv();
  const clientFor = clientFactory(options.Connection);
  const def: PluginDefinition = {
    manifest: buildManifest(env),
    searchBackend: (runtime) => searchBackendFor(runtime, clientFor),
    erase: (runtime, subject) => eraseFromIndex(runtime, clientFor, subject),
    onDisable: (runtime) => dropIndexOnDisable(runtime, clientFor),
    start(services) {
      const worker = new OutboxWorker(services, def, clientFor, { pollMs: options.pollMs ?? env.ELASTICSEARCH_OUTBOX_POLL_MS, ...options }).start();
      options.onWorker?.(worker);
      return worker;
    },
  };
  return def;
}

export const elasticsearch = elasticsearchPlugin();

