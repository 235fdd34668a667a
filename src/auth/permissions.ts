import type { AgentRole } from "../generated/prisma/enums.js";

/**
 * What a caller may do. Agents get them from their role, API keys from the
 * scopes chosen when the key was created.
 */
export const PERMISSIONS = {
  "tickets:read": "Read tickets, their public replies, tags and requesters' names",
  "tickets:write": "Create and update tickets, reply to them",
  "notes:read": "Read internal notes",
  "notes:write": "Add internal notes",
  "contacts:read": "Read contacts, including their email addresses and phone numbers",
  "contacts:write": "Create, update and merge contacts",
  "agents:read": "List agents",
  "ai:use": "Ask for AI suggestions on tickets the caller can read: replies, summaries, classification, translation, similar tickets",
  "agents:manage": "Invite, disable and change the role of agents; manage API keys",
  "plugins:manage": "Enable, disable and configure plugins; accept data transfers; read the plugin call log",
  "privacy:manage": "Handle data-subject requests, legal holds, retention and policy versions; read the audit log",
  "billing:manage": "See and change the tenant's subscription, seats, billing details and invoices",
  "portal:self": "A data subject acting for themselves: own tickets, public replies, own requests and consents",
  "fields:manage": "Define, change and delete custom fields; share saved views with everyone or a team",
} as const;

export type Permission = keyof typeof PERMISSIONS;

/** Managing people, keys, privacy, billing and custom fields needs a human OWNER or ADMIN: no key can hold it (a leaked key must not buy or cancel). */
export const API_KEY_SCOPES = (Object.keys(PERMISSIONS) as Permission[]).filter(
  (p) =>
    p !== "agents:manage" &&
    p !== "privacy:manage" &&
    p !== "plugins:manage" &&
    p !== "billing:manage" &&
    p !== "portal:self" &&
    p !== "fields:manage",
);

/** What a contact signed in with a portal token may do: everything about themselves, nothing else. */
export const CONTACT_PERMISSIONS: ReadonlySet<Permission> = new Set(["portal:self"]);

const READ: Permission[] = ["tickets:read", "notes:read", "contacts:read", "agents:read"];
const WRITE: Permission[] = ["tickets:write", "notes:write", "contacts:write", "ai:use"];

const ROLE_PERMISSIONS: Record<AgentRole, Permission[]> = {
  VIEWER: READ,
  AGENT: [...READ, ...WRITE],
  ADMIN: [...READ, ...WRITE, "agents:manage", "privacy:manage", "plugins:manage", "billing:manage", "fields:manage"],
  OWNER: [...READ, ...WRITE, "agents:manage", "privacy:manage", "plugins:manage", "billing:manage", "fields:manage"],
};

export function permissionsForRole(role: AgentRole): Set<Permission> {
  return new Set(ROLE_PERMISSIONS[role]);
}
