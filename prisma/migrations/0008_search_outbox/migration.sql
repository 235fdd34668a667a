-- CreateTable
CREATE TABLE "SearchIndexOutbox" (
    "id" BIGSERIAL NOT NULL,
    "tenantId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "docId" UUID NOT NULL,
    "enqueuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,

    CONSTRAINT "SearchIndexOutbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SearchIndexState" (
    "tenantId" UUID NOT NULL,
    "pluginId" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "activeIndex" TEXT,
    "buildingIndex" TEXT,
    "buildStartedAt" TIMESTAMP(3),
    "buildHeartbeat" TIMESTAMP(3),
    "readyAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SearchIndexState_pkey" PRIMARY KEY ("tenantId")
);

-- CreateIndex
CREATE INDEX "SearchIndexOutbox_nextAttemptAt_id_idx" ON "SearchIndexOutbox"("nextAttemptAt", "id");

-- CreateIndex
CREATE INDEX "SearchIndexOutbox_tenantId_id_idx" ON "SearchIndexOutbox"("tenantId", "id");


-- Hand-written: the triggers that fill "SearchIndexOutbox" (plugins/elasticsearch).
-- They run in the transaction of the change, so a change and its outbox row
-- commit (or roll back) together: nothing is lost while the cluster is away.
-- Rows carry only what changed (kind, id); the worker reads the current state
-- when it sends. Tenants without the plugin enabled pay one index lookup per row.

CREATE FUNCTION "search_index_enabled"(tenant UUID) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM "PluginInstall" WHERE "tenantId" = tenant AND "pluginId" = 'elasticsearch' AND "enabled")
$$;

