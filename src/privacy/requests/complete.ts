import { recordAuditIn } from "../../audit/service.js";
import { updateContactIn } from "../../contacts/service.js";
import { notFound } from "../../errors.js";
import type { DataSubjectRequest, Prisma } from "../../generated/prisma/client.js";
import type { Context } from "../../context.js";
import { inTx, requireViewer } from "../../context.js";
import { eraseAtPlugins } from "../../plugin-host/erasure.js";
import { queueRequestNotice } from "../../notifications/requests.js";
import { recordConsent } from "../consent.js";
import { assertNoLegalHold, restrictProcessing } from "../restriction.js";
import type { DataCategory } from "../taxonomy.js";
import { erasedCategories, exportedCategories } from "../stores/index.js";
import { eraseContact } from "./erasure.js";
import { buildExport, EXPORT_FORMAT, EXPORT_VERSION } from "./export.js";
import { closeOpen, openRequest, type Corrections, type RequestDetails, type Tx } from "./service.js";

// What an export holds, and what an erasure removes somewhere: as the stores declare (src/privacy/stores/).
const EXPORTED = exportedCategories();
const ERASED = erasedCategories();
const CORRECTED: Record<keyof Corrections, DataCategory> = {
  name: "user.name",
  email: "user.contact.email",
  phone: "user.contact.phone",
  locale: "user.preference.locale",
};

/** Marks the request done with its receipt, and audits it, in the caller's transaction. */
async function finish(tx: Tx, ctx: Context, request: DataSubjectRequest, receipt: object, categories: DataCategory[]) {
  await closeOpen(tx, request.id, { status: "COMPLETED", completedAt: new Date(), receipt: receipt as Prisma.InputJsonObject });
  await recordAuditIn(tx, ctx, {
    action: "dsr.completed",
    subjectType: "Contact",
    subjectId: request.contactId,
    categories,
    details: { dataSubjectRequestId: request.id, type: request.type },
  });
  // The person is told (not after an erasure: the address went with it).
  await queueRequestNotice(tx, request, "DSR_COMPLETED", "COMPLETED");
}

/** Carries out an open request and closes it with a receipt of what was done; the completion notice leaves after the commit. */
export async function completeRequest(ctx: Context, id: string): Promise<void> {
  await carryOut(ctx, id);
  void ctx.notifications?.kick();
}

async function carryOut(ctx: Context, id: string): Promise<void> {
  const request = await openRequest(ctx.db, id);
  const contact = await ctx.db.contact.findUnique({ where: { id: request.contactId } });
  // Only an erasure may run (again) on an erased shell: there is nothing left to export or correct.
  if (!contact || (contact.erasedAt && request.type !== "ERASURE")) throw notFound("Contact");
  const details = (request.details ?? {}) as RequestDetails;

  switch (request.type) {
    case "ACCESS":
    case "PORTABILITY":
      return completeWithExport(ctx, request);
    case "ERASURE":
      return completeErasure(ctx, request, contact);
    case "RECTIFICATION":
      return ctx.db.$transaction(async (tx) => {
        const corrections = details.corrections ?? {};
        // A clash points at the corrections as they were filed (completion itself takes only the id).
        await updateContactIn(tx, request.contactId, corrections, ["corrections"]);
        const fields = Object.keys(corrections) as (keyof Corrections)[];
        // The receipt names the fields, not the values: it outlives an erasure.
        await finish(
          tx,
          ctx,
          request,
          { correctedFields: fields },
          fields.map((f) => CORRECTED[f]),
        );
      });
    case "RESTRICTION":
      return ctx.db.$transaction(async (tx) => {
        const current = await tx.contact.findUniqueOrThrow({ where: { id: request.contactId } });
        const already = current.restrictedAt !== null;
        if (!already) await restrictProcessing(inTx(ctx, tx), request.contactId, `Data-subject request ${request.id}`);
        await finish(tx, ctx, request, { restricted: true, alreadyRestricted: already, liftWith: "liftRestriction" }, ["user.consent"]);
      });
    case "OBJECTION":
    case "CONSENT_WITHDRAWAL":
      return ctx.db.$transaction(async (tx) => {
        const action = request.type === "OBJECTION" ? "OBJECTED" : "WITHDRAWN";
        const method = request.filedByType === "CONTACT" ? "PORTAL" : "API";
        const recorded = [];
        for (const purpose of details.purposes ?? []) {
          const event = await recordConsent(inTx(ctx, tx), { contactId: request.contactId, purpose, action, method });
          recorded.push({ purpose, action, consentEventId: event.id });
        }
        await finish(tx, ctx, request, { recorded }, ["user.consent"]);
      });
  }
}

async function completeWithExport(ctx: Context, request: DataSubjectRequest): Promise<void> {
  const viewer = requireViewer(ctx);
  // Built before the transaction: it only reads, and may take a while for a long history.
  const { blobKey, size, counts } = await buildExport(ctx.db, request.contactId, request, ctx.config.attachments.scanning.mode);
  const expiresAt = new Date(Date.now() + ctx.config.exportLinkTtlHours * 3_600_000);
  try {
    await ctx.db.$transaction(async (tx) => {
      const created = await tx.dataExport.create({
        data: { tenantId: viewer.tenantId, requestId: request.id, contactId: request.contactId, blobKey, size, expiresAt },
        select: { id: true },
      });
      const receipt = {
        exportId: created.id,
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        encoding: "zip",
        bytes: size,
        expiresAt: expiresAt.toISOString(),
        counts,
        link: "DataSubjectRequest.export.url, signed; it works until expiresAt",
      };
      await finish(tx, ctx, request, receipt, EXPORTED);
    });
  } catch (err) {
    // No row points at the archive: it would never be deleted otherwise.
    await ctx.db.$blobs.delete(blobKey).catch(() => {});
    throw err;
  }
}

async function completeErasure(
  ctx: Context,
  request: DataSubjectRequest,
  contact: { legalHoldAt: Date | null; legalHoldReason: string | null },
) {
  const viewer = requireViewer(ctx);
  assertNoLegalHold(contact);
  // Erasure commits batch by batch (see erasure.ts). Should it stop half-way, the request
  // stays open and completing it again finishes the job.
  const receipt = await eraseContact(ctx.database, viewer.tenantId, request.contactId, {
    eraseAtPlugins: (subject) => eraseAtPlugins(ctx, viewer.tenantId, subject),
  });
  // The person's portal links are gone: refused from the next request on, on every instance.
  await ctx.credentials?.settle();
  await ctx.db.$transaction((tx) => finish(tx, ctx, request, receipt, ERASED));
}
