import { insertEventsFrom } from "../events/outbox.js";
import { Prisma } from "../generated/prisma/client.js";
import type { AuthorType, Channel, TicketPriority, TicketStatus } from "../generated/prisma/enums.js";
import { nextNumberSql, type CounterClient } from "./counter.js";

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
 */
export async function insertTicket(db: CounterClient, t: NewTicket): Promise<InsertedTicket | null> {
  const requester = Prisma.sql`
    SELECT 1 FROM "Contact" WHERE "id" = ${t.requesterId}::uuid AND "tenantId" = ${t.tenantId}::uuid
    AND "erasedAt" IS NULL AND "restrictedAt" IS NULL`;
  const number =
    t.number === undefined
      ? nextNumberSql(t.tenantId, requester)
      : Prisma.sql`SELECT ${t.number}::int AS "last" WHERE EXISTS (${requester})`;
  const rows = await db.$queryRaw<InsertedTicket[]>`
    WITH counter AS (${number}),
    ticket AS (
      INSERT INTO "Ticket" ("id", "tenantId", "number", "subject", "priority", "channel", "requesterId", "assigneeId", "teamId", "updatedAt")
      SELECT gen_random_uuid(), ${t.tenantId}::uuid, counter."last", ${t.subject}, ${t.priority}::"TicketPriority", ${t.channel}::"Channel",
             ${t.requesterId}::uuid, ${t.assigneeId}::uuid, ${t.teamId ?? null}::uuid, now()
      FROM counter
      RETURNING "id", "number", "status"
    ),
    message AS (
      INSERT INTO "Message" ("id", "tenantId", "ticketId", "internal", "authorType", "authorAgentId", "authorContactId", "body", "channel")
      SELECT gen_random_uuid(), ${t.tenantId}::uuid, ticket."id", false, ${t.author.authorType}::"AuthorType",
             ${t.author.authorAgentId ?? null}::uuid, ${t.author.authorContactId ?? null}::uuid, ${t.body}, ${t.channel}::"Channel"
      FROM ticket
      RETURNING "id"
    ),
    events AS (${insertEventsFrom(
      t.tenantId,
      Prisma.sql`
        SELECT 'TICKET_CREATED' AS "type", ticket."id" AS "ticketId", NULL::uuid AS "messageId", false AS "internal",
               jsonb_build_object('status', ticket."status") AS "data", 1 AS "ord" FROM ticket
        UNION ALL
        SELECT 'MESSAGE_ADDED', ticket."id", message."id", false, '{}'::jsonb, 2 FROM ticket, message`,
    )})
    SELECT "id", "number", "status"::text AS "status" FROM ticket`;
  const row = rows[0];
  return row ? { id: row.id, number: Number(row.number), status: row.status } : null;
}
