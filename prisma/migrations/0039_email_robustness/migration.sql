-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "lastOverSenderLimitAt" TIMESTAMP(3),
ADD COLUMN     "mailsOverSenderLimit" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "EmailOutbound" (
    "messageId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseToken" UUID,
    "leaseUntil" TIMESTAMP(3),
    "leaseHolder" TEXT,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EmailOutbound_pkey" PRIMARY KEY ("messageId")
);

-- CreateIndex
CREATE INDEX "EmailOutbound_nextAttemptAt_idx" ON "EmailOutbound"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "EmailOutbound_tenantId_idx" ON "EmailOutbound"("tenantId");

-- AddForeignKey
ALTER TABLE "EmailOutbound" ADD CONSTRAINT "EmailOutbound_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailOutbound" ADD CONSTRAINT "EmailOutbound_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

