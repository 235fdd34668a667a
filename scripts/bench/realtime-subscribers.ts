// graphql-ws subscribers on a thread of their own (started by bench-realtime.ts):
// one WebSocket each, as separate partner processes would have. Records, for every
// event each subscriber receives, the event's seq and how long after the server
// recorded it (occurredAt) it arrived.
import { parentPort, workerData } from "node:worker_threads";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export interface SubscribersSpec {
  /** Where to connect, and how many subscribers on each. */
  targets: { url: string; count: number }[];
  apiKey: string;
  selection: string;
}

export type SubscribersCommand = { type: "status" } | { type: "collect"; afterSeq: number } | { type: "close" };

export interface SubscribersStatus {
  connected: number;
  /** Subscribers that have received at least one event. */
  live: number;
  /** The highest seq every subscriber has received. */
  minLastSeq: number;
  errors: string[];
}

export interface Collected {
  /** Delivery latencies (ms), one per event per subscriber. */
  latencies: number[];
  /** When the first and last measured events arrived (ms since the epoch). */
  firstAt: number;
  lastAt: number;
}

const spec = workerData as SubscribersSpec;
const clients: Client[] = [];
const lastSeq: number[] = [];
const received: { seq: number; latency: number; at: number }[] = [];
const errors = new Set<string>();
let connected = 0;

/** Why a subscription ended: an Error, a CloseEvent, or GraphQL errors. */
const describe = (err: unknown) =>
  err instanceof Error
    ? err.message
    : typeof (err as { code?: unknown })?.code === "number"
      ? `closed ${(err as { code: number; reason: string }).code} ${(err as { reason: string }).reason}`
      : JSON.stringify(err).slice(0, 200);

function open(url: string): Promise<void> {
  const index = clients.length;
  lastSeq.push(0);
  return new Promise<void>((resolve) => {
    const client = createClient({
      url: url.replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${spec.apiKey}` },
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => {
          connected++;
          resolve();
        },
        closed: (e) => {
          const { code } = e as { code?: number };
          if (code !== 1000) errors.add(describe(e));
          resolve();
        },
      },
    });
    clients.push(client);
    client.subscribe<{ ticketEvents: { seq: number; occurredAt: string } }>(
      { query: `subscription { ticketEvents(filter: { types: [TICKET_UPDATED] }) { ${spec.selection} } }` },
      {
        next: (result) => {
          const now = Date.now();
          const e = result.data?.ticketEvents;
          if (!e) {
            errors.add(JSON.stringify(result.errors).slice(0, 200));
            return;
          }
          lastSeq[index] = e.seq;
          received.push({ seq: e.seq, latency: now - Date.parse(e.occurredAt), at: now });
        },
        error: (err) => errors.add(describe(err)),
        complete: () => {},
      },
    );
  });
}

// Connections open in batches, as partners' processes would start: a thousand
// handshakes in the same millisecond measure the accept queue, not the fan-out.
const BATCH = 50;
const opening = (async () => {
  for (const target of spec.targets) {
    for (let i = 0; i < target.count; i += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, target.count - i) }, () => open(target.url)));
    }
  }
})();

parentPort!.on("message", async (command: SubscribersCommand) => {
  if (command.type === "status") {
    const status: SubscribersStatus = {
      connected,
      live: lastSeq.filter((s) => s > 0).length,
      minLastSeq: Math.min(...lastSeq),
      errors: [...errors].slice(0, 5),
    };
    parentPort!.postMessage(status);
  } else if (command.type === "collect") {
    const measured = received.filter((r) => r.seq > command.afterSeq);
    const collected: Collected = {
      latencies: measured.map((r) => r.latency),
      firstAt: Math.min(...measured.map((r) => r.at)),
      lastAt: Math.max(...measured.map((r) => r.at)),
    };
    parentPort!.postMessage(collected);
  } else {
    await opening;
    await Promise.all(clients.map((c) => c.dispose()));
    parentPort!.postMessage("closed");
  }
});
parentPort!.postMessage("started");
