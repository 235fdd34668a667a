import type { Context } from "../context.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";

type Db = TenantClient | Tx;

/**
 * What rules read and write of the ticket fields other domains own. Each
 * source is null until its domain is part of the build; a rule that names
 * one is then refused when saved (VALIDATION), and one stored before a field
 * went away is disabled with the reason when it runs.
 */

/** Custom fields: a condition `{ field: "custom:<key>" }` and the SET_CUSTOM_FIELD action. */
export interface CustomFieldSource {
  /** Why `value` cannot be stored in the tenant's field `key` (or why no such field exists); null when it can. */
  problemWith(db: Db, key: string, value?: unknown): Promise<string | null>;
  /** The tickets' values of these fields: ticket id → key → value (a missing key: not set). */
  valuesOf(db: Db, ticketIds: string[], keys: string[]): Promise<Map<string, Record<string, unknown>>>;
  /** Sets a field through the domain's service (which records its events); inside the caller's transaction. */
  set(ctx: Context, ticketId: string, key: string, value: unknown): Promise<void>;
}

/** Teams: a `team` condition and the SET_TEAM action. */
export interface TeamSource {
  /** Whether the tenant has this team. */
  exists(db: Db, teamId: string): Promise<boolean>;
  /** Ticket id → team id (or null). */
  teamsOf(db: Db, ticketIds: string[]): Promise<Map<string, string | null>>;
  assign(ctx: Context, ticketId: string, teamId: string | null): Promise<void>;
}

export const customFields: CustomFieldSource | null = null;
export const teams: TeamSource | null = null;
