-- Search: each message carries a copy of its ticket's status, priority, assignee
-- and tag ids, so that a search with a ticket filter (tag:billing invoice) checks
-- each match in its own row instead of looking its ticket and tags up by key.
-- Kept current by the triggers below; nothing else writes these columns.
ALTER TABLE "Message"
  ADD COLUMN "ticketStatus" "TicketStatus",
  ADD COLUMN "ticketPriority" "TicketPriority",
  ADD COLUMN "ticketAssigneeId" UUID,
  ADD COLUMN "ticketTagIds" UUID[] NOT NULL DEFAULT '{}';

-- The ticket itself carries its tag ids as well: a ticket matching the words is
-- checked for a tag in its row, not by a look-up in "TicketTag".
ALTER TABLE "Ticket" ADD COLUMN "tagIds" UUID[] NOT NULL DEFAULT '{}';

-- A new message (or one moved to another ticket) takes its ticket's fields.
CREATE FUNCTION deskgraph_message_ticket_fields() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT t."status", t."priority", t."assigneeId",
         COALESCE(ARRAY(SELECT tt."tagId" FROM "TicketTag" tt WHERE tt."ticketId" = t."id" ORDER BY tt."tagId"), '{}')
    INTO NEW."ticketStatus", NEW."ticketPriority", NEW."ticketAssigneeId", NEW."ticketTagIds"
    FROM "Ticket" t WHERE t."id" = NEW."ticketId";
  RETURN NEW;
END $$;
CREATE TRIGGER "Message_ticket_fields" BEFORE INSERT OR UPDATE OF "ticketId" ON "Message"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_message_ticket_fields();

-- A ticket's status, priority or assignee changes: its messages' copies follow.
-- (The outbox trigger of 0008 returns early on these updates: the ticket's own
-- trigger has already queued its messages.)
CREATE FUNCTION deskgraph_ticket_fields_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Message" SET "ticketStatus" = NEW."status", "ticketPriority" = NEW."priority", "ticketAssigneeId" = NEW."assigneeId"
  WHERE "tenantId" = NEW."tenantId" AND "ticketId" = NEW."id";
  RETURN NULL;
END $$;
CREATE TRIGGER "Ticket_message_fields" AFTER UPDATE OF "status", "priority", "assigneeId" ON "Ticket"
  FOR EACH ROW WHEN ((OLD."status", OLD."priority", OLD."assigneeId") IS DISTINCT FROM (NEW."status", NEW."priority", NEW."assigneeId"))
  EXECUTE FUNCTION deskgraph_ticket_fields_changed();

-- A ticket gains or loses a tag: its tag ids and its messages' are read again.
-- (The ticket's outbox trigger of 0008 returns early on this update: the tag's own
-- trigger has already queued the ticket and its messages.)
CREATE FUNCTION deskgraph_ticket_tags_refresh(tenant UUID, ticket UUID) RETURNS void LANGUAGE plpgsql AS $$
DECLARE ids UUID[] := COALESCE(ARRAY(SELECT tt."tagId" FROM "TicketTag" tt WHERE tt."ticketId" = ticket ORDER BY tt."tagId"), '{}');
BEGIN
  UPDATE "Ticket" SET "tagIds" = ids WHERE "id" = ticket AND "tagIds" IS DISTINCT FROM ids;
  UPDATE "Message" SET "ticketTagIds" = ids WHERE "tenantId" = tenant AND "ticketId" = ticket AND "ticketTagIds" IS DISTINCT FROM ids;
END $$;

CREATE FUNCTION deskgraph_ticket_tags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM deskgraph_ticket_tags_refresh(OLD."tenantId", OLD."ticketId"); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM deskgraph_ticket_tags_refresh(NEW."tenantId", NEW."ticketId"); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "TicketTag_message_fields" AFTER INSERT OR UPDATE OR DELETE ON "TicketTag"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_ticket_tags_changed();

-- Backfill, with the triggers that react to updates set aside: the body
-- does not change, so neither the vocabulary nor the outbox has anything to do.
ALTER TABLE "Ticket" DISABLE TRIGGER "Ticket_vocabulary_update";
ALTER TABLE "Ticket" DISABLE TRIGGER "Ticket_search_index";
UPDATE "Ticket" t SET "tagIds" = g.ids
FROM (SELECT tt."ticketId", array_agg(tt."tagId" ORDER BY tt."tagId") AS ids FROM "TicketTag" tt GROUP BY tt."ticketId") g
WHERE g."ticketId" = t."id";
ALTER TABLE "Ticket" ENABLE TRIGGER "Ticket_vocabulary_update";
ALTER TABLE "Ticket" ENABLE TRIGGER "Ticket_search_index";
ALTER TABLE "Message" DISABLE TRIGGER "Message_vocabulary_update";
ALTER TABLE "Message" DISABLE TRIGGER "Message_search_index";
UPDATE "Message" m
SET "ticketStatus" = t."status", "ticketPriority" = t."priority", "ticketAssigneeId" = t."assigneeId",
    "ticketTagIds" = COALESCE(g.ids, '{}')
FROM "Ticket" t
LEFT JOIN (SELECT tt."ticketId", array_agg(tt."tagId" ORDER BY tt."tagId") AS ids FROM "TicketTag" tt GROUP BY tt."ticketId") g ON g."ticketId" = t."id"
WHERE t."id" = m."ticketId";
ALTER TABLE "Message" ENABLE TRIGGER "Message_vocabulary_update";
ALTER TABLE "Message" ENABLE TRIGGER "Message_search_index";
