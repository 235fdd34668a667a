import type { Database } from "../db/database.js";
import type { AgentRole } from "../generated/prisma/enums.js";
import { hashToken } from "./tokens.js";
import { CONTACT_PERMISSIONS, permissionsForRole, type Permission } from "./permissions.js";

export type Viewer =
  | {
      kind: "agent";
      tenantId: string;
      agentId: string;
      role: AgentRole;
      sessionId: string;
      permissions: Set<Permission>;
    }
  | {
      kind: "apiKey";
      tenantId: string;
      apiKeyId: string;
      permissions: Set<Permission>;
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
    };

export interface Authentication {
  viewer: Viewer | null;
  /** Why presented credentials were refused, for the UNAUTHENTICATED message. */
  failure?: string;
}

// Last-used times are informative; writing them once a minute per key is enough.
const LAST_USED_GRANULARITY_MS = 60_000;

/** Reads `Authorization: Bearer <session token | API key>` and checks it. */
export async function authenticate(database: Database, header: string | null): Promise<Authentication> {
  if (!header) return { viewer: null };
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) return { viewer: null, failure: "Authorization header must be 'Bearer <token>'" };
  const token = match[1]!;
  const digest = hashToken(token);
  const { prisma } = database;

  if (token.startsWith("dgs_")) {
    const session = await prisma.session.findUnique({ where: { tokenHash: digest }, include: { agent: true } });
    if (!session || session.revokedAt || session.expiresAt < new Date() || session.agent.disabled) {
      return { viewer: null, failure: "Session expired or signed out" };
    }
    return {
      viewer: {
        kind: "agent",
        tenantId: session.tenantId,
        agentId: session.agentId,
        role: session.agent.role,
        sessionId: session.id,
        permissions: permissionsForRole(session.agent.role),
      },
    };
  }
  if (token.startsWith("dgk_")) {
    const key = await prisma.apiKey.findUnique({ where: { secretHash: digest } });
    if (!key || key.revokedAt) return { viewer: null, failure: "API key unknown or revoked" };
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      await prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date(now) } });
    }
    return {
      viewer: {
        kind: "apiKey",
        tenantId: key.tenantId,
        apiKeyId: key.id,
        permissions: new Set(key.scopes as Permission[]),
      },
    };
  }
  if (token.startsWith("dgp_")) {
    const portal = await prisma.portalToken.findUnique({ where: { tokenHash: digest }, include: { contact: true } });
    if (!portal || portal.revokedAt || portal.expiresAt < new Date() || portal.contact.erasedAt) {
      return { viewer: null, failure: "Portal link expired or revoked" };
    }
    const now = Date.now();
    if (!portal.lastUsedAt || now - portal.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      await prisma.portalToken.update({ where: { id: portal.id }, data: { lastUsedAt: new Date(now) } });
    }
    return {
      viewer: { kind: "contact", tenantId: portal.tenantId, contactId: portal.contactId, portalTokenId: portal.id, permissions: CONTACT_PERMISSIONS },
    };
  }
  return { viewer: null, failure: "Unrecognised credential" };
}
