-- CreateEnum
CREATE TYPE "CustomFieldEntity" AS ENUM ('TICKET', 'CONTACT', 'ORGANIZATION');

-- CreateEnum
CREATE TYPE "CustomFieldType" AS ENUM ('TEXT', 'NUMBER', 'DATE', 'BOOLEAN', 'SINGLE_SELECT', 'MULTI_SELECT');

-- CreateEnum
CREATE TYPE "SavedViewSharing" AS ENUM ('PERSONAL', 'TEAM', 'EVERYONE');

-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN     "mergedAt" TIMESTAMP(3),
ADD COLUMN     "mergedIntoId" UUID;

-- CreateTable
CREATE TABLE "CustomFieldDefinition" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "entity" "CustomFieldEntity" NOT NULL,
    "key" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "description" TEXT,
    "type" "CustomFieldType" NOT NULL,
    "options" TEXT[],
    "pattern" TEXT,
    "min" DOUBLE PRECISION,
    "max" DOUBLE PRECISION,
    "requiredOnSolve" BOOLEAN NOT NULL DEFAULT false,
    "personalData" BOOLEAN NOT NULL DEFAULT false,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "deactivatedAt" TIMESTAMP(3),
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomFieldDefinition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CustomFieldValue" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "fieldId" UUID NOT NULL,
    "ticketId" UUID,
    "contactId" UUID,
    "organizationId" UUID,
    "text" TEXT,
    "number" DOUBLE PRECISION,
    "date" DATE,
    "boolean" BOOLEAN,
    "options" TEXT[],
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomFieldValue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketFollower" (
    "tenantId" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "contactId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TicketFollower_pkey" PRIMARY KEY ("ticketId","contactId")
);

-- CreateTable
CREATE TABLE "SavedView" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "ownerAgentId" UUID,
    "sharing" "SavedViewSharing" NOT NULL DEFAULT 'PERSONAL',
    "teamId" UUID,
    "filter" JSONB NOT NULL DEFAULT '{}',
    "orderBy" JSONB,
    "columns" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SavedView_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SatisfactionResponse" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "contactId" UUID NOT NULL,
    "rating" INTEGER NOT NULL,
    "scale" TEXT NOT NULL,
    "comment" TEXT,
    "assigneeId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SatisfactionResponse_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CustomFieldDefinition_tenantId_entity_key_key" ON "CustomFieldDefinition"("tenantId", "entity", "key");

-- CreateIndex
CREATE INDEX "CustomFieldValue_tenantId_fieldId_number_idx" ON "CustomFieldValue"("tenantId", "fieldId", "number");

-- CreateIndex
CREATE INDEX "CustomFieldValue_tenantId_fieldId_date_idx" ON "CustomFieldValue"("tenantId", "fieldId", "date");

-- CreateIndex
CREATE INDEX "CustomFieldValue_tenantId_fieldId_text_idx" ON "CustomFieldValue"("tenantId", "fieldId", "text");

-- CreateIndex
CREATE INDEX "CustomFieldValue_tenantId_contactId_idx" ON "CustomFieldValue"("tenantId", "contactId");

-- CreateIndex
CREATE UNIQUE INDEX "CustomFieldValue_fieldId_ticketId_key" ON "CustomFieldValue"("fieldId", "ticketId");

-- CreateIndex
CREATE UNIQUE INDEX "CustomFieldValue_fieldId_contactId_key" ON "CustomFieldValue"("fieldId", "contactId");

-- CreateIndex
CREATE UNIQUE INDEX "CustomFieldValue_fieldId_organizationId_key" ON "CustomFieldValue"("fieldId", "organizationId");

-- CreateIndex
CREATE INDEX "TicketFollower_tenantId_contactId_idx" ON "TicketFollower"("tenantId", "contactId");

-- CreateIndex
CREATE INDEX "SavedView_tenantId_ownerAgentId_idx" ON "SavedView"("tenantId", "ownerAgentId");

-- CreateIndex
CREATE UNIQUE INDEX "SatisfactionResponse_ticketId_key" ON "SatisfactionResponse"("ticketId");

-- CreateIndex
CREATE INDEX "SatisfactionResponse_tenantId_createdAt_idx" ON "SatisfactionResponse"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "SatisfactionResponse_tenantId_contactId_idx" ON "SatisfactionResponse"("tenantId", "contactId");

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_mergedIntoId_fkey" FOREIGN KEY ("mergedIntoId") REFERENCES "Ticket"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomFieldDefinition" ADD CONSTRAINT "CustomFieldDefinition_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomFieldValue" ADD CONSTRAINT "CustomFieldValue_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomFieldValue" ADD CONSTRAINT "CustomFieldValue_fieldId_fkey" FOREIGN KEY ("fieldId") REFERENCES "CustomFieldDefinition"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomFieldValue" ADD CONSTRAINT "CustomFieldValue_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomFieldValue" ADD CONSTRAINT "CustomFieldValue_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomFieldValue" ADD CONSTRAINT "CustomFieldValue_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketFollower" ADD CONSTRAINT "TicketFollower_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketFollower" ADD CONSTRAINT "TicketFollower_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketFollower" ADD CONSTRAINT "TicketFollower_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SavedView" ADD CONSTRAINT "SavedView_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SatisfactionResponse" ADD CONSTRAINT "SatisfactionResponse_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SatisfactionResponse" ADD CONSTRAINT "SatisfactionResponse_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SatisfactionResponse" ADD CONSTRAINT "SatisfactionResponse_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- A value belongs to exactly one ticket, contact or organisation.
ALTER TABLE "CustomFieldValue" ADD CONSTRAINT "CustomFieldValue_one_owner"
  CHECK (num_nonnulls("ticketId", "contactId", "organizationId") = 1);

-- Ratings are on one scale (GOOD = 5, BAD = 1) so that averages mean one thing.
ALTER TABLE "SatisfactionResponse" ADD CONSTRAINT "SatisfactionResponse_rating_range" CHECK ("rating" BETWEEN 1 AND 5);

-- A tombstone points at a live ticket, never at itself.
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_not_merged_into_itself" CHECK ("mergedIntoId" IS NULL OR "mergedIntoId" <> "id");
