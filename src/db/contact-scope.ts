import type { TenantClient } from "./tenant-scope.js";
import { NIL_UUID as NOBODY } from "../constants.js";


/**
 * What a data subject signed in through the portal may touch: their own
 * contact, tickets they requested, the public messages on them, and their
 * own privacy records. Everything else reads as empty.
 */
function filterFor(model: string, contactId: string): object {
  switch (model) {
    case "Tenant":
    case "PolicyVersion":
      return {};
    case "Contact":
      return { id: contactId };
    case "Ticket":
      return { requesterId: contactId };
    case "Message":
      return { internal: false, ticket: { requesterId: contactId } };
    case "Attachment":
      return { message: { internal: false, ticket: { requesterId: contactId } } };
    case "ConsentEvent":
    case "DataSubjectRequest":
    case "DataExport":
    case "PortalToken":
    case "PolicyAcceptance":
      return { contactId };
    default:
      return { tenantId: NOBODY };
  }
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const UNIQUE = new Set(["findUnique", "findUniqueOrThrow", "update", "delete", "upsert"]);
const MANY = new Set(["findFirst", "findFirstOrThrow", "findMany", "count", "aggregate", "groupBy", "updateMany", "updateManyAndReturn", "deleteMany"]);

/** Narrows a tenant's client to one contact. Creates are left to the services, which check ownership first. */
export function confineToContact(client: TenantClient, contactId: string) {
  return client.$extends({
    name: "contact-scope",
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          const a = { ...(args as Record<string, any>) };
          const filter = filterFor(model, contactId);
          // AND, not a spread: a spread would replace the caller's id with the contact's own.
          if (UNIQUE.has(operation)) a.where = { ...a.where, AND: [...asList(a.where?.AND), filter] };
          else if (MANY.has(operation)) a.where = a.where ? { AND: [a.where, filter] } : filter;
          return query(a);
        },
      },
    },
  }) as unknown as TenantClient;
}
