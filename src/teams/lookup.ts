import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";

type Db = TenantClient | Tx;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an id can be a row's (a decoded global ID may hold anything). */
export const isUuid = (id: string) => UUID.test(id);

/** Whether the tenant has this team (an id of another tenant's, or no id at all, is missing). */
export async function teamExists(db: Db, teamId: string): Promise<boolean> {
  if (!isUuid(teamId)) return false;
  return (await db.team.count({ where: { id: teamId } })) > 0;
}

/** Ticket id → its team's id (null: none); one query. Missing tickets are left out. */
export async function teamsOfTickets(db: Db, ticketIds: string[]): Promise<Map<string, string | null>> {
  if (!ticketIds.length) return new Map();
  const rows = await db.ticket.findMany({ where: { id: { in: ticketIds } }, select: { id: true, teamId: true } });
  return new Map(rows.map((r) => [r.id, r.teamId]));
}
