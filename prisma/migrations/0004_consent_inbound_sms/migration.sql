-- AlterEnum
ALTER TYPE "ConsentMethod" ADD VALUE 'INBOUND_SMS';

