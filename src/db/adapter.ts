import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";

export interface DatabaseTarget {
  /** postgres://… for a server; undefined for the embedded database. */
  databaseUrl?: string;
  /** Where the embedded database keeps its files; "memory://" keeps nothing. */
  dataDir: string;
}

export function openEmbedded(dataDir: string): PGlite {
  if (dataDir.startsWith("memory://")) return new PGlite(dataDir);
  const dir = path.resolve(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  return new PGlite(dir);
}

/** A Prisma driver adapter factory for the configured database. */
export function createAdapter(target: DatabaseTarget, embedded?: PGlite): SqlMigrationAwareDriverAdapterFactory {
  if (target.databaseUrl) return new PrismaPg({ connectionString: target.databaseUrl });
  // The adapter is typed against an older driver-adapter-utils; the runtime contract is the same.
  return new PrismaPGlite(embedded ?? openEmbedded(target.dataDir)) as unknown as SqlMigrationAwareDriverAdapterFactory;
}
