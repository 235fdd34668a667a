import type { ScanningConfig } from "../config.js";
import type { Database } from "../db/database.js";

/**
 * Brings stored files in line with the scanning mode at start, so that a
 * file's status always says what happened to it:
 *
 * - required: files stored while scanning was off (or before it existed) are
 *   NOT_SCANNED; they are queued and become PENDING, and are served once CLEAN;
 * - off: files still waiting (PENDING) or whose scan gave up (ERROR) will not
 *   be scanned; they become NOT_SCANNED and are served as such.
 *
 * INFECTED files stay quarantined in either mode. Each is one statement, safe
 * to run on every start and on several instances at once. Returns how many
 * files were queued (required) or taken off the queue (off).
 */
export async function applyScanMode(database: Database, mode: ScanningConfig["mode"]): Promise<number> {
  const now = new Date().toISOString();
  if (mode === "required") {
    return database.prisma.$executeRaw`
      WITH queued AS (
        UPDATE "Attachment" SET "scanStatus" = 'PENDING', "scannedAt" = NULL, "scannedBy" = NULL
        WHERE "scanStatus" = 'NOT_SCANNED' AND "uploadedAt" IS NOT NULL
        RETURNING "id", "tenantId"
      )
      INSERT INTO "AttachmentScan" ("attachmentId", "tenantId", "nextAttemptAt", "createdAt")
      SELECT "id", "tenantId", ${now}::timestamp, ${now}::timestamp FROM queued
      ON CONFLICT ("attachmentId") DO NOTHING`;
  }
  return database.prisma.$executeRaw`
    WITH unscanned AS (
      UPDATE "Attachment" SET "scanStatus" = 'NOT_SCANNED', "scannedAt" = NULL, "scannedBy" = NULL, "scanError" = NULL
      WHERE "scanStatus" IN ('PENDING', 'ERROR') AND "uploadedAt" IS NOT NULL
      RETURNING "id"
    )
    DELETE FROM "AttachmentScan" WHERE "attachmentId" IN (SELECT "id" FROM unscanned)`;
}
