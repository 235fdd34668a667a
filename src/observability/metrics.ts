import { getOperationAST, type DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../db/database.js";
import { sequencerLag, type SequencerLag } from "../sequencer/lag.js";

/**
 * Distinct operation names one instance labels metrics with. Names are chosen
 * by clients: past this many, further ones count as "other", so that a client
 * sending a new name with every request cannot grow the metrics without end.
 */
const MAX_OPERATION_NAMES = 200;

/** What the instance reports on /metrics: Prometheus text, one registry per server. */
export interface Metrics {
  registry: Registry;
  /** Counts and times GraphQL requests over HTTP, and counts errors by code. */
  plugin(): Plugin;
  /** What the WebSocket endpoint reports (src/events/ws.ts). */
  sockets: SocketObserver;
  /** Told by the sequencer after each run that numbered events: how long each waited, in seconds. */
  eventsNumbered(waitedSeconds: number[]): void;
}

/** Told by the WebSocket endpoint about connections and the operations on them. */
export interface SocketObserver {
  opened(): void;
  closed(): void;
  /** An operation starts on a socket; the function returned is called once when it ends. */
  operation(document: DocumentNode, operationName?: string | null): () => void;
}

/** Gauges read in one scrape share one reading of the database. */
const SNAPSHOT_REUSE_MS = 1000;

interface Snapshot {
  webhooks: number;
  search: number;
  lag: SequencerLag;
}

async function readSnapshot(database: Database, log: Logger): Promise<Snapshot | null> {
  if (!database.health.available) return null;
  try {
    const [queues] = await database.background(
      () => database.prisma.$queryRaw<{ webhooks: number; search: number }[]>`
        SELECT (SELECT count(*) FROM "WebhookDelivery" WHERE "status" = 'PENDING')::int AS webhooks,
               (SELECT count(*) FROM "SearchIndexOutbox")::int AS search`,
    );
    return { webhooks: queues?.webhooks ?? 0, search: queues?.search ?? 0, lag: await sequencerLag(database) };
  } catch (err) {
    if (!database.health.isOutage(err)) log.warn({ err }, "metrics could not read the queue depths");
    return null;
  }
}

interface Timing {
  started: bigint;
  type: string;
  name: string;
}

/** The label of an operation's name: the name, or "anonymous", or "other" once MAX_OPERATION_NAMES are in use. */
function nameLabel(seen: Set<string>, name: string | undefined): string {
  if (!name) return "anonymous";
  if (seen.has(name)) return name;
  if (seen.size >= MAX_OPERATION_NAMES) return "other";
  seen.add(name);
  return name;
}

export function createMetrics(database: Database, log: Logger): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: "deskgraph_graphql_requests_total",
    help: "GraphQL requests over HTTP, by operation type and name and by HTTP status",
    labelNames: ["operation_type", "operation_name", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "deskgraph_graphql_request_duration_seconds",
    help: "Time from receiving a GraphQL request over HTTP to its response (for subscriptions over SSE: to the response head)",
    labelNames: ["operation_type", "operation_name"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: "deskgraph_graphql_errors_total",
    help: "Errors in GraphQL responses over HTTP, by extensions.code",
    labelNames: ["code"] as const,
    registers: [registry],
  });

  // Read from the database once per scrape (each gauge's collect awaits the same reading).
  let reading: { at: number; snapshot: Promise<Snapshot | null> } | undefined;
  const snapshot = () => {
    if (!reading || Date.now() - reading.at > SNAPSHOT_REUSE_MS) reading = { at: Date.now(), snapshot: readSnapshot(database, log) };
    return reading.snapshot;
  };
  const fromSnapshot = (name: string, help: string, pick: (s: Snapshot) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        // During an outage the value stays as last seen; deskgraph_database_up says why.
        const s = await snapshot();
        if (s) this.set(pick(s));
      },
    });
  new Gauge({
    name: "deskgraph_database_up",
    help: "1 while the database answers, else 0",
    registers: [registry],
    collect() {
      this.set(database.health.available ? 1 : 0);
    },
  });
  fromSnapshot("deskgraph_webhook_deliveries_pending", "Webhook deliveries waiting to be sent or retried (all tenants)", (s) => s.webhooks);
  fromSnapshot("deskgraph_search_outbox_depth", "Documents waiting to be sent to an external search index (all tenants)", (s) => s.search);
  fromSnapshot(
    "deskgraph_sequencer_unsealed_rows",
    "Committed audit entries and events not yet numbered by the sequencer",
    (s) => s.lag.unsealed,
  );
  fromSnapshot(
    "deskgraph_sequencer_oldest_unsealed_seconds",
    "Age of the oldest committed row waiting for the sequencer (0: none waits)",
    (s) => s.lag.oldestSeconds,
  );
  new Gauge({
    name: "deskgraph_db_pool_connections",
    help: "Connections of the PostgreSQL server pool by state (in_use, idle, waiting: requests waiting for one); absent on the embedded database",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const stats = database.poolStats();
      if (!stats) return;
      this.set({ state: "in_use" }, stats.total - stats.idle);
      this.set({ state: "idle" }, stats.idle);
      this.set({ state: "waiting" }, stats.waiting);
    },
  });

  const sockets = new Gauge({
    name: "deskgraph_websocket_connections",
    help: "Open GraphQL WebSocket connections whose credentials were accepted",
    registers: [registry],
  });
  const socketOperations = new Counter({
    name: "deskgraph_websocket_operations_total",
    help: "Operations started over WebSocket (subscriptions, and queries or mutations sent on a socket), by type and name",
    labelNames: ["operation_type", "operation_name"] as const,
    registers: [registry],
  });
  const subscriptions = new Gauge({
    name: "deskgraph_subscriptions_active",
    help: "Subscriptions open over WebSocket",
    registers: [registry],
  });

  const numberingDelay = new Histogram({
    name: "deskgraph_event_numbering_delay_seconds",
    help:
      "Events numbered by this instance's sequencer, by the time from the write of each to its numbering: " +
      "an upper bound of commit to numbered (it counts what the transaction did after the write too)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  const names = new Set<string>();
  return {
    registry,
    eventsNumbered(waitedSeconds) {
      for (const seconds of waitedSeconds) numberingDelay.observe(Math.max(0, seconds));
    },
    sockets: {
      opened: () => sockets.inc(),
      closed: () => sockets.dec(),
      operation(document, operationName) {
        const type = getOperationAST(document, operationName)?.operation ?? "unknown";
        socketOperations.inc({
          operation_type: type,
          operation_name: nameLabel(names, getOperationAST(document, operationName)?.name?.value),
        });
        if (type !== "subscription") return () => {};
        subscriptions.inc();
        let open = true;
        return () => {
          if (open) subscriptions.dec();
          open = false;
        };
      },
    },
    plugin(): Plugin {
      const timings = new WeakMap<Request, Timing>();
      // The operation is known once it is parsed; requests refused before (body, parse errors) stay "unknown".
      const named = (request: Request | undefined, document: DocumentNode, operationName?: string | null) => {
        const timing = request && timings.get(request);
        if (!timing) return;
        const operation = getOperationAST(document, operationName);
        timing.type = operation?.operation ?? "unknown";
        timing.name = nameLabel(names, operation?.name?.value);
      };
      return {
        onRequest({ request, url }) {
          if (url.pathname !== "/graphql") return;
          timings.set(request, { started: process.hrtime.bigint(), type: "unknown", name: "anonymous" });
        },
        onExecute({ args }) {
          named((args.contextValue as { request?: Request }).request, args.document, args.operationName);
        },
        onSubscribe({ args }) {
          named((args.contextValue as { request?: Request }).request, args.document, args.operationName);
        },
        onResultProcess({ request, result }) {
          if (!timings.has(request)) return;
          // A stream's errors come event by event; counted here are those of single results.
          for (const one of Array.isArray(result) ? result : [result]) {
            const list = (one as { errors?: readonly { extensions?: { code?: unknown } }[] })?.errors;
            for (const e of list ?? [])
              errors.inc({ code: typeof e.extensions?.code === "string" ? e.extensions.code : "INTERNAL_SERVER_ERROR" });
          }
        },
        onResponse({ request, response }) {
          const timing = timings.get(request);
          if (!timing) return;
          const labels = { operation_type: timing.type, operation_name: timing.name };
          duration.observe(labels, Number(process.hrtime.bigint() - timing.started) / 1e9);
          requests.inc({ ...labels, status: String(response.status) });
        },
      };
    },
  };
}
