import { configurePlanCache } from "./plan-cache.js";
import type { EmbeddedConnection } from "./embedded/thread.js";
import pg from "pg";
import type { Logger } from "pino";
import { PrismaClient } from "../generated/prisma/client.js";
import { connectionConfig, createAdapter, openEmbedded, UTC_SESSION, type DatabaseTarget } from "./adapter.js";
import { DatabaseHealth } from "./health.js";
import { lockDataDir } from "./lock.js";
import { applyMigrations, type SqlConnection } from "./migrate.js";
import {
  listenOnEmbedded,
  listenOnServer,
  type ListenOptions,
  type NotificationHandlers,
  type NotificationListener,
} from "./notifications.js";
import { confineToContact } from "./contact-scope.js";
import { scopeToTenant, type TenantClient } from "./tenant-scope.js";
import { openBlobStore, operatorBlobBackend, type BlobStoreOptions } from "../blobs/open.js";
import type { BlobStore } from "../blobs/store.js";
import { countStatements, uncounted, type StatementCount } from "./statement-count.js";

/** What a commit left unsealed: events (and maybe audit entries), or audit entries only. */
export type AppendedRows = "events" | "audit";

export interface Database extends StatementCount {
  kind: "embedded" | "server";
  /** Unscoped: only for sign-in, tenant lookup, migrations and maintenance. */
  prisma: PrismaClient;
  /** Attachment bytes, encrypted per tenant (src/blobs/); a tenant's client hands out its part as `$blobs`. */
  blobs: BlobStore;
  /** The operator plugin whose backend holds the files (an S3 bucket), or null: the local disk. The record of processing names it. */
  blobPlugin: string | null;
  /** A client confined to one tenant (cached per tenant). */
  forTenant(tenantId: string): TenantClient;
  /** A tenant's client narrowed to what one data subject may see of themselves. */
  forContact(tenantId: string, contactId: string): TenantClient;
  migrate(): Promise<string[]>;
  /**
   * Says that unsealed rows of the tenant were committed: the sequencer
   * listening here numbers them soon. `rows` "audit" says they are audit
   * entries only (no event waits on them), which may wait for the next run.
   */
  appended(tenantId: string, rows?: AppendedRows): void;
  onAppended(listener: (tenantId: string, rows: AppendedRows) => void): () => void;
  /** LISTENs on a channel: over a connection of its own on a server, in process when embedded. */
  listen(channel: string, handlers: NotificationHandlers, log: Logger, options?: ListenOptions): Promise<NotificationListener>;
  /** Whether the database answers; requests and background loops consult it (see health.ts). */
  health: DatabaseHealth;
  /** Connections of the server pool (metrics); null for the embedded database, which has none. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

export interface DatabaseOptions extends DatabaseTarget, Omit<BlobStoreOptions, "dataDir"> {
  /** Where the health of the database is logged (it goes away, it is back). */
  log?: Logger;
  /** Read requests whose compiled query plans the process keeps (src/db/plan-cache.ts); 0: none; unset: as it is. */
  queryPlanCacheEntries?: number;
  /** Who opens an embedded data directory, as its lock names it to a refused process (default: the command line). */
  holder?: string;
  /**
   * An open embedded database to work on instead of opening DATA_DIR's: the caller keeps it
   * (close leaves it open). Tests hand a worker's database from one file to the next.
   */
  embedded?: EmbeddedConnection;
  /**
   * Count the statements sent (`queryCount`, `statementsSince`), background work's apart:
   * tests and benchmarks. Off, counting costs nothing (see src/db/statement-count.ts).
   */
  countStatements?: boolean;
}

