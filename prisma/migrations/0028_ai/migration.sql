-- AlterTable
ALTER TABLE "PluginCall" ADD COLUMN     "answerSha256" TEXT,
ADD COLUMN     "inputTokens" INTEGER,
ADD COLUMN     "messageId" UUID,
ADD COLUMN     "model" TEXT,
ADD COLUMN     "outputTokens" INTEGER,
ADD COLUMN     "promptSha256" TEXT,
ADD COLUMN     "ticketId" UUID;

-- CreateTable
CREATE TABLE "AiSettings" (
    "tenantId" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "allowedSpecialCategories" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "fallbackToLocal" BOOLEAN NOT NULL DEFAULT true,
    "modelsInvalidatedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AiSettings_pkey" PRIMARY KEY ("tenantId")
);

-- CreateTable
CREATE TABLE "AiSuggestion" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "messageId" UUID,
    "kind" TEXT NOT NULL,
    "callId" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "answerSha256" TEXT NOT NULL,
    "createdByType" "ActorType" NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acceptedAt" TIMESTAMP(3),
    "acceptedByType" "ActorType",
    "acceptedById" TEXT,

    CONSTRAINT "AiSuggestion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AiSuggestion_tenantId_ticketId_createdAt_idx" ON "AiSuggestion"("tenantId", "ticketId", "createdAt");

-- CreateIndex
CREATE INDEX "AiSuggestion_tenantId_createdAt_idx" ON "AiSuggestion"("tenantId", "createdAt");

-- AddForeignKey
ALTER TABLE "AiSettings" ADD CONSTRAINT "AiSettings_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AiSuggestion" ADD CONSTRAINT "AiSuggestion_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AiSuggestion" ADD CONSTRAINT "AiSuggestion_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

