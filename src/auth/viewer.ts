import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { AgentRole } from "../generated/prisma/enums.js";
import type { CredentialCache } from "./credential-cache.js";
import { hashToken } from "./tokens.js";
import { CONTACT_PERMISSIONS, permissionsForRole, type Permission } from "./permissions.js";

/** A closed tenant is read-only until its deletion (src/tenants/); null while it is open. */
type TenantClosure = { closedAt: Date; deletionDueAt: Date | null } | null;

export type Viewer =
  | {
      kind: "agent";
      tenantId: string;
      agentId: string;
      role: AgentRole;
      sessionId: string;
      permissions: Set<Permission>;
      /** The tenant's closure as of the credential's look-up (kept current by notices). */
      closure?: TenantClosure;
    }
  | {
      kind: "apiKey";
      tenantId: string;
      apiKeyId: string;
      permissions: Set<Permission>;
      /** The tenant's closure as of the credential's look-up (kept current by notices). */
      closure?: TenantClosure;
    }
  | {
      /** A plugin acting on its own, e.g. storing an inbound SMS. Never reached over HTTP. */
      kind: "system";
      tenantId: string;
      pluginId: string;
      permissions: ReadonlySet<Permission>;
    }
  | {
      /** A data subject with a portal token, acting for themselves. */
      kind: "contact";
      tenantId: string;
      contactId: string;
      portalTokenId: string;
      permissions: ReadonlySet<Permission>;
      /** The tenant's closure as of the credential's look-up (kept current by notices). */
      closure?: TenantClosure;
    };

export interface Authentication {
  viewer: Viewer | null;
  /** Why presented credentials were refused, for the UNAUTHENTICATED message. */
  failure?: string;
}

/** A credential that works, as looked up: what a cache may keep. */
export interface Credential {
  /** Shared by every request that presents the credential while it is cached: never changed. */
  viewer: Readonly<Viewer>;
  /**
   * The rows whose change can revoke or alter it, as the database announces
   * them (migration 0013_credential_notices): "session:<id>", "agent:<id>"…
   */
  subjects: string[];
  /** When it stops working by itself (sessions, portal links), in ms since the epoch. */
  expiresAt?: number;
  /** Keys and portal links record their last use; `at` is the last time written. */
  lastUsed?: { at: number | null; write(at: Date): Promise<unknown> };
}

export type CredentialLookup = { credential: Credential } | { failure: string };

/** Where authenticate keeps credentials between requests, and where it logs. */
export interface AuthenticateOptions {
  cache?: CredentialCache;
  log?: Logger;
}

// Last-used times are informative; writing them once a minute per key is enough.
const LAST_USED_GRANULARITY_MS = 60_000;

const CLOSURE = { closedAt: true, deletionDueAt: true } as const;
const closureOf = (tenant: { closedAt: Date | null; deletionDueAt: Date | null }): TenantClosure =>
  tenant.closedAt ? { closedAt: tenant.closedAt, deletionDueAt: tenant.deletionDueAt } : null;

/** Reads `Authorization: Bearer <session token | API key | portal token>` and checks it. */
export async function authenticate(database: Database, header: string | null, options: AuthenticateOptions = {}): Promise<Authentication> {
  if (!header) return { viewer: null };
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) return { viewer: null, failure: "Authorization header must be 'Bearer <token>'" };
  const token = match[1]!;
  if (!/^dg[skp]_/.test(token)) return { viewer: null, failure: "Unrecognised credential" };
  const digest = hashToken(token);
  const load = () => lookUpCredential(database, token, digest);
  const found = options.cache ? await options.cache.resolve(digest, load) : await load();
  if ("failure" in found) return { viewer: null, failure: found.failure };
  noteUse(found.credential, options.log);
  return { viewer: found.credential.viewer };
}

/**
 * Records the use of a key or portal link at most once a minute, cached or not.
 * Not awaited: the request does not wait for bookkeeping, and a failed write is
 * logged, not the caller's problem.
 */
function noteUse(credential: Credential, log?: Logger) {
  const used = credential.lastUsed;
  const now = Date.now();
  if (!used || (used.at !== null && now - used.at <= LAST_USED_GRANULARITY_MS)) return;
  used.at = now;
  used.write(new Date(now)).catch((err: Error) => log?.warn({ err: err.message }, "could not record a credential's last use"));
}

/** One look-up in the database: the credential with its owner (agent, contact), checked. */
async function lookUpCredential(database: Database, token: string, digest: string): Promise<CredentialLookup> {
  const { prisma } = database;
  if (token.startsWith("dgs_")) {
    const session = await prisma.session.findUnique({
      where: { tokenHash: digest },
      include: { agent: true, tenant: { select: CLOSURE } },
    });
    if (!session || session.revokedAt || session.expiresAt < new Date() || session.agent.disabled) {
      return { failure: "Session expired or signed out" };
    }
    const viewer: Viewer = {
      kind: "agent",
      tenantId: session.tenantId,
      agentId: session.agentId,
      role: session.agent.role,
      sessionId: session.id,
      permissions: permissionsForRole(session.agent.role),
      closure: closureOf(session.tenant),
    };
    return {
      credential: {
        viewer: Object.freeze(viewer),
        subjects: [`session:${session.id}`, `agent:${session.agentId}`, `tenant:${session.tenantId}`],
        expiresAt: session.expiresAt.getTime(),
      },
    };
  }
  if (token.startsWith("dgk_")) {
    const key = await prisma.apiKey.findUnique({ where: { secretHash: digest }, include: { tenant: { select: CLOSURE } } });
    if (!key || key.revokedAt) return { failure: "API key unknown or revoked" };
    const viewer: Viewer = {
      kind: "apiKey",
      tenantId: key.tenantId,
      apiKeyId: key.id,
      permissions: new Set(key.scopes as Permission[]),
      closure: closureOf(key.tenant),
    };
    return {
      credential: {
        viewer: Object.freeze(viewer),
        subjects: [`apiKey:${key.id}`, `tenant:${key.tenantId}`],
        lastUsed: {
          at: key.lastUsedAt?.getTime() ?? null,
          write: (at) => prisma.apiKey.updateMany({ where: { id: key.id }, data: { lastUsedAt: at } }),
        },
      },
    };
  }
  const portal = await prisma.portalToken.findUnique({
    where: { tokenHash: digest },
    include: { contact: true, tenant: { select: CLOSURE } },
  });
  if (!portal || portal.revokedAt || portal.expiresAt < new Date() || portal.contact.erasedAt) {
    return { failure: "Portal link expired or revoked" };
  }
  const viewer: Viewer = {
    kind: "contact",
    tenantId: portal.tenantId,
    contactId: portal.contactId,
    portalTokenId: portal.id,
    permissions: CONTACT_PERMISSIONS,
    closure: closureOf(portal.tenant),
  };
  return {
    credential: {
      viewer: Object.freeze(viewer),
      subjects: [`portalToken:${portal.id}`, `contact:${portal.contactId}`, `tenant:${portal.tenantId}`],
      expiresAt: portal.expiresAt.getTime(),
      lastUsed: {
        at: portal.lastUsedAt?.getTime() ?? null,
        write: (at) => prisma.portalToken.updateMany({ where: { id: portal.id }, data: { lastUsedAt: at } }),
      },
    },
  };
}
