import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { EmbeddedThread, type EmbeddedConnection } from "./embedded/thread.js";
import { extractSnapshot, readSnapshot, SNAPSHOT_DIR } from "./snapshot.js";

export interface DatabaseTarget {
  /** postgres://… for a server; undefined for the embedded database. */
  databaseUrl?: string;
  /** Where the embedded database keeps its files; "memory://" keeps nothing. */
  dataDir: string;
  /** How long opening one server connection may take (and waiting for a free one in the pool). */
  databaseConnectTimeoutMs?: number;
  /** The most connections the pool keeps open to a server (default DEFAULT_POOL_SIZE); dedicated ones (listeners, probes) come on top. */
  databasePoolSize?: number;
  /** Where a new embedded database looks for its migrated snapshot (src/db/snapshot.ts); tests point it elsewhere. */
  snapshotDir?: string;
}

/** Told about every error of a query or a server connection (the health probe decides what it means). */
export type ErrorObserver = (err: unknown) => void;

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** node-postgres' own default, which served every measurement in docs/benchmarks.md. */
const DEFAULT_POOL_SIZE = 10;

export interface EmbeddedDatabase {
  db: EmbeddedThread;
  /** The migrations a new database got from the snapshot, oldest first; empty when it was not new or there was none. */
  fromSnapshot: string[];
}

/**
 * Opens the embedded database. A new one (in memory, or an empty directory)
 * starts from the migrated snapshot when there is one for the current
 * migrations, instead of running initdb and every migration. It runs in a
 * thread of its own (src/db/embedded/thread.ts).
 */
export function openEmbedded(dataDir: string, snapshotDir = SNAPSHOT_DIR): EmbeddedDatabase {
  if (dataDir.startsWith("memory://")) {
    const snapshot = readSnapshot(snapshotDir);
    return { db: new EmbeddedThread({ dataDir, tarball: snapshot?.tarball }), fromSnapshot: snapshot?.migrations ?? [] };
  }
  const dir = path.resolve(dataDir, "pglite");
  let fromSnapshot: string[] = [];
  if (!existsSync(dir) || readdirSync(dir).length === 0) {
    const snapshot = readSnapshot(snapshotDir);
    if (snapshot) {
      extractSnapshot(snapshot.tarball, dir);
      fromSnapshot = snapshot.migrations;
    }
  }
  mkdirSync(dir, { recursive: true });
  return { db: new EmbeddedThread({ dataDir: dir }), fromSnapshot };
}

/**
 * Timestamps are stored in UTC without a zone (Prisma's DateTime), and the database's own
 * clock (now(), column defaults) writes and compares them in the session's time zone: a
 * server set to Europe/Berlin would store its times an hour or two off. Every session that
 * writes runs this first. A SET, not a startup option: PgBouncer refuses `options`, and
 * carries a client's TimeZone between its connections.
 */
export const UTC_SESSION = "SET TIME ZONE 'UTC'";

