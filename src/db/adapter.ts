import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";

export interface DatabaseTarget {
  /** postgres://… for a server; undefined for the embedded database. */
  databaseUrl?: string;
  /** Where the embedded database keeps its files; "memory://" keeps nothing. */
  dataDir: string;
}

/** Extensions the migrations create: PGlite must load their code when it starts (pg_trgm: typo-tolerant search). */
const EXTENSIONS = { pg_trgm };

export function openEmbedded(dataDir: string): PGlite {
  if (dataDir.startsWith("memory://")) return new PGlite(dataDir, { extensions: EXTENSIONS });
  const dir = path.resolve(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  return new PGlite(dir, { extensions: EXTENSIONS });
}

/** A Prisma driver adapter factory for the configured database. */
export function createAdapter(target: DatabaseTarget, embedded?: PGlite): SqlMigrationAwareDriverAdapterFactory {
  if (target.databaseUrl) return new PrismaPg({ connectionString: target.databaseUrl });
  // The adapter is typed against an older driver-adapter-utils; the runtime contract is the same
  // but for bytes arguments, which this client sends base64-encoded (see withBytesArguments).
  const factory = new PrismaPGlite(embedded ?? openEmbedded(target.dataDir)) as unknown as SqlMigrationAwareDriverAdapterFactory;
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
