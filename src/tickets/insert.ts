import type { AuthorType, Channel, TicketPriority, TicketStatus } from "../generated/prisma/enums.js";
import type { CounterClient } from "./counter.js";

export interface NewTicket {
  tenantId: string;
  /** Taken beforehand (nextTicketNumber); unset: taken by the insert itself. */
  number?: number;
  subject: string;
  priority: TicketPriority;
  channel: Channel;
  requesterId: string;
  assigneeId: string | null;
  teamId?: string | null;
  /** The first message. */
  body: string;
  author: { authorType: AuthorType; authorAgentId?: string; authorContactId?: string };
}

export interface InsertedTicket {
  id: string;
  number: number;
  status: TicketStatus;
}

/**
 * A ticket, its first message and their events (TICKET_CREATED, then
 * MESSAGE_ADDED) in one statement: one round trip, and when it runs on its
 * own (no transaction around it) no lock outlives it. Without a number given,
 * the statement also takes the tenant's next one; the counter row is then
 * locked for this statement only, but for all of it (triggers and commit
 * included), so a tenant's concurrent creates insert one after another. That
 * costs nothing while the CPUs are busy, and saves the round trip a number of
 * its own would take (docs/benchmarks.md, "where a create waits").
 * The statement also checks the requester: a contact of the tenant, not
 * erased, its processing not restricted. Without one it writes nothing and
 * takes no number, and the result is null (the caller reads why); so the
 * common create needs no read before it.
 * The statement is a database function's (migration 0043_insert_ticket_function),
 * whose plan PostgreSQL keeps for the session instead of planning the text on
 * every create.
 */
export async function insertTicket(db: CounterClient, t: NewTicket): Promise<InsertedTicket | null> {
  const rows = await db.$queryRaw<InsertedTicket[]>`
    SELECT "id", "number", "status" FROM deskgraph_insert_ticket(
      ${t.tenantId}::uuid, ${t.number ?? null}::int, ${t.subject}, ${t.priority}::"TicketPriority", ${t.channel}::"Channel",
      ${t.requesterId}::uuid, ${t.assigneeId}::uuid, ${t.teamId ?? null}::uuid,
      ${t.body}, ${t.author.authorType}::"AuthorType", ${t.author.authorAgentId ?? null}::uuid, ${t.author.authorContactId ?? null}::uuid)`;
  const row = rows[0];
  return row ? { id: row.id, number: Number(row.number), status: row.status } : null;
}
