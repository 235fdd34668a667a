import { encodeGlobalID } from "@pothos/plugin-relay";
import { recordAuditIn } from "../../audit/service.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import { AppError, notFound, validationError, type FieldProblem } from "../../errors.js";
import type { DataSubjectRequestStatus, DataSubjectRequestType, Prisma } from "../../generated/prisma/client.js";
import type { Context } from "../../context.js";
import { requireViewer } from "../../context.js";
import { actorOf } from "../../auth/actor.js";
import { isPurpose, PURPOSES } from "../taxonomy.js";
import { dueDate, extendedDueDate } from "./deadlines.js";
import type { Tx } from "../../db/tx.js";
import { queueRequestNotice, startVerification } from "../../notifications/requests.js";

export type { Tx };

export interface Corrections {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  locale?: string | null;
}

export interface FileInput {
  /** Required for staff; a contact on the portal files for themselves. */
  contactId?: string | null;
  type: DataSubjectRequestType;
  purposes?: string[] | null;
  corrections?: Corrections | null;
  /** Staff only: the request waits until the person confirms it through an emailed link. */
  requireVerification?: boolean | null;
}

/** What a request asks for, stored in `details`. */
export interface RequestDetails {
  purposes?: string[];
  corrections?: Corrections;
}

/** Which purposes each kind of request can name: objections stop legitimate interests, withdrawals end consent. */
const PURPOSE_RULE: Partial<Record<DataSubjectRequestType, { basis: string; why: string }>> = {
  OBJECTION: { basis: "LEGITIMATE_INTEREST", why: "an objection (art. 21) applies to purposes based on legitimate interest" },
  CONSENT_WITHDRAWAL: { basis: "CONSENT", why: "only consent can be withdrawn (art. 7(3))" },
};

function subjectOf(ctx: Context, contactId: string | null | undefined): string {
  const viewer = requireViewer(ctx);
  if (viewer.kind === "contact") {
    // A global ID of someone else is simply not there for a data subject.
    if (contactId && contactId !== viewer.contactId) throw notFound("Contact");
    return viewer.contactId;
  }
  if (!contactId) throw validationError([{ path: ["input", "contactId"], message: "required" }]);
  return contactId;
}

/** Checks that the request names what its type needs and nothing else; returns what to store. */
function detailsFor(input: FileInput): RequestDetails | null {
  const problems: FieldProblem[] = [];
  const rule = PURPOSE_RULE[input.type];
  const purposes = [...new Set(input.purposes ?? [])];
  const corrections = Object.fromEntries(
    Object.entries(input.corrections ?? {}).filter(([, v]) => v !== undefined && v !== null),
  ) as Corrections;

  if (rule) {
    if (!purposes.length)
      problems.push({
        path: ["input", "purposes"],
        message: `name at least one purpose to ${input.type === "OBJECTION" ? "object to" : "withdraw"}`,
      });
    purposes.forEach((p, i) => {
      if (!isPurpose(p))
        problems.push({ path: ["input", "purposes", i], message: `unknown purpose; one of ${Object.keys(PURPOSES).join(", ")}` });
      else if (PURPOSES[p].legalBasis !== rule.basis || !PURPOSES[p].objectable)
        problems.push({ path: ["input", "purposes", i], message: rule.why });
    });
  } else if (input.purposes?.length) {
    problems.push({ path: ["input", "purposes"], message: `only OBJECTION and CONSENT_WITHDRAWAL requests name purposes` });
  }

  if (input.type === "RECTIFICATION") {
    if (!Object.keys(corrections).length) problems.push({ path: ["input", "corrections"], message: "give at least one corrected value" });
  } else if (input.corrections && Object.keys(corrections).length) {
    problems.push({ path: ["input", "corrections"], message: "only RECTIFICATION requests carry corrections" });
  }
  if (problems.length) throw validationError(problems);

  if (rule) return { purposes };
  if (input.type === "RECTIFICATION") return { corrections };
  return null;
}

