-- AlterTable
ALTER TABLE "DataExport" ADD COLUMN     "blobKey" TEXT,
ADD COLUMN     "size" INTEGER,
ALTER COLUMN "content" DROP NOT NULL;


-- An export's archive leaves the blob store when its row goes (expiry, erasure, a cascade
-- from its contact or tenant): the same queue and the same function as attachments' files.
CREATE TRIGGER data_export_blob_released AFTER DELETE OR UPDATE OF "blobKey" ON "DataExport"
  FOR EACH ROW EXECUTE FUNCTION attachment_blob_released();
