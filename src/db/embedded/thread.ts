import { Worker } from "node:worker_threads";
import type { Results, Transaction } from "@electric-sql/pglite";
import { workerScript } from "../../worker-script.js";
import { DatabaseUnavailableError } from "../unavailable.js";
import { deserializeError, type Reply, type Request } from "./protocol.js";
import type { WorkerOptions } from "./worker.js";

type Parsers = Record<number, (text: string, typeId: number) => unknown>;
type QueryOptions = { rowMode?: "array" | "object"; parsers?: Parsers };
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;
type Statement = Extract<RequestBody, { op: "query" }>;

/**
 * What the server uses of the embedded database: these calls of PGlite's, as
 * EmbeddedThread answers them.
 */
export interface EmbeddedConnection {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string): Promise<Results[]>;
  transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** Closed, or (the thread's) stopped: every call fails. */
  readonly closed: boolean;
}

/**
 * The embedded database in a worker thread (./worker.ts). PGlite runs each
 * statement synchronously in the thread that calls it; in the server's thread
 * a request's statements and every other request's JavaScript took turns on
 * one core. Here the database has a thread of its own, and the server's
 * event loop runs while a statement does.
 *
 * Calls and answers are messages; rows cross as structured clones. Parsers
 * are functions and cannot cross: a query's custom parsers run here, on the
 * text the thread keeps for their types.
 */
export class EmbeddedThread implements EmbeddedConnection {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();
  private nextId = 1;
  private started = false;
  private stopped?: Error;
  readonly ready: Promise<void>;

  constructor(options: WorkerOptions) {
    const { script, evaluated } = workerScript(import.meta.url, "worker");
    this.worker = new Worker(script, { eval: evaluated, workerData: options });
    let ready!: () => void;
    let failed!: (err: Error) => void;
    this.ready = new Promise((resolve, reject) => ([ready, failed] = [resolve, reject]));
    this.ready.catch(() => {});
    this.worker.on("message", (reply: Reply) => {
      if ("ready" in reply) {
        this.started = true;
        // Up and idle, the thread does not keep the process alive; a call in flight does (see call).
        if (this.pending.size === 0) this.worker.unref();
        return ready();
      }
      if ("failed" in reply) return failed(deserializeError(reply.failed));
      if ("notification" in reply) {
        const { channel, payload } = reply.notification;
        for (const listener of this.listeners.get(channel) ?? []) listener(payload);
        return;
      }
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.settled(reply.id);
      if ("error" in reply) call.reject(deserializeError(reply.error));
      else call.resolve(reply.result);
    });
    const stop = (err: Error) => {
      this.stopped ??= err;
      failed(this.stopped);
      for (const [id, call] of this.pending) {
        this.settled(id);
        call.reject(this.stopped);
      }
    };
    // Not restarted: an in-memory database is gone with it, and a data directory is another process's
    // to recover (a restart of the server). Until then every call answers "unavailable".
    this.worker.on("error", (err) => stop(new DatabaseUnavailableError(`The embedded database stopped: ${err.message}`, { cause: err })));
    this.worker.on("exit", (code) => stop(new DatabaseUnavailableError(`The embedded database stopped (exit code ${code})`)));
  }

  get closed(): boolean {
    return this.stopped !== undefined;
  }

  async query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return parse(await this.call<Results<T>>(queryRequest(sql, params, options)), options?.parsers);
  }

  exec(sql: string): Promise<Results[]> {
    return this.call({ op: "exec", sql });
  }

  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = await this.call<number>({ op: "begin" });
    let closed = false;
    const open = () => {
      if (closed) throw new Error("Transaction is closed");
    };
    const tx = {
      query: async (sql: string, params?: unknown[], options?: QueryOptions) => {
        open();
        return parse(await this.call<Results>({ ...queryRequest(sql, params, options), tx: id }), options?.parsers);
      },
      exec: async (sql: string) => {
        open();
        return this.call({ op: "exec", sql, tx: id });
      },
      rollback: async () => {
        open();
        closed = true;
        await this.call({ op: "rollback", tx: id });
      },
      get closed() {
        return closed;
      },
    } as unknown as Transaction;
    let result: T;
    try {
      result = await callback(tx);
    } catch (err) {
      closed = true;
      await this.call({ op: "end", tx: id, commit: false }).catch(() => {});
      throw err;
    }
    closed = true;
    await this.call({ op: "end", tx: id, commit: true });
    return result;
  }

  /** As PGlite's own: every call LISTENs again (a session's `UNLISTEN *` may have come in between). */
  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(callback);
    try {
      await this.call({ op: "listen", channel });
    } catch (err) {
      this.forget(channel, set, callback);
      throw err;
    }
    return async () => {
      if (this.forget(channel, set, callback)) await this.call({ op: "unlisten", channel });
    };
  }

  /** Drops a listener; true when it was the channel's last. */
  private forget(channel: string, set: Set<(payload: string) => void>, callback: (payload: string) => void): boolean {
    set.delete(callback);
    if (set.size > 0 || this.listeners.get(channel) !== set) return false;
    this.listeners.delete(channel);
    return true;
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    const exited = new Promise((resolve) => this.worker.once("exit", resolve));
    try {
      // A database that never opened has nothing to close.
      await this.ready.then(
        () => this.call({ op: "close" }),
        () => {},
      );
    } finally {
      this.stopped = new DatabaseUnavailableError("The embedded database is closed");
      await this.worker.terminate();
      await exited;
    }
  }

  /** Posted at once when the thread is up, so that calls reach it in the order they were made. */
  private call<T>(request: RequestBody): Promise<T> {
    if (!this.started && !this.stopped) return this.ready.then(() => this.call<T>(request));
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    if (this.pending.size === 1) this.worker.ref();
    try {
      this.worker.postMessage({ ...request, id });
    } catch (err) {
      // A parameter that cannot be cloned (a function, say): the call's own error.
      this.settled(id);
      return Promise.reject(err);
    }
    return answer;
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }
}

function queryRequest(sql: string, params: unknown[] | undefined, options: QueryOptions | undefined): Statement {
  const rawTypes = options?.parsers ? Object.keys(options.parsers).map(Number) : undefined;
  return { op: "query", sql, params, rowMode: options?.rowMode, rawTypes };
}

/** Runs the caller's parsers on the text the thread kept for their types. */
function parse<T>(results: Results<T>, parsers: Parsers | undefined): Results<T> {
  if (!parsers) return results;
  const columns = results.fields.flatMap((f, i) => (parsers[f.dataTypeID] ? [{ i, name: f.name, type: f.dataTypeID }] : []));
  if (columns.length === 0) return results;
  for (const row of results.rows as unknown as Record<string | number, unknown>[]) {
    for (const { i, name, type } of columns) {
      const key = Array.isArray(row) ? i : name;
      const value = row[key];
      if (value !== null && value !== undefined) row[key] = parsers[type]!(value as string, type);
    }
  }
  return results;
}