/** Locks the contact's row for the transaction, so two filings for the same person queue instead of racing. */
async function lockContact(tx: Tx, tenantId: string, contactId: string): Promise<void> {
  await tx.$queryRaw`SELECT "id" FROM "Contact" WHERE "id" = ${contactId}::uuid AND "tenantId" = ${tenantId}::uuid FOR NO KEY UPDATE`;
}

export async function fileRequest(ctx: Context, input: FileInput) {
  const viewer = requireViewer(ctx);
  const contactId = subjectOf(ctx, input.contactId);
  const details = detailsFor(input);
  const filedBy = actorOf(ctx);
  // A person on the portal is signed in as themselves: there is nobody to verify.
  if (input.requireVerification && viewer.kind === "contact") {
    throw validationError([{ path: ["input", "requireVerification"], message: "only staff filing for a person can ask for verification" }]);
  }
  const request = await ctx.db.$transaction(async (tx) => {
    await lockContact(tx, viewer.tenantId, contactId);
    const contact = await tx.contact.findUnique({ where: { id: contactId } });
    if (!contact || contact.erasedAt) throw notFound("Contact");
    const open = await tx.dataSubjectRequest.findFirst({
      where: { contactId, type: input.type, status: { in: OPEN } },
      select: { id: true },
    });
    if (open) {
      throw new AppError("CONFLICT", `A ${input.type} request for this person is already open`, {
        existingRequestId: encodeGlobalID("DataSubjectRequest", open.id),
      });
    }
    const receivedAt = new Date();
    const verification = input.requireVerification ? await startVerification(tx, { tenantId: viewer.tenantId, contactId }) : null;
    const request = await tx.dataSubjectRequest.create({
      data: {
        tenantId: viewer.tenantId,
        contactId,
        type: input.type,
        receivedAt,
        dueAt: dueDate(receivedAt),
        details: (details ?? undefined) as Prisma.InputJsonObject | undefined,
        filedByType: filedBy.type,
        filedById: filedBy.id,
        ...(verification
          ? {
              status: "AWAITING_VERIFICATION" as const,
              verificationNonce: verification.verificationNonce,
              verificationExpiresAt: verification.verificationExpiresAt,
            }
          : {}),
      },
    });
    await recordAuditIn(tx, ctx, {
      action: "dsr.filed",
      subjectType: "Contact",
      subjectId: contactId,
      details: { dataSubjectRequestId: request.id, type: request.type, verification: verification !== null },
    });
    // The link to confirm it, or the receipt; the worker sends them after the commit.
    if (verification) await verification.queue(request.id);
    else await queueRequestNotice(tx, request, "DSR_RECEIPT");
    return request;
  });
  void ctx.notifications?.kick();
  return request;
}

/** Requests not yet completed or refused: one of each type per person at a time. */
const OPEN: DataSubjectRequestStatus[] = ["RECEIVED", "AWAITING_VERIFICATION"];

/** The request, if it is open; NOT_FOUND or INVALID_TRANSITION otherwise. */
export async function openRequest(db: TenantClient | Tx, id: string) {
  const request = await db.dataSubjectRequest.findUnique({ where: { id } });
  if (!request) throw notFound("Data-subject request");
  assertOpen(request.status);
  return request;
}

function assertOpen(status: DataSubjectRequestStatus): void {
  if (status === "AWAITING_VERIFICATION") {
    throw new AppError("VERIFICATION_REQUIRED", "The person has not confirmed this request yet (the emailed link); it cannot be acted on", {
      status,
    });
  }
  if (status !== "RECEIVED") {
    throw new AppError("INVALID_TRANSITION", `The request is already ${status.toLowerCase()}`, { status, allowed: [] });
  }
}

/**
 * Moves an open request on, and fails if it is no longer open: a request handled
 * twice at the same time is handled once, and the loser's transaction rolls back.
 */
