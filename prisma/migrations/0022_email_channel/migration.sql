-- CreateEnum
CREATE TYPE "MailboxKind" AS ENUM ('IMAP');

-- CreateEnum
CREATE TYPE "MailboxStatus" AS ENUM ('CONNECTED', 'NEEDS_RECONNECT', 'DISCONNECTED');

-- CreateEnum
CREATE TYPE "MailSecurity" AS ENUM ('TLS', 'STARTTLS', 'NONE');

-- CreateEnum
CREATE TYPE "EmailDirection" AS ENUM ('INBOUND', 'OUTBOUND');

-- CreateTable
CREATE TABLE "Mailbox" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "kind" "MailboxKind" NOT NULL,
    "address" TEXT NOT NULL,
    "displayName" TEXT,
    "imapHost" TEXT NOT NULL,
    "imapPort" INTEGER NOT NULL,
    "imapSecurity" "MailSecurity" NOT NULL,
    "smtpHost" TEXT NOT NULL,
    "smtpPort" INTEGER NOT NULL,
    "smtpSecurity" "MailSecurity" NOT NULL,
    "username" TEXT NOT NULL,
    "secrets" JSONB NOT NULL DEFAULT '{}',
    "folder" TEXT NOT NULL DEFAULT 'INBOX',
    "plusAddressing" BOOLEAN NOT NULL DEFAULT false,
    "status" "MailboxStatus" NOT NULL DEFAULT 'CONNECTED',
    "statusReason" TEXT,
    "statusAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "connectedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "connectedById" UUID,
    "disconnectedAt" TIMESTAMP(3),
    "disconnectedById" UUID,
    "keepData" BOOLEAN NOT NULL DEFAULT false,
    "purgeDueAt" TIMESTAMP(3),
    "purgedAt" TIMESTAMP(3),
    "purgeReceipt" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Mailbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailboxSync" (
    "mailboxId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "uidValidity" BIGINT,
    "lastUid" BIGINT NOT NULL DEFAULT 0,
    "leaseToken" UUID,
    "leaseUntil" TIMESTAMP(3),
    "leaseHolder" TEXT,
    "lastSyncAt" TIMESTAMP(3),
    "lastError" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MailboxSync_pkey" PRIMARY KEY ("mailboxId")
);

-- CreateTable
CREATE TABLE "EmailThread" (
    "ticketId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "replyToken" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EmailThread_pkey" PRIMARY KEY ("ticketId")
);

-- CreateTable
CREATE TABLE "EmailMessage" (
    "id" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "direction" "EmailDirection" NOT NULL,
    "inReplyTo" TEXT,
    "references" TEXT,
    "fromHeader" TEXT NOT NULL,
    "toHeader" TEXT,
    "ccHeader" TEXT,
    "html" TEXT,
    "quoted" TEXT,
    "sentAt" TIMESTAMP(3),
    "uidValidity" BIGINT,
    "uid" BIGINT,
    "attachmentsPending" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EmailMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Mailbox_tenantId_createdAt_idx" ON "Mailbox"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "Mailbox_status_idx" ON "Mailbox"("status");

-- CreateIndex
CREATE INDEX "Mailbox_purgeDueAt_idx" ON "Mailbox"("purgeDueAt");

-- CreateIndex
CREATE INDEX "MailboxSync_leaseUntil_idx" ON "MailboxSync"("leaseUntil");

-- CreateIndex
CREATE UNIQUE INDEX "EmailThread_replyToken_key" ON "EmailThread"("replyToken");

-- CreateIndex
CREATE INDEX "EmailThread_tenantId_mailboxId_idx" ON "EmailThread"("tenantId", "mailboxId");

-- CreateIndex
CREATE UNIQUE INDEX "EmailMessage_messageId_key" ON "EmailMessage"("messageId");

-- CreateIndex
CREATE INDEX "EmailMessage_tenantId_mailboxId_idx" ON "EmailMessage"("tenantId", "mailboxId");

-- CreateIndex
CREATE UNIQUE INDEX "EmailMessage_mailboxId_uidValidity_uid_key" ON "EmailMessage"("mailboxId", "uidValidity", "uid");

-- AddForeignKey
ALTER TABLE "Mailbox" ADD CONSTRAINT "Mailbox_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MailboxSync" ADD CONSTRAINT "MailboxSync_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MailboxSync" ADD CONSTRAINT "MailboxSync_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailThread" ADD CONSTRAINT "EmailThread_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailThread" ADD CONSTRAINT "EmailThread_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailThread" ADD CONSTRAINT "EmailThread_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailMessage" ADD CONSTRAINT "EmailMessage_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailMessage" ADD CONSTRAINT "EmailMessage_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailMessage" ADD CONSTRAINT "EmailMessage_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- One live mailbox per address and tenant; a disconnected one may be connected again as a new mailbox.
CREATE UNIQUE INDEX "Mailbox_tenantId_address_live_key" ON "Mailbox" ("tenantId", "address") WHERE "disconnectedAt" IS NULL;

-- ---- Hand-written: a mail's From, To and Cc are searchable with its message ----
--
-- A message's search vector (0007_search) is its body. A mail's also holds the names and
-- addresses of its From, To and Cc ('simple' keeps addresses whole, as for contacts), at the
-- lowest weight: searching for an address finds the mails it was on, not only the contact.
-- The email part is written after its message, so writing it (or changing its headers:
-- erasure, retention) has the message's vector computed again.
CREATE OR REPLACE FUNCTION deskgraph_message_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchVector" := to_tsvector(deskgraph_tenant_search_config(NEW."tenantId"), NEW."body")
    || coalesce((SELECT setweight(to_tsvector('simple', concat_ws(' ', e."fromHeader", e."toHeader", e."ccHeader")), 'D')
                 FROM "EmailMessage" e WHERE e."messageId" = NEW."id"), ''::tsvector);
  RETURN NEW;
END $$;

CREATE FUNCTION deskgraph_email_headers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Message" SET "searchVector" = NULL WHERE "id" = NEW."messageId";
  RETURN NULL;
END $$;

CREATE TRIGGER "EmailMessage_headers_search" AFTER INSERT OR UPDATE OF "fromHeader", "toHeader", "ccHeader" ON "EmailMessage"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_email_headers_changed();
