-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "forwardingToken" TEXT NOT NULL DEFAULT replace((gen_random_uuid())::text, '-'::text, ''::text);

-- CreateIndex
CREATE UNIQUE INDEX "Mailbox_forwardingToken_key" ON "Mailbox"("forwardingToken");

