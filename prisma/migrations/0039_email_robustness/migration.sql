-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "lastOverSenderLimitAt" TIMESTAMP(3),
ADD COLUMN     "mailsOverSenderLimit" INTEGER NOT NULL DEFAULT 0;

