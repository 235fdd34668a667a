-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "deliveryError" TEXT,
ADD COLUMN     "deliveryStatus" TEXT,
ADD COLUMN     "externalId" TEXT;

-- CreateTable
CREATE TABLE "PluginInstall" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "pluginId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "config" JSONB NOT NULL DEFAULT '{}',
    "secrets" JSONB NOT NULL DEFAULT '{}',
    "acceptedVersion" TEXT,
    "acceptedLocations" TEXT[],
    "acceptedCategories" TEXT[],
    "acceptedById" TEXT,
    "acceptedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PluginInstall_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PluginCall" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "pluginId" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "categories" TEXT[],
    "subjectIds" TEXT[],
    "outcome" TEXT NOT NULL,
    "errorCode" TEXT,
    "durationMs" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PluginCall_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PluginInstall_tenantId_pluginId_key" ON "PluginInstall"("tenantId", "pluginId");

-- CreateIndex
CREATE INDEX "PluginCall_tenantId_pluginId_at_idx" ON "PluginCall"("tenantId", "pluginId", "at");

-- CreateIndex
CREATE INDEX "PluginCall_tenantId_at_idx" ON "PluginCall"("tenantId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Message_tenantId_externalId_key" ON "Message"("tenantId", "externalId");

-- AddForeignKey
ALTER TABLE "PluginInstall" ADD CONSTRAINT "PluginInstall_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PluginCall" ADD CONSTRAINT "PluginCall_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

