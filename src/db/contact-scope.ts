import { MANY_WHERE, UNIQUE_WHERE, type TenantClient } from "./tenant-scope.js";
import { NIL_UUID as NOBODY } from "../constants.js";
import { storeOf } from "../privacy/stores/index.js";
import { scopedClient } from "./scoped-client.js";

/** Shared by everyone in the tenant and about no one: the portal reads them whole. */
const SHARED = new Set(["Tenant", "PolicyVersion"]);

/**
 * What a data subject signed in through the portal may touch: what each
 * personal-data store allows them (src/privacy/stores/: their own contact,
 * tickets they requested, the public messages on them, their own privacy
 * records), and the tenant's shared rows. Everything else reads as empty.
 */
function filterFor(model: string, contactId: string): object {
  if (SHARED.has(model)) return {};
  return storeOf(model)?.portal?.(contactId) ?? { tenantId: NOBODY };
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Narrows a tenant's client to one contact. Creates are left to the services, which check ownership first. */
export function confineToContact(client: TenantClient, contactId: string): TenantClient {
  return scopedClient(client, (model, operation, args) => {
    const a = { ...args };
    const filter = filterFor(model, contactId);
    // AND, not a spread: a spread would replace the caller's id with the contact's own.
    if (UNIQUE_WHERE.has(operation)) a.where = { ...a.where, AND: [...asList(a.where?.AND), filter] };
    else if (MANY_WHERE.has(operation)) a.where = a.where ? { AND: [a.where, filter] } : filter;
    return a;
  });
}
