import { createHash } from "node:crypto";
import type { BaseConnection, Client } from "@elastic/elasticsearch";
import { isAddressRefusal, type OutboundGuard } from "../../src/outbound/guard.js";
import type { ElasticsearchSettings } from "./options.js";

/**
 * Where the official client sends its requests. Production passes nothing (the
 * client's own HTTP connection); tests pass @elastic/elasticsearch-mock's
 * Connection, which answers in-process, so the code under test is the same.
 */
export type ConnectionClass = typeof BaseConnection;

/**
 * One client (one keep-alive pool) per cluster and key, per plugin instance and guard.
 * The client is 8.19 on purpose: it sends `compatible-with=8`, which 8.x
 * clusters and (through REST API compatibility) 9.x clusters both accept,
 * while a 9.x client only talks to 9.x. Operators run both.
 *
 * The cluster URL is a tenant's setting, so the client connects through the
 * outbound guard's agents (its HttpConnection takes an agent; the default
 * undici connection offers no place to check the address it connects to), and
 * an IP literal is checked again before the client is built.
 *
 * The SDK (and the HTTP, Arrow and tracing libraries it brings, a fifth of the
 * modules a server would load) is loaded with the first client, not with the server.
 */
export function clientFactory(Connection?: ConnectionClass) {
  const clientsByGuard = new WeakMap<OutboundGuard, Map<string, Client>>();
  return async (settings: ElasticsearchSettings, guard: OutboundGuard): Promise<Client> => {
    const { node, apiKey } = settings;
    if (!node || !apiKey) throw Object.assign(new Error("Elasticsearch is not configured"), { code: "PLUGIN_NOT_CONFIGURED" });
    const url = guard.checkUrlNow(node);
    const key = `${node}|${createHash("sha256").update(apiKey).digest("hex")}`;
    let clients = clientsByGuard.get(guard);
    if (!clients) clientsByGuard.set(guard, (clients = new Map()));
    let client = clients.get(key);
    if (!client) {
      const { Client, HttpConnection } = await import("@elastic/elasticsearch");
      // Looked up again: another call may have built it while the module loaded.
      client = clients.get(key);
      if (client) return client;
      client = new Client({
        node,
        auth: { apiKey },
        // One retry: the outbox retries with backoff, and a search should fail fast.
        maxRetries: 1,
        requestTimeout: 30_000,
        ...(Connection
          ? { Connection }
          : {
              Connection: HttpConnection,
              agent: () => (url.protocol === "https:" ? guard.httpsAgent({ keepAlive: true }) : guard.httpAgent({ keepAlive: true })),
            }),
      });
      if (clients.size > 500) clients.clear();
      clients.set(key, client);
    }
    return client;
  };
}

export type ClientFor = ReturnType<typeof clientFactory>;

/**
 * A stable code for a failed call, without the cluster's text (which can quote
 * documents): ES_HTTP_<status>, ES_UNREACHABLE, or the gateway's code.
 */
// By name, not instanceof: the package ships an ESM and a CommonJS build whose
// error classes differ, and a Connection from the other build throws its own.
export function failureCode(err: unknown): string {
  const e = err as { extensions?: { code?: unknown }; code?: unknown; name?: unknown; meta?: { statusCode?: number } };
  if (typeof e?.extensions?.code === "string") return e.extensions.code;
  if (isAddressRefusal(err)) return "ADDRESS_NOT_ALLOWED";
  if (e?.name === "ResponseError") return `ES_HTTP_${e.meta?.statusCode ?? "?"}`;
  if (e?.name === "ConnectionError" || e?.name === "TimeoutError" || e?.name === "NoLivingConnectionsError") return "ES_UNREACHABLE";
  if (typeof e?.code === "string" && /^[A-Z_]+$/.test(e.code)) return e.code;
  return "ES_ERROR";
}
