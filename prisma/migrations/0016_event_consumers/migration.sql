-- CreateTable
CREATE TABLE "EventConsumerCursor" (
    "consumer" TEXT NOT NULL,
    "tenantId" UUID NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "leaseToken" UUID,
    "leaseUntil" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EventConsumerCursor_pkey" PRIMARY KEY ("consumer","tenantId")
);

-- AddForeignKey
ALTER TABLE "EventConsumerCursor" ADD CONSTRAINT "EventConsumerCursor_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written: until now the sequencer queued webhook deliveries itself and
-- services called plugins' message hook by hand, so for the tenants that exist
-- both are done up to the current head. Their consumers start there instead
-- of going through the events still kept a second time. (A consumer added
-- later starts from the oldest event kept, unless its migration says otherwise.)
INSERT INTO "EventConsumerCursor" ("consumer", "tenantId", "position", "updatedAt")
SELECT c."consumer", t."id", t."eventSeq", CURRENT_TIMESTAMP
FROM "Tenant" t CROSS JOIN (VALUES ('webhooks.fanout'), ('plugin:twilio-sms')) AS c("consumer")
WHERE t."eventSeq" > 0;
