import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Logger } from "pino";
import { PrismaClient } from "../generated/prisma/client.js";
import { connectionConfig, createAdapter, openEmbedded, type DatabaseTarget } from "./adapter.js";
import { DatabaseHealth } from "./health.js";
import { applyMigrations, type SqlConnection } from "./migrate.js";
import { confineToContact } from "./contact-scope.js";
import { scopeToTenant, type TenantClient } from "./tenant-scope.js";

export interface Database {
  kind: "embedded" | "server";
  /** Unscoped: only for sign-in, tenant lookup, migrations and maintenance. */
  prisma: PrismaClient;
  /** A client confined to one tenant (cached per tenant). */
  forTenant(tenantId: string): TenantClient;
  /** A tenant's client narrowed to what one data subject may see of themselves. */
  forContact(tenantId: string, contactId: string): TenantClient;
  migrate(): Promise<string[]>;
  /** Whether the database answers; requests and background loops consult it (see health.ts). */
  health: DatabaseHealth;
  /** Number of SQL statements sent so far (tests use it to catch N+1 queries). */
  readonly queryCount: number;
  close(): Promise<void>;
}

export interface DatabaseOptions extends DatabaseTarget {
  /** Where the health of the database is logged (it goes away, it is back). */
  log?: Logger;
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

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  let embedded: PGlite | undefined;
  let migrate: () => Promise<string[]>;
  let closeRaw: () => Promise<void>;

  if (opts.databaseUrl) {
    const target = { ...opts, databaseUrl: opts.databaseUrl };
    // Migrations use a connection of their own so that the advisory lock and
    // each migration's transaction share one session. It is closed afterwards:
    // an idle connection kept open for nothing is one more to lose in a restart.
    migrate = () =>
      withServerConnection(target, (client) => {
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
    const db = openEmbedded(opts.dataDir);
    embedded = db;
    const raw: SqlConnection = {
      async exec(sql) {
        await db.exec(sql);
      },
      async query(sql, params) {
        return (await db.query(sql, params)).rows as any[];
      },
    };
    migrate = () => applyMigrations(raw);
    closeRaw = () => db.close();
  }

  const prisma = new PrismaClient({
    // Every failed query and every connection error is shown to the health (declared below).
    adapter: createAdapter(opts, embedded, (err) => health.report(err)),
    log: [{ emit: "event", level: "query" }],
  });
  // On a server, the probe opens a connection of its own (the pool may be busy, or hold connections
  // that died with the server) and gives the query as long as the connection. PGlite lives in this
  // process and goes away only with it.
  const url = opts.databaseUrl;
  const probe = url
    ? () => {
        const target = { ...opts, databaseUrl: url };
        return withServerConnection(target, async (client) => void (await client.query("SELECT 1")), connectionConfig(target).connectionTimeoutMillis);
      }
    : async () => void (await prisma.$queryRaw`SELECT 1`);
  const health = new DatabaseHealth(probe, { log: opts.log });
  let queryCount = 0;
  (prisma as unknown as { $on(e: "query", cb: () => void): void }).$on("query", () => {
    queryCount++;
  });

  const scoped = new Map<string, TenantClient>();
  const forTenant = (tenantId: string) => {
    let client = scoped.get(tenantId);
    if (!client) {
      client = scopeToTenant(prisma, tenantId);
      scoped.set(tenantId, client);
    }
    return client;
  };
  return {
    kind: embedded ? "embedded" : "server",
    prisma,
    forTenant,
    forContact: (tenantId, contactId) => confineToContact(forTenant(tenantId), contactId),
    migrate,
    health,
    get queryCount() {
      return queryCount;
    },
    async close() {
      health.close();
      await prisma.$disconnect();
      await closeRaw();
    },
  };
}