-- The messages of tickets: they carry their ticket's status, priority, assignee,
-- requester and tags (so that filters apply to them), so those changes re-send them.
CREATE FUNCTION "search_index_ticket_messages"(tenant UUID, tickets UUID[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId")
  SELECT tenant, 'MESSAGE', m."id" FROM "Message" m WHERE m."ticketId" = ANY (tickets) ORDER BY m."id"
$$;

CREATE FUNCTION "search_index_ticket"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r "Ticket";
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  -- New messages touch the ticket's updatedAt and lastMessageAt: not indexed, not re-sent.
  IF TG_OP = 'UPDATE' AND (OLD."subject", OLD."status", OLD."priority", OLD."assigneeId", OLD."requesterId", OLD."createdAt")
     IS NOT DISTINCT FROM (NEW."subject", NEW."status", NEW."priority", NEW."assigneeId", NEW."requesterId", NEW."createdAt") THEN
    RETURN NULL;
  END IF;
  IF NOT "search_index_enabled"(r."tenantId") THEN RETURN NULL; END IF;
  INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId") VALUES (r."tenantId", 'TICKET', r."id");
  IF TG_OP = 'UPDATE' AND (OLD."status", OLD."priority", OLD."assigneeId", OLD."requesterId")
     IS DISTINCT FROM (NEW."status", NEW."priority", NEW."assigneeId", NEW."requesterId") THEN
    PERFORM "search_index_ticket_messages"(r."tenantId", ARRAY[r."id"]);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER "Ticket_search_index" AFTER INSERT OR UPDATE OR DELETE ON "Ticket" FOR EACH ROW EXECUTE FUNCTION "search_index_ticket"();

CREATE FUNCTION "search_index_message"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r "Message";
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  -- Delivery status updates (SMS) change nothing that is indexed.
  IF TG_OP = 'UPDATE' AND (OLD."body", OLD."internal", OLD."redactedAt", OLD."authorContactId", OLD."authorAgentId", OLD."ticketId")
     IS NOT DISTINCT FROM (NEW."body", NEW."internal", NEW."redactedAt", NEW."authorContactId", NEW."authorAgentId", NEW."ticketId") THEN
    RETURN NULL;
  END IF;
  IF NOT "search_index_enabled"(r."tenantId") THEN RETURN NULL; END IF;
  INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId") VALUES (r."tenantId", 'MESSAGE', r."id");
  RETURN NULL;
END
$$;
CREATE TRIGGER "Message_search_index" AFTER INSERT OR UPDATE OR DELETE ON "Message" FOR EACH ROW EXECUTE FUNCTION "search_index_message"();

CREATE FUNCTION "search_index_contact"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r "Contact";
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF TG_OP = 'UPDATE' AND (OLD."name", OLD."email", OLD."phone", OLD."restrictedAt", OLD."erasedAt", OLD."createdAt")
     IS NOT DISTINCT FROM (NEW."name", NEW."email", NEW."phone", NEW."restrictedAt", NEW."erasedAt", NEW."createdAt") THEN
    RETURN NULL;
  END IF;
  IF NOT "search_index_enabled"(r."tenantId") THEN RETURN NULL; END IF;
  INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId") VALUES (r."tenantId", 'CONTACT', r."id");
  -- Restriction and erasure decide whether the contact's tickets and messages may
  -- be in the index at all; the email is their fromEmail.
  IF TG_OP = 'UPDATE' AND (OLD."email", OLD."restrictedAt", OLD."erasedAt") IS DISTINCT FROM (NEW."email", NEW."restrictedAt", NEW."erasedAt") THEN
    INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId")
    SELECT r."tenantId", 'TICKET', t."id" FROM "Ticket" t WHERE t."tenantId" = r."tenantId" AND t."requesterId" = r."id" ORDER BY t."id";
    INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId")
    SELECT r."tenantId", 'MESSAGE', m."id" FROM "Message" m
    WHERE m."tenantId" = r."tenantId" AND (m."authorContactId" = r."id" OR m."ticketId" IN (SELECT t."id" FROM "Ticket" t WHERE t."tenantId" = r."tenantId" AND t."requesterId" = r."id"))
    ORDER BY m."id";
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER "Contact_search_index" AFTER INSERT OR UPDATE OR DELETE ON "Contact" FOR EACH ROW EXECUTE FUNCTION "search_index_contact"();

CREATE FUNCTION "search_index_ticket_tag"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r "TicketTag";
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF NOT "search_index_enabled"(r."tenantId") THEN RETURN NULL; END IF;
  INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId") VALUES (r."tenantId", 'TICKET', r."ticketId");
  PERFORM "search_index_ticket_messages"(r."tenantId", ARRAY[r."ticketId"]);
  RETURN NULL;
END
$$;
CREATE TRIGGER "TicketTag_search_index" AFTER INSERT OR UPDATE OR DELETE ON "TicketTag" FOR EACH ROW EXECUTE FUNCTION "search_index_ticket_tag"();

CREATE FUNCTION "search_index_tag"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."name" IS NOT DISTINCT FROM NEW."name" OR NOT "search_index_enabled"(NEW."tenantId") THEN RETURN NULL; END IF;
  INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId")
  SELECT NEW."tenantId", 'TICKET', tt."ticketId" FROM "TicketTag" tt WHERE tt."tagId" = NEW."id" ORDER BY tt."ticketId";
  PERFORM "search_index_ticket_messages"(NEW."tenantId", ARRAY(SELECT tt."ticketId" FROM "TicketTag" tt WHERE tt."tagId" = NEW."id"));
  RETURN NULL;
END
$$;
CREATE TRIGGER "Tag_search_index" AFTER UPDATE ON "Tag" FOR EACH ROW EXECUTE FUNCTION "search_index_tag"();

-- Disabling the plugin: the core searches PostgreSQL again at once; changes are
-- no longer queued, so the external index goes stale. Its readiness is cleared
-- and its queue dropped: enabling again builds a fresh index first.
CREATE FUNCTION "search_index_install"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."pluginId" = 'elasticsearch' AND OLD."enabled" AND NOT NEW."enabled" THEN
    DELETE FROM "SearchIndexOutbox" WHERE "tenantId" = NEW."tenantId";
    UPDATE "SearchIndexState" SET "readyAt" = NULL, "buildingIndex" = NULL, "buildStartedAt" = NULL, "buildHeartbeat" = NULL, "updatedAt" = CURRENT_TIMESTAMP
    WHERE "tenantId" = NEW."tenantId";
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER "PluginInstall_search_index" AFTER UPDATE ON "PluginInstall" FOR EACH ROW EXECUTE FUNCTION "search_index_install"();
