import { appendAuditIn } from "../audit/service.js";
import { DAY_MS } from "../constants.js";
import type { Database } from "../db/database.js";
import type { Prisma } from "../generated/prisma/client.js";

/**
 * INFECTED files stay in the store, encrypted and never served, so that an
 * admin sees on the message what was caught and when; then they go. A
 * tenant's INFECTED_ATTACHMENTS retention rule says when (src/retention/);
 * without one, ATTACHMENT_QUARANTINE_DAYS does (below). A legal hold on the
 * ticket's requester keeps them, as it keeps the rest of the ticket.
 */
export const quarantinedBefore = (cutoff: Date): Prisma.AttachmentWhereInput => ({ scanStatus: "INFECTED", scannedAt: { lt: cutoff } });

export const quarantineHeld: Prisma.AttachmentWhereInput = { ticket: { requester: { legalHoldAt: { not: null } } } };
export const quarantineFree: Prisma.AttachmentWhereInput = { ticket: { requester: { legalHoldAt: null } } };

/**
 * Deletes the INFECTED files older than `days` of every tenant without an
 * INFECTED_ATTACHMENTS rule, each tenant's in one transaction with an audit
 * entry (retention.deleted, as a sweep writes it). The deletion trigger queues
 * their blobs; the caller drains those. Returns how many files went.
 */
export async function deleteExpiredQuarantine(database: Database, days: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const expired = { AND: [quarantinedBefore(cutoff), quarantineFree] };
  const tenants = await database.prisma.attachment.findMany({
    where: { ...expired, tenant: { retentionRules: { none: { target: "INFECTED_ATTACHMENTS" } } } },
    distinct: ["tenantId"],
    select: { tenantId: true },
  });
  let deleted = 0;
  for (const { tenantId } of tenants) {
    deleted += await database.forTenant(tenantId).$transaction(async (tx) => {
      const { count } = await tx.attachment.deleteMany({ where: expired });
      if (count) {
        await appendAuditIn(tx, tenantId, [
          {
            actorType: "SYSTEM",
            actorId: null,
            action: "retention.deleted",
            categories: ["user.content.attachment"],
            details: { target: "INFECTED_ATTACHMENTS", keepDays: days, count, setting: "ATTACHMENT_QUARANTINE_DAYS" },
          },
        ]);
      }
      return count;
    });
    database.appended(tenantId);
  }
  return deleted;
}
