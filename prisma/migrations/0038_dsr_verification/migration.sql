-- AlterEnum
ALTER TYPE "DataSubjectRequestStatus" ADD VALUE 'AWAITING_VERIFICATION';

-- AlterTable
ALTER TABLE "DataSubjectRequest" ADD COLUMN     "verificationExpiresAt" TIMESTAMP(3),
ADD COLUMN     "verificationNonce" TEXT,
ADD COLUMN     "verifiedAt" TIMESTAMP(3);