export async function closeOpen(tx: Tx, id: string, data: Prisma.DataSubjectRequestUpdateManyMutationInput): Promise<void> {
  const { count } = await tx.dataSubjectRequest.updateMany({ where: { id, status: "RECEIVED" }, data });
  if (count !== 1) throw new AppError("INVALID_TRANSITION", "The request was handled meanwhile", { allowed: [] });
}

/** Art. 12(3): once, by two further months, with the reason given to the person. */
export async function extendRequest(ctx: Context, id: string, reason: string) {
  const why = requireReason(reason);
  return ctx.db.$transaction(async (tx) => {
    const request = await openRequest(tx, id);
    if (request.extensionReason !== null) {
      throw new AppError("CONFLICT", "The deadline was already extended once; the GDPR allows a single extension of two months");
    }
    const { count } = await tx.dataSubjectRequest.updateMany({
      where: { id, status: "RECEIVED", extensionReason: null },
      data: { dueAt: extendedDueDate(request.receivedAt), extensionReason: why },
    });
    if (count !== 1) throw new AppError("CONFLICT", "The request was extended or handled meanwhile");
    await recordAuditIn(tx, ctx, {
      action: "dsr.extended",
      subjectType: "Contact",
      subjectId: request.contactId,
      details: { dataSubjectRequestId: id, type: request.type },
    });
    return tx.dataSubjectRequest.findUniqueOrThrow({ where: { id } });
  });
}

/** Art. 12(4): a refusal tells the person why, so that they can complain or go to court. */
export async function refuseRequest(ctx: Context, id: string, reason: string) {
  const why = requireReason(reason);
  const refused = await ctx.db.$transaction(async (tx) => {
    // A request never confirmed (its link expired, say) can be refused too.
    const request = await tx.dataSubjectRequest.findUnique({ where: { id } });
    if (!request) throw notFound("Data-subject request");
    if (request.status !== "AWAITING_VERIFICATION") assertOpen(request.status);
    const { count } = await tx.dataSubjectRequest.updateMany({
      where: { id, status: { in: OPEN } },
      data: { status: "REFUSED", refusalReason: why, completedAt: new Date(), verificationNonce: null },
    });
    if (count !== 1) throw new AppError("INVALID_TRANSITION", "The request was handled meanwhile", { allowed: [] });
    await recordAuditIn(tx, ctx, {
      action: "dsr.refused",
      subjectType: "Contact",
      subjectId: request.contactId,
      details: { dataSubjectRequestId: id, type: request.type },
    });
    // Only a confirmed request's refusal is told to the address: an unconfirmed one may not be the person's.
    if (request.status === "RECEIVED") await queueRequestNotice(tx, request, "DSR_COMPLETED", "REFUSED");
    return tx.dataSubjectRequest.findUniqueOrThrow({ where: { id } });
  });
  void ctx.notifications?.kick();
  return refused;
}

function requireReason(reason: string): string {
  const why = reason.trim();
  if (!why) throw validationError([{ path: ["reason"], message: "a reason is required" }]);
  return why;
}

export interface RequestFilter {
  status?: DataSubjectRequestStatus | null;
  type?: DataSubjectRequestType | null;
  contactId?: string | null;
  /** Open and past its due date (true), or not (false). */
  overdue?: boolean | null;
}

export function requestWhere(filter: RequestFilter | null | undefined, now = new Date()): Prisma.DataSubjectRequestWhereInput {
  const and: Prisma.DataSubjectRequestWhereInput[] = [];
  if (filter?.status) and.push({ status: filter.status });
  if (filter?.type) and.push({ type: filter.type });
  if (filter?.contactId) and.push({ contactId: filter.contactId });
  const overdue: Prisma.DataSubjectRequestWhereInput = { status: "RECEIVED", dueAt: { lt: now } };
  if (filter?.overdue === true) and.push(overdue);
  if (filter?.overdue === false) and.push({ NOT: overdue });
  return { AND: and };
}
