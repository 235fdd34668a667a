-- CreateEnum
CREATE TYPE "AttachmentScanStatus" AS ENUM ('PENDING', 'CLEAN', 'INFECTED', 'ERROR', 'NOT_SCANNED');

-- AlterTable
ALTER TABLE "Attachment" ADD COLUMN     "scanError" TEXT,
ADD COLUMN     "scanSignature" TEXT,
ADD COLUMN     "scanStatus" "AttachmentScanStatus" NOT NULL DEFAULT 'PENDING',
ADD COLUMN     "scannedAt" TIMESTAMP(3),
ADD COLUMN     "scannedBy" TEXT;

-- CreateTable
CREATE TABLE "AttachmentScan" (
    "attachmentId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AttachmentScan_pkey" PRIMARY KEY ("attachmentId")
);

-- CreateIndex
CREATE INDEX "AttachmentScan_nextAttemptAt_idx" ON "AttachmentScan"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "AttachmentScan_tenantId_idx" ON "AttachmentScan"("tenantId");

-- CreateIndex
CREATE INDEX "Attachment_scanStatus_scannedAt_idx" ON "Attachment"("scanStatus", "scannedAt");

-- AddForeignKey
ALTER TABLE "AttachmentScan" ADD CONSTRAINT "AttachmentScan_attachmentId_fkey" FOREIGN KEY ("attachmentId") REFERENCES "Attachment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AttachmentScan" ADD CONSTRAINT "AttachmentScan_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Files stored before scanning existed were never scanned, and say so. With ATTACHMENT_SCANNING=required
-- the server queues them at start (src/attachments/scan-mode.ts) and serves them once they are CLEAN.
UPDATE "Attachment" SET "scanStatus" = 'NOT_SCANNED' WHERE "uploadedAt" IS NOT NULL;

-- A file queued for scanning is announced on "deskgraph_attachment_scans" when the queue row
-- commits, so that every instance's scan worker looks at once (NOTIFY is transactional: a
-- rolled-back upload announces nothing). The payload is empty: the worker leases what is due.
CREATE FUNCTION deskgraph_attachment_scan_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('deskgraph_attachment_scans', '');
  RETURN NULL;
END $$;

CREATE TRIGGER "AttachmentScan_queued" AFTER INSERT ON "AttachmentScan"
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_attachment_scan_queued();
