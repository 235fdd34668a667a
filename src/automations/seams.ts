import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { inputFor, plainOfInput, problemWith, ticketField, valuesOf } from "../custom-fields/rule-values.js";
import type { ValueInput } from "../custom-fields/values.js";
import { slaPolicyExists, slaStandings, type SlaStanding } from "../sla/lookup.js";
import { teamExists, teamsOfTickets } from "../teams/lookup.js";

type Db = TenantClient | Tx;

/**
 * What rules read and write of the ticket fields other domains own, through
 * those domains' functions, not their tables. Writes are not here: a rule's
 * team and field values go into the one updateTicket of its actions (which
 * routes by the team's strategy unless the rule sets an assignee too, and
 * checks values by the field's rules), so that they make one set of events.
 */

/** Custom fields: a condition `{ field: "custom:<key>" }` and the SET_CUSTOM_FIELD action. */
export interface CustomFieldSource {
  /** Why `value` cannot be stored in the tenant's field `key` (or why no such field exists); null when it can. */
  problemWith(db: Db, key: string, value?: unknown): Promise<string | null>;
  /** The tickets' values of these fields: ticket id → key → value (a missing key: not set). */
  valuesOf(db: Db, ticketIds: string[], keys: string[]): Promise<Map<string, Record<string, unknown>>>;
  /** The value as updateTicket's `customFields` takes it, and as valuesOf reads it back; null when the field is gone or the value does not fit. */
  inputOf(db: Db, key: string, value: unknown): Promise<{ input: ValueInput; plain: unknown } | null>;
}

/** Teams: a `team` condition and the SET_TEAM action. */
export interface TeamSource {
  /** Whether the tenant has this team. */
  exists(db: Db, teamId: string): Promise<boolean>;
  /** Ticket id → team id (or null). */
  teamsOf(db: Db, ticketIds: string[]): Promise<Map<string, string | null>>;
}

export const customFields: CustomFieldSource = {
  problemWith,
  valuesOf,
  async inputOf(db, key, value) {
    const field = await ticketField(db, key);
    if (!field) return null;
    const input = inputFor(field, value);
    return typeof input === "string" ? null : { input, plain: plainOfInput(field.type, input) };
  },
};

export const teams: TeamSource = { exists: teamExists, teamsOf: teamsOfTickets };

/** SLA standing: the `sla.*` conditions ("breached", "due within 30 minutes", "on policy X"). */
export interface SlaSource {
  /** Whether the tenant has this SLA policy. */
  policyExists(db: Db, policyId: string): Promise<boolean>;
  /** Ticket id → standing (left out: no SLA set up yet). */
  standingsOf(db: Db, ticketIds: string[]): Promise<Map<string, SlaStanding>>;
}

export const sla: SlaSource = { policyExists: slaPolicyExists, standingsOf: (db, ids) => slaStandings(db, ids) };
