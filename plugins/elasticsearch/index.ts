import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { searchBackendFor } from "./backend.js";
import { clientFactory, type ConnectionClass } from "./client.js";
import { dropIndexOnDisable } from "./disable.js";
import { eraseFromIndex } from "./erase.js";
import { ELASTICSEARCH, manifest } from "./manifest.js";
import { options, type ElasticsearchOptions, type ElasticsearchSettings } from "./options.js";
import { OutboxWorker, type OutboxWorkerOptions } from "./outbox.js";

/** How tests connect and drive the plugin; production passes nothing. */
export interface ElasticsearchWiring extends Partial<OutboxWorkerOptions> {
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
export function elasticsearchPlugin(wiring: ElasticsearchWiring = {}): PluginDefinition<ElasticsearchSettings, ElasticsearchOptions> {
  const clientFor = clientFactory(wiring.Connection);
  return {
    manifest,
    options,
    provides: { searchBackend: (runtime) => searchBackendFor(runtime, clientFor) },
    erase: (runtime, subject) => eraseFromIndex(runtime, clientFor, subject),
    onDisable: (runtime) => dropIndexOnDisable(runtime, clientFor),
    start(services, operator) {
      // The plugin as the registry loaded it (its manifest resolved from the options), for its runtimes.
      const loaded = services.plugins.registry.get(ELASTICSEARCH)!;
      const worker = new OutboxWorker(services, loaded, clientFor, { pollMs: wiring.pollMs ?? operator.outboxPollMs, ...wiring }).start();
      wiring.onWorker?.(worker);
      return worker;
    },
  };
}

export const elasticsearch = elasticsearchPlugin();
