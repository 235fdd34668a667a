import type { Database } from "../db/database.js";
import type { PluginServices } from "../plugin-host/plugin.js";
import { runtimeFor } from "../plugin-host/runtime.js";

/** What a plugin's erase hooks reported for a deleted tenant. */
interface PluginErasure {
  pluginId: string;
  store: string;
  deleted: number;
  note?: string;
}

export interface ClosureReceipt {
  slug: string;
  name: string;
  closedAt: Date;
  deletedAt: Date;
  counts: Record<string, number>;
  plugins: PluginErasure[];
}

/** Every table holding tenant rows, read from the catalogue so that a table added later is covered without a change here. */
async function tablesWithTenantId(database: Database): Promise<string[]> {
  const rows = await database.prisma.$queryRawUnsafe<{ table_name: string }[]>(
    `SELECT c.table_name::text AS table_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema() AND c.column_name = 'tenantId'
      ORDER BY c.table_name`,
  );
  return rows.map((r) => r.table_name);
}

const quote = (table: string) => `"${table.replace(/"/g, '""')}"`;

type Raw = Pick<Database["prisma"], "$queryRawUnsafe">;
const countRows = async (tx: Raw, table: string, tenantId: string) =>
  (await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${quote(table)} WHERE "tenantId" = $1::uuid`, tenantId))[0]
    ?.n ?? 0;

/**
 * Asks every plugin installed in the tenant (enabled or not: its vendor may
 * still hold what it got while enabled) to delete what it keeps: onDisable
 * first, for what is kept per tenant (a search index goes in one call, and
 * the erase calls after it find nothing left there), then the erase hook for
 * each contact, then onDisable again for anything rebuilt meanwhile. Runs before the rows go, since the hooks find the vendor's ids in
 * them. Throws on the first failure, so that the rows stay for the next try.
 */
async function eraseAtPlugins(services: PluginServices, tenantId: string): Promise<PluginErasure[]> {
  const results: PluginErasure[] = [];
  for (const def of services.plugins.registry.list()) {
    if (!def.manifest.storesData || (!def.erase && !def.onDisable)) continue;
    const runtime = await runtimeFor(services, tenantId, def, undefined, { evenIfDisabled: true });
    if (!runtime) continue;
    const pluginId = def.manifest.id;
    const total: PluginErasure = { pluginId, store: def.manifest.name, deleted: 0 };
    const notes: string[] = [];
    const dropAll = async () => {
      if (!def.onDisable) return;
      const r = await def.onDisable(runtime);
      total.deleted += r.deleted;
      if (r.note && r.deleted) notes.push(r.note);
    };
    try {
      await dropAll();
      if (def.erase) {
        const contacts = await runtime.core.db.contact.findMany({ select: { id: true, email: true, phone: true } });
        for (const c of contacts) {
          const r = await def.erase(runtime, { contactId: c.id, email: c.email, phone: c.phone });
          total.store = r.store;
          total.deleted += r.deleted;
          if (r.note) notes.push(r.note);
        }
      }
      // Still enabled until its rows go, a plugin may have started building again meanwhile (a search index).
      await dropAll();
    } catch (err) {
      throw new Error(`plugin ${pluginId} could not erase: ${(err as Error).message}`, { cause: err });
    }
    if (notes.length) total.note = [...new Set(notes)].join("; ");
    results.push(total);
  }
  return results;
}

/**
 * Deletes every row of one tenant in one transaction and leaves its receipt:
 * counts per table (taken in the transaction), then the tickets (their
 * requester link restricts deleting contacts first), then the tenant row,
 * which cascades to the rest, then whatever a table without that cascade (or
 * a trigger) still holds. A table found non-empty at the end rolls it all back.
 */
async function deleteTenantRows(
  database: Database,
  tenant: { id: string; slug: string; name: string; closedAt: Date },
  plugins: PluginErasure[],
  now: Date,
) {
  const tables = await tablesWithTenantId(database);
  return database.prisma.$transaction(
    async (tx) => {
      // Reopened meanwhile: nothing is deleted. The row lock keeps a reopening from racing this transaction.
      const still = await tx.$queryRawUnsafe<unknown[]>(
        `SELECT 1 FROM "Tenant" WHERE "id" = $1::uuid AND "closedAt" IS NOT NULL AND "deletionDueAt" <= $2 FOR UPDATE`,
        tenant.id,
        now,
      );
      if (!still.length) return null;
      const counts: Record<string, number> = {};
      for (const table of tables) {
        const n = await countRows(tx, table, tenant.id);
        if (n) counts[table] = n;
      }
      await tx.$executeRawUnsafe(`DELETE FROM "Ticket" WHERE "tenantId" = $1::uuid`, tenant.id);
      await tx.$executeRawUnsafe(`DELETE FROM "Tenant" WHERE "id" = $1::uuid`, tenant.id);
      for (const table of tables) await tx.$executeRawUnsafe(`DELETE FROM ${quote(table)} WHERE "tenantId" = $1::uuid`, tenant.id);
      for (const table of tables) {
        const n = await countRows(tx, table, tenant.id);
        if (n) throw new Error(`${n} rows of ${table} are left after deleting tenant ${tenant.slug}`);
      }
      const receipt = { slug: tenant.slug, name: tenant.name, closedAt: tenant.closedAt, deletedAt: now, counts, plugins };
      await tx.tenantClosureReceipt.create({ data: { formerTenantId: tenant.id, ...receipt, plugins: plugins as never } });
      return receipt;
    },
    // A large tenant takes a while; nothing else writes to it (it is read-only).
    { timeout: 30 * 60_000, maxWait: 60_000 },
  );
}

/**
 * Deletes the tenants whose closure period is over, one after the other. A
 * tenant whose plugins cannot erase keeps its rows and the reason
 * (`deletionError`), and is tried again by the next sweep.
 */
export async function deleteDueTenants(services: PluginServices, now = new Date()): Promise<ClosureReceipt[]> {
  const { database, log } = services;
  const due = await database.prisma.tenant.findMany({
    where: { closedAt: { not: null }, deletionDueAt: { lte: now } },
    select: { id: true, slug: true, name: true, closedAt: true },
    orderBy: { deletionDueAt: "asc" },
  });
  const receipts: ClosureReceipt[] = [];
  for (const tenant of due) {
    try {
      const plugins = await eraseAtPlugins(services, tenant.id);
      const receipt = await deleteTenantRows(database, { ...tenant, closedAt: tenant.closedAt! }, plugins, now);
      if (!receipt) continue;
      // The data key went with the rows: what is left of the files can no longer be read. Now they go too.
      await database.blobs
        .deleteTenant(tenant.id)
        .catch((err: unknown) => log.error({ err, tenant: tenant.slug }, "files of a deleted tenant could not be removed"));
      receipts.push(receipt);
      log.info({ tenant: tenant.slug }, "closed tenant deleted");
    } catch (err) {
      log.error({ err, tenant: tenant.slug }, "could not delete a closed tenant; trying again at the next sweep");
      await database.prisma.tenant.updateMany({ where: { id: tenant.id }, data: { deletionError: (err as Error).message.slice(0, 500) } });
    }
  }
  return receipts;
}

export const closureReceipts = (database: Database, slug?: string) =>
  database.prisma.tenantClosureReceipt.findMany({ where: slug ? { slug } : {}, orderBy: { deletedAt: "desc" }, take: 100 });
