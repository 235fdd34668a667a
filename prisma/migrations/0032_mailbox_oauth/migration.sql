-- AlterEnum: mailboxes signed in with OAuth2 (Google, Microsoft 365)


ALTER TYPE "MailboxKind" ADD VALUE 'GOOGLE';
ALTER TYPE "MailboxKind" ADD VALUE 'MICROSOFT';

