-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "closedAt" TIMESTAMP(3),
ADD COLUMN     "deletionDueAt" TIMESTAMP(3),
ADD COLUMN     "deletionError" TEXT;

-- CreateTable
CREATE TABLE "TenantClosureReceipt" (
    "id" UUID NOT NULL,
    "formerTenantId" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "closedAt" TIMESTAMP(3) NOT NULL,
    "deletedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "counts" JSONB NOT NULL,
    "plugins" JSONB NOT NULL,

    CONSTRAINT "TenantClosureReceipt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OperatorAuditEntry" (
    "id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "tenantSlug" TEXT,
    "outcome" TEXT NOT NULL,
    "errorCode" TEXT,
    "requestId" TEXT NOT NULL,
    "clientIp" TEXT NOT NULL,

    CONSTRAINT "OperatorAuditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TenantClosureReceipt_slug_idx" ON "TenantClosureReceipt"("slug");

-- CreateIndex
CREATE INDEX "OperatorAuditEntry_at_idx" ON "OperatorAuditEntry"("at");

