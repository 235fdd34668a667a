import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { isUuid } from "../teams/lookup.js";

type Db = TenantClient | Tx;

/** Where a ticket stands against its SLA, as automation rules compare it. */
export interface SlaStanding {
  policyId: string | null;
  /** As Ticket.sla.breached reads: a missed target recorded by the scheduler, or a running one overdue now. */
  breached: boolean;
  breachedTargets: string[];
  /** Whole minutes until the earliest running due time (negative: overdue); null while none runs. */
  dueInMinutes: number | null;
}

/** Ticket id → its SLA standing at `now`; tickets whose SLA has not been set up yet are left out. One query. */
export async function slaStandings(db: Db, ticketIds: string[], now = new Date()): Promise<Map<string, SlaStanding>> {
  if (!ticketIds.length) return new Map();
  const rows = await db.ticketSla.findMany({
    where: { ticketId: { in: ticketIds } },
    select: { ticketId: true, policyId: true, breached: true, breachedTargets: true, dueAt: true },
  });
  return new Map(
    rows.map((r) => [
      r.ticketId,
      {
        policyId: r.policyId,
        breached: r.breached || (r.dueAt !== null && r.dueAt < now),
        breachedTargets: r.breachedTargets,
        dueInMinutes: r.dueAt ? Math.floor((r.dueAt.getTime() - now.getTime()) / 60_000) : null,
      },
    ]),
  );
}

/** Whether the tenant has this SLA policy. */
export async function slaPolicyExists(db: Db, policyId: string): Promise<boolean> {
  if (!isUuid(policyId)) return false;
  return (await db.slaPolicy.count({ where: { id: policyId } })) > 0;
}
