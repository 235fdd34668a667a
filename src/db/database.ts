import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { createAdapter, openEmbedded } from "./adapter.js";
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
  /** Number of SQL statements sent so far (tests use it to catch N+1 queries). */
  readonly queryCount: number;
  /**
   * The texts of the statements sent since statement number `since` (a `queryCount`
   * read earlier), oldest first; only the latest RECENT_STATEMENTS are kept. Tests use
   * it to see which tables one request touched.
   */
  statementsSince(since: number): string[];
  close(): Promise<void>;
}

/** How many statement texts `statementsSince` can go back. */
const RECENT_STATEMENTS = 500;

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  let embedded: PGlite | undefined;
  let raw: SqlConnection;
  let closeRaw: () => Promise<void>;

  if (opts.databaseUrl) {
    // Migrations use a connection of their own so that the advisory lock and
    // each migration's transaction share one session.
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    let connected: Promise<void> | undefined;
    const ready = () => (connected ??= client.connect().then(() => undefined));
    raw = {
      async exec(sql) {
        await ready();
        await client.query(sql);
      },
      async query(sql, params) {
        await ready();
        return (await client.query(sql, params as unknown[])).rows;
      },
    };
    closeRaw = async () => {
      if (connected) await client.end();
    };
  } else {
    const db = openEmbedded(opts.dataDir);
    embedded = db;
    raw = {
      async exec(sql) {
        await db.exec(sql);
      },
      async query(sql, params) {
        return (await db.query(sql, params)).rows as any[];
      },
    };
    closeRaw = () => db.close();
  }

  const prisma = new PrismaClient({
    adapter: createAdapter(opts, embedded),
    log: [{ emit: "event", level: "query" }],
  });
  let queryCount = 0;
  // A ring of the latest texts: statement n sits at n % RECENT_STATEMENTS.
  const recent: string[] = [];
  (prisma as unknown as { $on(e: "query", cb: (e: { query: string }) => void): void }).$on("query", (e) => {
    recent[queryCount % RECENT_STATEMENTS] = e.query;
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
    migrate: () => applyMigrations(raw),
    get queryCount() {
      return queryCount;
    },
    statementsSince(since) {
      const from = Math.max(since, queryCount - RECENT_STATEMENTS, 0);
      const texts: string[] = [];
      for (let n = from; n < queryCount; n++) texts.push(recent[n % RECENT_STATEMENTS]!);
      return texts;
    },
    async close() {
      await prisma.$disconnect();
      await closeRaw();
    },
  };
}
