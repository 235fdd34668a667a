import type { PrismaClient } from "../generated/prisma/client.js";
import { readMigrations } from "./migrate.js";

/**
 * The migrations shipped with this build that the database has not applied:
 * an instance of a newer build started against a database another instance
 * has not migrated yet (or whose migration failed) must not take traffic.
 */
export async function pendingMigrations(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ migration_name: string }[]>`
    SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  const applied = new Set(rows.map((r) => r.migration_name));
  return readMigrations()
    .map((m) => m.name)
    .filter((name) => !applied.has(name));
}
