import { appendAuditIn } from "../audit/service.js";
import type { ScanningConfig } from "../config.js";
import type { Database } from "../db/database.js";
import { recordEvents } from "../events/outbox.js";
import type { AttachmentScanStatus } from "../generated/prisma/enums.js";
import type { Prisma } from "../generated/prisma/client.js";
import { announced, DECIDED } from "./scan-status.js";

/**
 * The scan queue's statements (the AttachmentScan table). A file enters it in
 * the transaction that stores it and leaves it in the transaction that records
 * its verdict, so a file is never stored without being queued (or marked
 * NOT_SCANNED), and a verdict is never recorded twice.
 */

/** What queueing needs of a transaction: the unscoped client's or a tenant-scoped one's. */
interface QueueTx {
  attachmentScan: { create(args: { data: Prisma.AttachmentScanUncheckedCreateInput }): PromiseLike<unknown> };
}

/** The status of a file just stored: PENDING and queued, or NOT_SCANNED when scanning is off. */
export const statusOnStore = (mode: ScanningConfig["mode"]): AttachmentScanStatus => (mode === "required" ? "PENDING" : "NOT_SCANNED");

/** Queues a stored file for scanning, in the transaction that stored it (a trigger wakes the workers at commit). */
export async function queueScan(tx: QueueTx, tenantId: string, attachmentId: string): Promise<void> {
  await tx.attachmentScan.create({ data: { attachmentId, tenantId } });
}

/** A queued file leased by this worker; `attempts` counts the one under way. */
export interface LeasedScan {
  attachmentId: string;
  tenantId: string;
  attempts: number;
}

const at = (date: Date) => date.toISOString();

/**
 * Leases up to `limit` due files: one statement moves each one's next attempt
 * to the end of the lease (FOR UPDATE SKIP LOCKED: two workers never lease the
 * same file) and counts the attempt. A worker that dies mid-scan leaves the
 * file to be leased again when its lease runs out.
 */
export async function leaseScans(database: Database, limit: number, leaseMs: number): Promise<LeasedScan[]> {
  const now = new Date();
  const rows = await database.prisma.$queryRaw<LeasedScan[]>`
    UPDATE "AttachmentScan" AS s
    SET "attempts" = s."attempts" + 1, "nextAttemptAt" = ${at(new Date(now.getTime() + leaseMs))}::timestamp
    FROM (
      SELECT "attachmentId" FROM "AttachmentScan"
      WHERE "nextAttemptAt" <= ${at(now)}::timestamp
      ORDER BY "nextAttemptAt"
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ) AS due
    WHERE s."attachmentId" = due."attachmentId"
    RETURNING s."attachmentId", s."tenantId", s."attempts"`;
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** When the next queued file is due, or null with an empty queue. */
export async function nextDue(database: Database): Promise<Date | null> {
  const next = await database.prisma.attachmentScan.findFirst({ orderBy: { nextAttemptAt: "asc" }, select: { nextAttemptAt: true } });
  return next?.nextAttemptAt ?? null;
}

type Verdict =
  | { scanStatus: "CLEAN"; scannedBy: string }
  | { scanStatus: "INFECTED"; scannedBy: string; scanSignature: string }
  | { scanStatus: "ERROR"; scannedBy: string | null; scanError: string };

/**
 * Records a file's verdict and takes it off the queue, in one transaction with
 * its ATTACHMENT_SCANNED event (when it is on a message already) and, for a
 * file that is not served, an audit entry. Only a PENDING file changes: a
 * second verdict on the same file (a lease that ran out mid-scan) is dropped.
 * Returns whether this verdict was the one recorded.
 */
export async function recordVerdict(database: Database, job: LeasedScan, verdict: Verdict): Promise<boolean> {
  const db = database.forTenant(job.tenantId);
  const recorded = await db.$transaction(async (tx) => {
    const rows = await tx.attachment.updateManyAndReturn({
      where: { id: job.attachmentId, scanStatus: "PENDING" },
      data: { scanSignature: null, scanError: null, ...verdict, scannedAt: new Date() },
      select: DECIDED,
    });
    await tx.attachmentScan.deleteMany({ where: { attachmentId: job.attachmentId } });
    if (!rows.length) return false;
    await recordEvents(tx, job.tenantId, announced(rows));
    if (verdict.scanStatus !== "CLEAN") {
      await appendAuditIn(tx, job.tenantId, [
        {
          actorType: "SYSTEM",
          actorId: null,
          action: verdict.scanStatus === "INFECTED" ? "attachment.quarantined" : "attachment.scanFailed",
          subjectType: "Attachment",
          subjectId: job.attachmentId,
          details: { ...verdict, attempts: job.attempts },
        },
      ]);
    }
    return true;
  });
  // The event and the audit entry are numbered by the sequencer now, not at its next poll.
  if (recorded) database.appended(job.tenantId);
  return recorded;
}

/** The attempt failed and there are more: the file waits `delayMs` (unless its lease was taken over meanwhile). */
export async function retryLater(database: Database, job: LeasedScan, error: string, delayMs: number): Promise<void> {
  await database.prisma.attachmentScan.updateMany({
    where: { attachmentId: job.attachmentId, attempts: job.attempts },
    data: { lastError: error.slice(0, 200), nextAttemptAt: new Date(Date.now() + delayMs) },
  });
}

/** Not the file's fault (the server is shutting down): the attempt is given back and the file is due at once. */
export async function giveBack(database: Database, job: LeasedScan, reason: string): Promise<void> {
  await database.prisma.attachmentScan.updateMany({
    where: { attachmentId: job.attachmentId, attempts: job.attempts },
    data: { attempts: job.attempts - 1, lastError: reason, nextAttemptAt: new Date() },
  });
}

/** Takes a file off the queue that no longer needs a scan (deleted, or decided by another path). */
export async function dropScan(database: Database, job: LeasedScan): Promise<void> {
  await database.prisma.attachmentScan.deleteMany({ where: { attachmentId: job.attachmentId } });
}
