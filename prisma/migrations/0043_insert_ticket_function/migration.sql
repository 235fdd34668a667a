-- A created ticket, its first message and their events (TICKET_CREATED, then
-- MESSAGE_ADDED) in one statement, as src/tickets/insert.ts sent it as text, now
-- inside a function: PostgreSQL parsed and planned the text on every create, a
-- fifth of the statement's database time with its triggers (docs/benchmarks.md,
-- 2026-12-05), while PL/pgSQL keeps the plan of its query for the session. A
-- function works through any pooler, unlike a named prepared statement, and on
-- the embedded database, where planning costs the most.
--
-- Without `new_number`, the statement takes the tenant's next ticket number:
-- the counter row is locked for this statement only, triggers and commit
-- included. With it (a number taken beforehand), that one is used. Either way
-- it checks the requester (a contact of the tenant, not erased, its processing
-- not restricted): without one it writes nothing, takes no number and returns
-- no row, and the caller reads why.
CREATE FUNCTION deskgraph_insert_ticket(
  new_tenant UUID, new_number INT, new_subject TEXT, new_priority "TicketPriority", new_channel "Channel",
  new_requester UUID, new_assignee UUID, new_team UUID,
  new_body TEXT, new_author_type "AuthorType", new_author_agent UUID, new_author_contact UUID
) RETURNS TABLE ("id" UUID, "number" INT, "status" TEXT) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH requester AS (
    SELECT 1 FROM "Contact" c
    WHERE c."id" = new_requester AND c."tenantId" = new_tenant AND c."erasedAt" IS NULL AND c."restrictedAt" IS NULL
  ),
  taken AS (
    INSERT INTO "TicketCounter" ("tenantId", "last")
    SELECT new_tenant, 1 WHERE new_number IS NULL AND EXISTS (SELECT 1 FROM requester)
    ON CONFLICT ("tenantId") DO UPDATE SET "last" = "TicketCounter"."last" + 1
    RETURNING "last"
  ),
  counter AS (
    SELECT t."last" FROM taken t
    UNION ALL
    SELECT new_number WHERE new_number IS NOT NULL AND EXISTS (SELECT 1 FROM requester)
  ),
  ticket AS (
    INSERT INTO "Ticket" ("id", "tenantId", "number", "subject", "priority", "channel", "requesterId", "assigneeId", "teamId", "updatedAt")
    SELECT gen_random_uuid(), new_tenant, counter."last", new_subject, new_priority, new_channel,
           new_requester, new_assignee, new_team, now()
    FROM counter
    RETURNING "id", "number", "status"
  ),
  message AS (
    INSERT INTO "Message" ("id", "tenantId", "ticketId", "internal", "authorType", "authorAgentId", "authorContactId", "body", "channel")
    SELECT gen_random_uuid(), new_tenant, ticket."id", false, new_author_type, new_author_agent, new_author_contact, new_body, new_channel
    FROM ticket
    RETURNING "id"
  ),
  events AS (
    INSERT INTO "Event" ("id", "tenantId", "type", "ticketId", "messageId", "internal", "data")
    SELECT gen_random_uuid(), new_tenant, r."type", r."ticketId", r."messageId", false, r."data"
    FROM (
      SELECT 'TICKET_CREATED' AS "type", ticket."id" AS "ticketId", NULL::uuid AS "messageId",
             jsonb_build_object('status', ticket."status") AS "data", 1 AS "ord" FROM ticket
      UNION ALL
      SELECT 'MESSAGE_ADDED', ticket."id", message."id", '{}'::jsonb, 2 FROM ticket, message
    ) AS r ORDER BY r."ord"
  )
  SELECT ticket."id", ticket."number", ticket."status"::text FROM ticket;
END $$;
