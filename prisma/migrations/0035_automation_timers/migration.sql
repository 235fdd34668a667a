-- AlterTable
ALTER TABLE "AutomationRule" ADD COLUMN     "timer" JSONB;

