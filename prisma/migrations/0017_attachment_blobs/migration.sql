-- AlterTable
ALTER TABLE "Attachment" ADD COLUMN     "blobKey" TEXT,
ADD COLUMN     "internal" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "ticketId" UUID,
ADD COLUMN     "uploadedAt" TIMESTAMP(3),
ADD COLUMN     "uploadedBy" TEXT,
ADD COLUMN     "uploadingAt" TIMESTAMP(3),
ALTER COLUMN "messageId" DROP NOT NULL,
ALTER COLUMN "content" DROP NOT NULL;

-- Rows written before the blob store: on their message's ticket, as visible as their message,
-- uploaded when created. Their bytes stay in "content" until `deskgraph attachments:migrate`.
UPDATE "Attachment" a SET "ticketId" = m."ticketId", "internal" = m."internal", "uploadedAt" = a."createdAt"
  FROM "Message" m WHERE m."id" = a."messageId";
ALTER TABLE "Attachment" ALTER COLUMN "ticketId" SET NOT NULL;

-- CreateTable
CREATE TABLE "TenantDataKey" (
    "tenantId" UUID NOT NULL,
    "sealed" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TenantDataKey_pkey" PRIMARY KEY ("tenantId")
);

-- CreateTable
CREATE TABLE "BlobDeletion" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "blobKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BlobDeletion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BlobDeletion_tenantId_createdAt_idx" ON "BlobDeletion"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "Attachment_tenantId_ticketId_idx" ON "Attachment"("tenantId", "ticketId");

-- AddForeignKey
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenantDataKey" ADD CONSTRAINT "TenantDataKey_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- A blob whose row is deleted (by any path: erasure, retention, a cascade from its message,
-- ticket or tenant) or whose row now points at another blob (a redacted copy) is queued
-- for deletion from the store in the same transaction; src/blobs/deletions.ts drains the queue.
CREATE FUNCTION attachment_blob_released() RETURNS trigger AS $$
BEGIN
  IF OLD."blobKey" IS NOT NULL AND (TG_OP = 'DELETE' OR NEW."blobKey" IS DISTINCT FROM OLD."blobKey") THEN
    INSERT INTO "BlobDeletion" ("id", "tenantId", "blobKey") VALUES (gen_random_uuid(), OLD."tenantId", OLD."blobKey");
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER attachment_blob_released AFTER DELETE OR UPDATE OF "blobKey" ON "Attachment"
  FOR EACH ROW EXECUTE FUNCTION attachment_blob_released();
