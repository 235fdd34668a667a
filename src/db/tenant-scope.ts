import type { PrismaClient } from "../generated/prisma/client.js";
import { scopeNested, TENANT_MODELS } from "./nested-scope.js";
import { forTenant, type BlobStore, type TenantBlobs } from "../blobs/store.js";
import { scopedClient } from "./scoped-client.js";

/** Prisma operations whose `where` names one row, and those whose `where` filters many: every scope adds its filter to both. */
export const UNIQUE_WHERE = new Set(["findUnique", "findUniqueOrThrow", "update", "delete", "upsert"]);
export const MANY_WHERE = new Set([
  "findFirst",
  "findFirstOrThrow",
  "findMany",
  "count",
  "aggregate",
  "groupBy",
  "updateMany",
  "updateManyAndReturn",
  "deleteMany",
]);

type AnyArgs = Record<string, any>;

/**
 * The one place where tenancy is enforced: every query through the returned
 * client is confined to `tenantId`, reads and writes alike. A row of another
 * tenant is simply not there, so it looks exactly like a missing one.
 * Lists read inside `include`/`select` get the tenant as well (see scopeNested).
 * The tenant's files come with it: `$blobs` reaches only this tenant's blobs.
 */
export function scopeToTenant(prisma: PrismaClient, tenantId: string, blobs: BlobStore): TenantClient {
  const tenantBlobs: TenantBlobs = forTenant(blobs, tenantId);
  return scopedClient(prisma, (model, operation, args) => tenantArgs(model, operation, args, tenantId), {
    $blobs: tenantBlobs,
  }) as unknown as TenantClient;
}

/** The arguments of a call on `model`, confined to the tenant. */
function tenantArgs(model: string, operation: string, args: AnyArgs, tenantId: string): AnyArgs {
  const a = scopeNested(model, { ...args }, tenantId);
  if (model === "Tenant") {
    if (operation.startsWith("create") || operation.startsWith("delete") || operation === "upsert") {
      throw new Error(`Tenant ${operation} is not allowed on a tenant-scoped client`);
    }
    a.where = UNIQUE_WHERE.has(operation) ? { ...a.where, id: tenantId } : { AND: [a.where ?? {}, { id: tenantId }] };
    return a;
  }
  if (!TENANT_MODELS.has(model)) return a;
  if (operation === "create") a.data = { ...a.data, tenantId };
  else if (operation === "createMany" || operation === "createManyAndReturn") {
    a.data = (Array.isArray(a.data) ? a.data : [a.data]).map((d: AnyArgs) => ({ ...d, tenantId }));
  } else if (operation === "upsert") {
    a.where = { ...a.where, tenantId };
    a.create = { ...a.create, tenantId };
  } else if (UNIQUE_WHERE.has(operation)) a.where = { ...a.where, tenantId };
  else if (MANY_WHERE.has(operation)) a.where = a.where ? { AND: [a.where, { tenantId }] } : { tenantId };
  else throw new Error(`Unscoped Prisma operation ${model}.${operation}`);
  return a;
}

/** Only its type is used: what a tenant's client offers, the Prisma client and its tenant's `$blobs`. */
function withBlobs(prisma: PrismaClient, $blobs: TenantBlobs) {
  return prisma.$extends({ client: { $blobs } });
}

export type TenantClient = ReturnType<typeof withBlobs>;