/** A short-lived server connection: opened, used, closed; its errors never go unhandled. */
async function withServerConnection<T>(
  target: DatabaseTarget & { databaseUrl: string },
  use: (client: pg.Client) => Promise<T>,
  queryTimeoutMs?: number,
): Promise<T> {
  const client = new pg.Client({ ...connectionConfig(target), query_timeout: queryTimeoutMs });
  let lost: unknown;
  // A server restart while it is open shows up here; the query in flight fails with it.
  client.on("error", (err) => (lost = err));
  try {
    await client.connect();
    return await use(client);
  } catch (err) {
    throw lost && err !== lost ? new Error((err as Error).message, { cause: lost }) : err;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * How long close waits for connections still busy (a statement waiting on a
 * lock, say): a shutdown must end, so after this it goes on without them and
 * says so. The process exiting, or the server, closes them.
 */
const DISCONNECT_WAIT_MS = 10_000;

async function disconnectWithin(prisma: { $disconnect(): Promise<void> }, ms: number): Promise<void> {
  const disconnected = prisma.$disconnect();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = await Promise.race([
    disconnected.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (!gaveUp) return;
  disconnected.catch(() => {});
  process.emitWarning(`database connections were still busy ${ms / 1000} s into closing; closing without them`, {
    code: "DESKGRAPH_SLOW_SHUTDOWN",
  });
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  // The files' backend first: a plugin's bad option stops here, before a data directory is locked.
  const blobBackend = opts.encryptionKey ? await operatorBlobBackend(opts.environment) : null;
  let embedded: EmbeddedConnection | undefined;
  let migrate: () => Promise<string[]>;
  let closeRaw: () => Promise<void>;

  if (opts.databaseUrl) {
    const target = { ...opts, databaseUrl: opts.databaseUrl };
    // Migrations use a connection of their own so that the advisory lock and
    // each migration's transaction share one session. It is closed afterwards:
    // an idle connection kept open for nothing is one more to lose in a restart.
    migrate = () =>
      withServerConnection(target, async (client) => {
        await client.query(UTC_SESSION);
        const raw: SqlConnection = {
          async exec(sql) {
            await client.query(sql);
          },
          async query(sql, params) {
            return (await client.query(sql, params as unknown[])).rows;
          },
        };
        return applyMigrations(raw);
      });
    closeRaw = async () => {};
  } else {
    // Before PGlite reads anything: a directory another process holds is refused (src/db/lock.ts).
    const lock = opts.embedded || opts.dataDir.startsWith("memory://") ? undefined : lockDataDir(opts.dataDir, opts.holder);
    let db: EmbeddedConnection;
    let fromSnapshot: string[] = [];
    try {
      if (opts.embedded) db = opts.embedded;
      else ({ db, fromSnapshot } = openEmbedded(opts.dataDir, opts.snapshotDir));
    } catch (err) {
      lock?.release();
      throw err;
    }
    const owned = !opts.embedded;
    embedded = db;
    const raw: SqlConnection = {
      async exec(sql) {
        await db.exec(sql);
      },
      async query(sql, params) {
        return (await db.query(sql, params)).rows as any[];
      },
    };
    // A database made from the snapshot reports the migrations it came with as applied, once,
    // as if they had just run: the same answer as without a snapshot.
    migrate = async () => {
      const ran = [...fromSnapshot, ...(await applyMigrations(raw))];
      fromSnapshot = [];
      return ran;
    };
    closeRaw = async () => {
      try {
        if (owned) await db.close();
      } finally {
        lock?.release();
      }
    };
  }

  if (opts.queryPlanCacheEntries !== undefined) configurePlanCache(opts.queryPlanCacheEntries);
  let pool: pg.Pool | undefined;
  const prisma = new PrismaClient({
    // Every failed query and every connection error is shown to the health (declared below).
    adapter: createAdapter(
      opts,
      embedded,
      (err) => health.report(err),
      (p) => (pool = p),
    ),
    log: opts.countStatements ? [{ emit: "event", level: "query" }] : [],
    // Any other format captures a stack trace on every call, to point at the calling line in an
    // error's message: a cost on each query of every request, for messages the API never shows.
    errorFormat: "minimal",
  });
  // On a server, the probe opens a connection of its own (the pool may be busy, or hold connections
  // that died with the server) and gives the query as long as the connection. PGlite lives in a
  // thread of this process (src/db/embedded/): asked through it, like every query.
  const url = opts.databaseUrl;
  const probe = url
    ? () => {
        const target = { ...opts, databaseUrl: url };
        return withServerConnection(
          target,
          async (client) => void (await client.query("SELECT 1")),
          connectionConfig(target).connectionTimeoutMillis,
        );
      }
    : async () => void (await prisma.$queryRaw`SELECT 1`);
  const health = new DatabaseHealth(probe, { log: opts.log });
  const counted = opts.countStatements ? countStatements(prisma) : uncounted;

  const blobs = openBlobStore(prisma, opts, blobBackend);
  const scoped = new Map<string, TenantClient>();
  const forTenant = (tenantId: string) => {
    let client = scoped.get(tenantId);
    if (!client) {
      client = scopeToTenant(prisma, tenantId, blobs.store);
      scoped.set(tenantId, client);
    }
    return client;
  };
  const appendListeners = new Set<(tenantId: string, rows: AppendedRows) => void>();
  return {
    kind: embedded ? "embedded" : "server",
    appended: (tenantId, rows = "events") => {
      for (const listener of appendListeners) listener(tenantId, rows);
    },
    onAppended(listener) {
      appendListeners.add(listener);
      return () => appendListeners.delete(listener);
    },
    prisma,
    blobs: blobs.store,
    blobPlugin: blobs.pluginId,
    forTenant,
    forContact: (tenantId, contactId) => confineToContact(forTenant(tenantId), contactId),
    migrate,
    health,
    listen: (channel, handlers, log, options) =>
      embedded ? listenOnEmbedded(embedded, channel, handlers) : listenOnServer(opts.databaseUrl!, channel, handlers, log, options),
    get queryCount() {
      return counted.queryCount;
    },
    get backgroundQueryCount() {
      return counted.backgroundQueryCount;
    },
    background: counted.background,
    statementsSince: counted.statementsSince,
    poolStats: () => (pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : null),
    async close() {
      health.close();
      await disconnectWithin(prisma, DISCONNECT_WAIT_MS);
      await closeRaw();
      blobs.close();
    },
  };
}