/** Connection settings shared by the pool, dedicated connections and probes. */
export function connectionConfig(target: DatabaseTarget & { databaseUrl: string }): pg.ClientConfig {
  return {
    connectionString: target.databaseUrl,
    // Without it a connection attempt to a server that drops packets waits for the OS (minutes).
    connectionTimeoutMillis: target.databaseConnectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // A peer that vanished without closing (host down, network cut) gets TCP keepalive probes after
    // 10 s of silence, so the connection is eventually dropped instead of waiting forever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/**
 * The pool Prisma queries through on a server. A PostgreSQL restart
 * terminates every connection: each one's 'error' event must have a listener,
 * or Node turns it into an uncaught exception that ends the process.
 */
function createServerPool(target: DatabaseTarget & { databaseUrl: string }, onError: ErrorObserver): pg.Pool {
  // Waiting for a free connection is bounded like opening one: a request fails fast rather than hang.
  const pool = new pg.Pool({
    ...connectionConfig(target),
    max: target.databasePoolSize ?? DEFAULT_POOL_SIZE,
    // Before the connection is first handed out; a failure fails that checkout.
    onConnect: async (client) => {
      await client.query(UTC_SESSION);
    },
  });
  // An idle connection that dies is reported by the pool, which drops it.
  pool.on("error", onError);
  // pg-pool detaches its own listener while a connection is checked out (between two queries of a
  // transaction, say); this one stays for the connection's whole life.
  pool.on("connect", (client) => client.on("error", onError));
  return pool;
}

/** A Prisma driver adapter factory for the configured database. */
export function createAdapter(
  target: DatabaseTarget,
  embedded?: EmbeddedConnection,
  onError: ErrorObserver = () => {},
  onPool: (pool: pg.Pool) => void = () => {},
): SqlMigrationAwareDriverAdapterFactory {
  if (target.databaseUrl) {
    const pool = createServerPool({ ...target, databaseUrl: target.databaseUrl }, onError);
    onPool(pool);
    return observeErrors(new PrismaPg(pool, { disposeExternalPool: true }), onError);
  }
  // The adapter is typed against an older driver-adapter-utils; the runtime contract is the same
  // but for bytes arguments, which this client sends base64-encoded (see withBytesArguments).
  const factory = new PrismaPGlite(
    (embedded ?? openEmbedded(target.dataDir, target.snapshotDir).db) as PGlite,
  ) as unknown as SqlMigrationAwareDriverAdapterFactory;
  return withBytesArguments(factory);
}

type Query = { args: unknown[]; argTypes: ({ scalarType?: string } | undefined)[] };
type Queryable = { queryRaw(q: Query): Promise<unknown>; executeRaw(q: Query): Promise<unknown> };

/** Bytes arrive as base64 strings; PGlite wants binary for bytea parameters. */
function decodeBytes(q: Query): Query {
  if (!q.argTypes?.some((t) => t?.scalarType === "bytes")) return q;
  return {
    ...q,
    args: q.args.map((arg, i) => (typeof arg === "string" && q.argTypes[i]?.scalarType === "bytes" ? Buffer.from(arg, "base64") : arg)),
  };
}

function patchQueries<T extends Queryable>(target: T): T {
  const queryRaw = target.queryRaw.bind(target);
  const executeRaw = target.executeRaw.bind(target);
  target.queryRaw = (q) => queryRaw(decodeBytes(q));
  target.executeRaw = (q) => executeRaw(decodeBytes(q));
  return target;
}

/** Wraps the PGlite adapter so that bytes parameters reach PGlite as binary, in and out of transactions. */
function withBytesArguments(factory: SqlMigrationAwareDriverAdapterFactory): SqlMigrationAwareDriverAdapterFactory {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = patchQueries((await connect()) as unknown as Queryable & { startTransaction(...a: unknown[]): Promise<Queryable> });
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (...a: unknown[]) => patchQueries(await startTransaction(...a));
    return adapter as never;
  };
  return factory;
}

type Transaction = Queryable & { commit(): Promise<void>; rollback(): Promise<void> };
type Observed = Queryable & { startTransaction(...a: unknown[]): Promise<Transaction> };

/** Calls `onError` with whatever a method rejects with, then rejects as before. */
function reportFailures<T extends object>(target: T, names: (keyof T)[], onError: ErrorObserver): void {
  for (const name of names) {
    const method = (target[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
    (target as Record<keyof T, unknown>)[name] = (...a: unknown[]) =>
      method(...a).catch((err: unknown) => {
        onError(err);
        throw err;
      });
  }
}

/**
 * Prisma's transaction manager gives a transaction's connection back to the
 * pool (commit()/rollback() of the adapter) only after its COMMIT or ROLLBACK
 * statement succeeded. When that statement fails — the connection died with
 * the server — the connection stayed checked out for good: each restart under
 * load leaked a few, until the pool had none left and every query timed out.
 * Here a failed COMMIT or ROLLBACK releases it (the pool drops a dead one),
 * and a second release is ignored.
 */
function releaseOnFailedEnd(tx: Transaction): Transaction {
  const commit = tx.commit.bind(tx);
  const rollback = tx.rollback.bind(tx);
  const executeRaw = tx.executeRaw.bind(tx);
  let released = false;
  const once = async (release: () => Promise<void>) => {
    if (released) return;
    released = true;
    await release();
  };
  tx.commit = () => once(commit);
  tx.rollback = () => once(rollback);
  tx.executeRaw = async (q) => {
    try {
      return await executeRaw(q);
    } catch (err) {
      if (/^\s*(COMMIT|ROLLBACK)\s*$/i.test((q as { sql?: string }).sql ?? "")) await once(rollback).catch(() => {});
      throw err;
    }
  };
  return tx;
}

/** Every failed query, in a transaction or not, is also told to `onError` (then fails as before). */
function observeErrors(factory: SqlMigrationAwareDriverAdapterFactory, onError: ErrorObserver): SqlMigrationAwareDriverAdapterFactory {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = (await connect()) as unknown as Observed;
    reportFailures(adapter, ["queryRaw", "executeRaw"], onError);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (...a: unknown[]) => {
      let tx: Transaction;
      try {
        tx = await startTransaction(...a);
      } catch (err) {
        onError(err);
        throw err;
      }
      releaseOnFailedEnd(tx);
      reportFailures(tx, ["queryRaw", "executeRaw"], onError);
      return tx;
    };
    return adapter as never;
  };
  return factory;
}
