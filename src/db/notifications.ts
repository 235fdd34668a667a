import { randomUUID } from "node:crypto";
import type { EmbeddedConnection } from "./embedded/thread.js";
import pg from "pg";
import type { Logger } from "pino";

/** What a listener tells its owner. */
export interface NotificationHandlers {
  /** A notification on the channel. */
  message(payload: string): void;
  /** Listening (again). Whatever was sent while not listening has been missed. */
  up(): void;
  /** No longer listening: from now on notifications may be missed, until up(). */
  down(): void;
}

export interface NotificationListener {
  readonly listening: boolean;
  /**
   * Resolves true once every notification committed before the call has been
   * handed to `message`: a marker sent now comes back after them, because
   * PostgreSQL delivers notifications to a session in commit order. Resolves
   * false when not listening, or when the marker does not come back in time
   * (the connection is then treated as lost).
   */
  sync(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** How often the connection proves it still delivers (a marker sent and received). */
  heartbeatMs?: number;
  /** How long a marker may take to come back before the connection counts as lost. */
  timeoutMs?: number;
}

/** Marker payloads that sync() sends itself; every instance sees them, only the sender waits. */
const MARKER = "sync:";

class Markers {
  private readonly prefix = `${MARKER}${randomUUID()}:`;
  private readonly waiting = new Map<string, () => void>();
  private next = 0;

  create(): { payload: string; arrived: Promise<void>; cancel(): void } {
    const payload = `${this.prefix}${++this.next}`;
    const arrived = new Promise<void>((resolve) => this.waiting.set(payload, resolve));
    return { payload, arrived, cancel: () => this.waiting.delete(payload) };
  }

  /** True if the payload is a marker (this instance's or another's), not a message. */
  take(payload: string): boolean {
    if (!payload.startsWith(MARKER)) return false;
    this.waiting.get(payload)?.();
    return true;
  }
}

const within = <T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

/**
 * LISTEN on a PostgreSQL server, over a connection of its own (a pooled
 * connection would lose it). The connection can drop, or go silent without
 * dropping: both count as down (a heartbeat marker catches the second), and it
 * is opened again with a growing delay, up to five seconds. Resolves after the
 * first attempt, connected or not.
 */
export async function listenOnServer(
  connectionString: string,
  channel: string,
  handlers: NotificationHandlers,
  log: Logger,
  { heartbeatMs = 10_000, timeoutMs = 5_000 }: ListenOptions = {},
): Promise<NotificationListener> {
  const markers = new Markers();
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retryMs = 250;
  let retry: NodeJS.Timeout | undefined;

  const lost = (c: pg.Client, reason: string) => {
    if (client !== c) return;
    client = undefined;
    listening = false;
    handlers.down();
    c.end().catch(() => {});
    if (closed) return;
    log.warn({ channel, reason, retryMs }, "notification listener down; listening again shortly");
    retry = setTimeout(() => void connect(), retryMs);
    retry.unref();
    retryMs = Math.min(retryMs * 2, 5_000);
  };

  const connect = async () => {
    const c = new pg.Client({ connectionString, keepAlive: true, application_name: "deskgraph-listener" });
    client = c;
    c.on("notification", (n) => {
      if (n.channel === channel && !markers.take(n.payload ?? "")) handlers.message(n.payload ?? "");
    });
    c.on("error", (err) => lost(c, err.message));
    c.on("end", () => lost(c, "connection ended"));
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
    } catch (err) {
      lost(c, (err as Error).message);
      return;
    }
    if (client !== c || closed) return;
    if (retryMs > 250) log.info({ channel }, "notification listener back");
    listening = true;
    retryMs = 250;
    handlers.up();
  };

  const sync = async (): Promise<boolean> => {
    const c = client;
    if (!listening || !c) return false;
    const marker = markers.create();
    try {
      const sent = c.query("SELECT pg_notify($1, $2)", [channel, marker.payload]).then(
        () => true,
        () => false,
      );
      const back = await within(
        sent.then((ok) => (ok ? marker.arrived.then(() => true) : false)),
        timeoutMs,
        false,
      );
      if (!back) lost(c, "a marker did not come back");
      return back;
    } finally {
      marker.cancel();
    }
  };

  const heartbeat = setInterval(() => void sync(), heartbeatMs);
  heartbeat.unref();
  await connect();
  return {
    get listening() {
      return listening;
    },
    sync,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(retry);
      const c = client;
      client = undefined;
      listening = false;
      handlers.down();
      await c?.end().catch(() => {});
    },
  };
}

/**
 * LISTEN in the embedded database. Every instance over one PGlite is in this
 * process and sees its notifications (PGlite hands them out as it reads each
 * statement's results); there is no connection to lose.
 */
export async function listenOnEmbedded(
  db: EmbeddedConnection,
  channel: string,
  handlers: NotificationHandlers,
): Promise<NotificationListener> {
  const markers = new Markers();
  const unlisten = await db.listen(channel, (payload) => {
    if (!markers.take(payload)) handlers.message(payload);
  });
  let listening = true;
  handlers.up();
  return {
    get listening() {
      return listening;
    },
    async sync() {
      if (!listening) return false;
      const marker = markers.create();
      try {
        await db.query("SELECT pg_notify($1, $2)", [channel, marker.payload]);
        return await within(
          marker.arrived.then(() => true),
          5_000,
          false,
        );
      } catch {
        return false;
      } finally {
        marker.cancel();
      }
    },
    async close() {
      if (!listening) return;
      listening = false;
      handlers.down();
      // The database may already be closed; there is nothing left to unlisten from then.
      await unlisten().catch(() => {});
    },
  };
}
