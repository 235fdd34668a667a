import type { Database } from "./database.js";
import type { TenantClient } from "./tenant-scope.js";

/** The client inside `db.$transaction(async (tx) => …)` on a tenant-scoped client. */
export type Tx = Parameters<Parameters<TenantClient["$transaction"]>[0]>[0];

/** The same on the unscoped client (system work across tenants). */
export type RootTx = Parameters<Parameters<Database["prisma"]["$transaction"]>[0]>[0];
