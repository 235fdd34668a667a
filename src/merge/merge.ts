import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { Tx } from "../db/tx.js";
import { AppError, notFound, validationError } from "../errors.js";
import { recordEvents } from "../events/outbox.js";
import { assertNotClosed } from "../tickets/status.js";

/** Sources per merge: a merge moves every message of every source in one transaction, so it stays bounded. */
const MAX_MERGE_SOURCES = 20;

function assertShape(sourceIds: string[], targetId: string) {
  if (!sourceIds.length || sourceIds.length > MAX_MERGE_SOURCES) {
    throw validationError([{ path: ["sourceIds"], message: `give 1 to ${MAX_MERGE_SOURCES} tickets` }]);
  }
  if (new Set(sourceIds).size !== sourceIds.length) throw validationError([{ path: ["sourceIds"], message: "a ticket is given twice" }]);
  const self = sourceIds.indexOf(targetId);
  if (self >= 0) throw validationError([{ path: ["sourceIds", self], message: "a ticket cannot be merged into itself" }]);
}

/**
 * Folds tickets into a target in one transaction, with set-based statements:
 * the sources' messages (and the files on them) move to the target, their
 * tags join its tags, their requesters and followers become its followers,
 * and each source stays as a CLOSED tombstone whose `mergedInto` names the
 * target. Checked before anything is written: every ticket exists in the
 * caller's tenant (another tenant's id is NOT_FOUND), none is already merged,
 * the target is not closed. The "not merged yet" conditions are part of the
 * writes themselves, so two merges racing for one source cannot both win.
 */
export async function mergeTickets(ctx: Context, sourceIds: string[], targetId: string) {
  const viewer = requireViewer(ctx);
  assertShape(sourceIds, targetId);
  return ctx.db.$transaction(async (tx) => {
    const tickets = await tx.ticket.findMany({
      where: { id: { in: [targetId, ...sourceIds] } },
      select: { id: true, status: true, mergedIntoId: true, requesterId: true },
    });
    const byId = new Map(tickets.map((t) => [t.id, t]));
    const target = byId.get(targetId);
    if (!target) throw notFound("Ticket");
    const missing = sourceIds.findIndex((id) => !byId.has(id));
    if (missing >= 0)
      throw new AppError("NOT_FOUND", "Ticket not found", { fields: [{ path: ["sourceIds", missing], message: "not found" }] });
    if (target.mergedIntoId) throw alreadyMerged(["targetId"]);
    assertNotClosed(target.status);
    const merged = sourceIds.findIndex((id) => byId.get(id)!.mergedIntoId);
    if (merged >= 0) throw alreadyMerged(["sourceIds", merged]);

    const now = new Date();
    const claimed = await tx.ticket.updateMany({
      where: { id: { in: sourceIds }, mergedIntoId: null },
      data: { mergedIntoId: targetId, mergedAt: now, status: "CLOSED", updatedAt: now },
    });
    if (claimed.count !== sourceIds.length) throw alreadyMerged(["sourceIds"]);
    const moved = await moveAll(tx, viewer.tenantId, sourceIds, targetId);
    await followFrom(tx, viewer.tenantId, sourceIds, targetId, target.requesterId);
    const latest = await tx.message.aggregate({ where: { ticketId: targetId, internal: false }, _max: { createdAt: true } });
    await tx.ticket.update({
      where: { id: targetId },
      data: { updatedAt: now, ...(latest._max.createdAt ? { lastMessageAt: latest._max.createdAt } : {}) },
    });
    const target64 = encodeGlobalID("Ticket", targetId);
    await recordEvents(tx, viewer.tenantId, [
      ...sourceIds.map((id) => ({
        type: "TICKET_MERGED" as const,
        ticketId: id,
        data: { targetId: target64, messagesMoved: moved[id] ?? 0 },
      })),
      { type: "TICKET_UPDATED" as const, ticketId: targetId, data: { changed: ["messages", "tags", "followers"] } },
    ]);
    return { id: targetId };
  });
}

const alreadyMerged = (path: (string | number)[]) =>
  new AppError("CONFLICT", "This ticket was already merged into another; merge into (or from) the ticket its mergedInto names", {
    reason: "ALREADY_MERGED",
    fields: [{ path, message: "already merged" }],
  });

/** Messages, files and tags of the sources to the target: one statement each. Returns messages moved per source. */
async function moveAll(tx: Tx, tenantId: string, sourceIds: string[], targetId: string): Promise<Record<string, number>> {
  const counts = await tx.message.groupBy({ by: ["ticketId"], where: { ticketId: { in: sourceIds } }, _count: { _all: true } });
  await tx.message.updateMany({ where: { ticketId: { in: sourceIds } }, data: { ticketId: targetId } });
  await tx.attachment.updateMany({ where: { ticketId: { in: sourceIds } }, data: { ticketId: targetId } });
  await tx.$executeRaw`
    INSERT INTO "TicketTag" ("tenantId", "ticketId", "tagId")
    SELECT ${tenantId}::uuid, ${targetId}::uuid, tt."tagId" FROM "TicketTag" tt
    WHERE tt."tenantId" = ${tenantId}::uuid AND tt."ticketId" = ANY(${sourceIds}::uuid[])
    ON CONFLICT DO NOTHING`;
  return Object.fromEntries(counts.map((c) => [c.ticketId, c._count._all]));
}

/** The sources' requesters and followers follow the target (its own requester excepted): one statement. */
async function followFrom(tx: Tx, tenantId: string, sourceIds: string[], targetId: string, targetRequesterId: string) {
  await tx.$executeRaw`
    INSERT INTO "TicketFollower" ("tenantId", "ticketId", "contactId")
    SELECT ${tenantId}::uuid, ${targetId}::uuid, c."contactId" FROM (
      SELECT t."requesterId" AS "contactId" FROM "Ticket" t WHERE t."tenantId" = ${tenantId}::uuid AND t."id" = ANY(${sourceIds}::uuid[])
      UNION
      SELECT f."contactId" FROM "TicketFollower" f WHERE f."tenantId" = ${tenantId}::uuid AND f."ticketId" = ANY(${sourceIds}::uuid[])
    ) c
    WHERE c."contactId" <> ${targetRequesterId}::uuid
    ON CONFLICT DO NOTHING`;
}
