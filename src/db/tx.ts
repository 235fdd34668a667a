import type { Database } from "./database.js";
import type { TenantClient } from "./tenant-scope.js";

/** The client inside `db.$transaction(async (tx) => …)` on a tenant-scoped client. */
export type Tx = Parameters<Parameters<TenantClient["$transaction"]>[0]>[0];

/** The same on the unscoped client (system work across tenants). */
export type RootTx = Parameters<Parameters<Database["prisma"]["$transaction"]>[0]>[0];

/**
 * Runs `work` in a transaction of its own, or in the caller's when `db` is
 * already one (a service called from inside another's transaction, such as
 * completing a data-subject request): a transaction client cannot open another.
 */
export function inTransaction<T>(db: TenantClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  return typeof (db as { $transaction?: unknown }).$transaction === "function" ? db.$transaction(work) : work(db as unknown as Tx);
}
