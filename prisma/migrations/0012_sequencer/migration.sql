-- Audit entries and events are written unsealed by requests and numbered after
-- commit by one sequencer per tenant (src/audit/sequencer.ts): no request locks the
-- tenant row any more.

-- Ticket numbers move off the tenant row into a counter of their own.
CREATE TABLE "TicketCounter" (
    "tenantId" UUID NOT NULL,
    "last" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "TicketCounter_pkey" PRIMARY KEY ("tenantId")
);
ALTER TABLE "TicketCounter" ADD CONSTRAINT "TicketCounter_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
INSERT INTO "TicketCounter" ("tenantId", "last")
  SELECT "id", GREATEST("ticketSeq", COALESCE((SELECT max("number") FROM "Ticket" t WHERE t."tenantId" = "Tenant"."id"), 0))
  FROM "Tenant";
ALTER TABLE "Tenant" DROP COLUMN "ticketSeq";

-- Unsealed audit entries: no seq, prevHash or hash yet. One read entry per request names every subject read.
ALTER TABLE "AuditEntry" ADD COLUMN     "appendOrder" BIGSERIAL NOT NULL,
ADD COLUMN     "subjectIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
ALTER COLUMN "seq" DROP NOT NULL,
ALTER COLUMN "prevHash" DROP NOT NULL,
ALTER COLUMN "hash" DROP NOT NULL;
CREATE INDEX "AuditEntry_subjectIds_idx" ON "AuditEntry" USING GIN ("subjectIds");
CREATE INDEX "AuditEntry_unsealed_idx" ON "AuditEntry" ("tenantId", "appendOrder") WHERE "seq" IS NULL;

-- Unsealed events: no seq yet.
ALTER TABLE "Event" ADD COLUMN     "appendOrder" BIGSERIAL NOT NULL,
ALTER COLUMN "seq" DROP NOT NULL;
DROP INDEX IF EXISTS "Event_publishedAt_createdAt_idx";
CREATE INDEX "Event_unsealed_idx" ON "Event" ("tenantId", "appendOrder") WHERE "seq" IS NULL;

-- Audit entries stay append-only, except for sealing: the sequencer may set seq,
-- prevHash and hash once, on an entry that has none, and change nothing else.
CREATE FUNCTION "audit_seal_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."seq" IS NULL AND NEW."seq" IS NOT NULL AND NEW."hash" IS NOT NULL AND NEW."prevHash" IS NOT NULL
     AND (to_jsonb(NEW) - ARRAY['seq', 'prevHash', 'hash']) = (to_jsonb(OLD) - ARRAY['seq', 'prevHash', 'hash']) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
DROP TRIGGER "AuditEntry_append_only" ON "AuditEntry";
CREATE TRIGGER "AuditEntry_append_only" BEFORE UPDATE ON "AuditEntry" FOR EACH ROW EXECUTE FUNCTION "audit_seal_only"();
