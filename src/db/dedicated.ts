import pg from "pg";
import type { Logger } from "pino";
import { connectionConfig, type DatabaseTarget } from "./adapter.js";
import { DatabaseUnavailableError, describeOutage } from "./unavailable.js";

export interface DedicatedConnectionOptions {
  target: DatabaseTarget & { databaseUrl: string };
  /** Named in the logs. */
  name: string;
  log: Logger;
  /**
   * Re-establishes what the session holds, after every connection and before
   * it counts as connected (a session lock, settings…). LISTEN channels are
   * re-established by the connection itself. A failure drops the connection
   * and tries again.
   */
  setUp?: (client: pg.Client) => Promise<void>;
  /** The session ended: whatever it held (locks, LISTENs) is gone until it is set up again. */
  onLost?: (err: unknown) => void;
  /** A statement that takes longer fails (the caller decides whether to reset the session); default none. */
  queryTimeoutMs?: number;
  /** First wait before reconnecting; doubles (with jitter) up to retryCapMs. */
  retryBaseMs?: number;
  retryCapMs?: number;
}

type NotificationHandler = (payload: string | undefined) => void;

/** A channel name as an SQL identifier. */
const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * One long-lived PostgreSQL session, for what a pool cannot do: LISTEN, and
 * session-level advisory locks (a worker's leadership). Its errors are always
 * handled (an unhandled 'error' on a pg Client ends the process), and when the
 * session is lost — a restart terminates it — it reconnects with backoff and
 * sets the session up again: LISTEN on every channel, then `setUp`.
 */
export class DedicatedConnection {
  private client?: pg.Client;
  private connecting = false;
  private everConnected = false;
  private attempts = 0;
  private retry?: NodeJS.Timeout;
  private closed = false;
  private readonly channels = new Map<string, Set<NotificationHandler>>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: DedicatedConnectionOptions) {}

  start(): this {
    void this.connect();
    return this;
  }

  /** Connected and set up. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Runs a statement on this session; fails with DatabaseUnavailableError while there is none. */
  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    const client = this.client;
    if (!client) throw new DatabaseUnavailableError(`${this.options.name}: not connected`);
    return (await client.query(sql, params)).rows as T[];
  }

  /**
   * Listens on a channel now (if connected) and after every reconnection.
   * Notifications sent while the session was down are lost: after a
   * reconnection the handler is called once with `undefined`, the cue to read
   * again whatever the notifications would have announced.
   */
  async listen(channel: string, handler: NotificationHandler): Promise<void> {
    let handlers = this.channels.get(channel);
    if (!handlers) {
      this.channels.set(channel, (handlers = new Set()));
      if (this.client) await this.client.query(`LISTEN ${identifier(channel)}`);
    }
    handlers.add(handler);
  }

  /** Resolves once connected and set up (at once if it is), or when `signal` aborts or the connection closes. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.client || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Ends the session (releasing what it holds) and stops reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    for (const done of [...this.waiters]) done();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  /** Drops the session (e.g. it stopped answering) and reconnects: the same as losing it. */
  reset(reason: unknown): void {
    if (this.client) this.lost(this.client, reason);
  }

  private async connect(): Promise<void> {
    if (this.closed || this.client || this.connecting) return;
    this.connecting = true;
    const { name, log } = this.options;
    const client = new pg.Client({ ...connectionConfig(this.options.target), query_timeout: this.options.queryTimeoutMs });
    // Both fire when the session goes: the first one counts (see lost()).
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, new DatabaseUnavailableError(`${name}: connection ended`)));
    client.on("notification", (n) => {
      for (const handler of this.channels.get(n.channel) ?? []) handler(n.payload);
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${identifier(channel)}`);
      await this.options.setUp?.(client);
      if (this.closed) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.attempts = 0;
      if (this.everConnected) {
        log.info({ connection: name }, "dedicated database connection re-established");
        for (const handlers of this.channels.values()) for (const handler of handlers) handler(undefined);
      }
      this.everConnected = true;
      for (const done of [...this.waiters]) done();
    } catch (err) {
      client.removeAllListeners("end");
      await client.end().catch(() => {});
      this.scheduleReconnect(err);
    } finally {
      this.connecting = false;
    }
  }

  private lost(client: pg.Client, err: unknown): void {
    // A failed attempt's client is dealt with in connect(); a lost session only once.
    if (client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => {});
    if (this.closed) return;
    this.options.log.warn({ connection: this.options.name, reason: describeOutage(err) }, "dedicated database connection lost; reconnecting");
    this.options.onLost?.(err);
    this.scheduleReconnect(err);
  }

  private scheduleReconnect(err: unknown): void {
    if (this.closed) return;
    this.attempts++;
    if (this.attempts === 3) this.options.log.warn({ connection: this.options.name, reason: describeOutage(err) }, "dedicated database connection still failing; retrying");
    const step = Math.min(this.options.retryCapMs ?? 5000, (this.options.retryBaseMs ?? 100) * 2 ** (this.attempts - 1));
    clearTimeout(this.retry);
    // Between half and all of the step: instances that lost the server together do not come back in step.
    this.retry = setTimeout(() => void this.connect(), Math.round(step / 2 + (Math.random() * step) / 2));
    this.retry.unref();
  }
}
