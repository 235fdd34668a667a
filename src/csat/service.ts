import type { Context } from "../context.js";
import { AppError } from "../errors.js";
import { recordEvents } from "../events/outbox.js";
import { assertContactProcessable } from "../privacy/restriction.js";
import { readSatisfactionToken, satisfactionToken } from "./token.js";

type Verdict = "GOOD" | "BAD";

export interface SatisfactionInput {
  token: string;
  rating?: number | null;
  verdict?: Verdict | null;
  comment?: string | null;
}

/** A ticket can be rated once solved (or closed after solving), unless it was merged away. */
type Rateable = { id: string; tenantId: string; solvedAt: Date | null; mergedIntoId: string | null; status: string };

/** The request for a solved ticket: its token and until when it works; null while there is nothing to rate. */
export function satisfactionRequest(ctx: Pick<Context, "config">, ticket: Rateable) {
  if (!ticket.solvedAt || ticket.mergedIntoId || (ticket.status !== "SOLVED" && ticket.status !== "CLOSED")) return null;
  const request = satisfactionToken(ctx.config.encryptionKey, ticket.tenantId, ticket.id, ticket.solvedAt);
  return request.expiresAt.getTime() > Date.now() ? request : null;
}

const invalid = () =>
  new AppError("VALIDATION", "This satisfaction link is not valid", { fields: [{ path: ["token"], message: "not valid" }] });

/**
 * Records the requester's rating, with nothing but the link's token as
 * credential (no sign-in). One rating per ticket: a second submission while
 * the link is valid replaces the first (the requester changed their mind);
 * after that EXPIRED. GOOD counts as 5 and BAD as 1 on the stored scale.
 * The comment is the requester's personal data (export, erasure).
 */
export async function submitSatisfaction(ctx: Context, input: SatisfactionInput) {
  if ((input.rating == null) === (input.verdict == null)) {
    throw new AppError("VALIDATION", "Give either a rating (1 to 5) or a verdict (GOOD or BAD)", {
      fields: [{ path: ["rating"], message: "exactly one of rating and verdict is required" }],
    });
  }
  const keys = [ctx.config.encryptionKey, ...ctx.config.previousEncryptionKeys];
  const link = readSatisfactionToken(keys, input.token);
  if (!link) throw invalid();
  if (link.expiresAt.getTime() <= Date.now()) throw new AppError("EXPIRED", "This satisfaction link has expired");
  // A portal contact may only rate their own tickets; anyone else acts on the link alone.
  const viewer = ctx.viewer;
  if (viewer && viewer.tenantId !== link.tenantId) throw invalid();
  const db = viewer?.kind === "contact" ? ctx.db : ctx.database.forTenant(link.tenantId);
  const rating = input.rating ?? (input.verdict === "GOOD" ? 5 : 1);
  const scale = input.rating != null ? "FIVE_POINT" : "GOOD_BAD";
  return db.$transaction(async (tx) => {
    const ticket = await tx.ticket.findUnique({ where: { id: link.ticketId } });
    // The link names the solve it was made for: a reopened ticket, or one solved again later, has a new one.
    const current = ticket && satisfactionRequest(ctx, ticket);
    if (!ticket || !current || current.token !== input.token) throw invalid();
    await assertContactProcessable(tx, ticket.requesterId);
    const existing = await tx.satisfactionResponse.findUnique({ where: { ticketId: ticket.id }, select: { id: true } });
    const data = { rating, scale, comment: input.comment ?? null, assigneeId: ticket.assigneeId };
    const saved = await tx.satisfactionResponse.upsert({
      where: { ticketId: ticket.id },
      create: { tenantId: ticket.tenantId, ticketId: ticket.id, contactId: ticket.requesterId, ...data },
      update: data,
    });
    await recordEvents(tx, ticket.tenantId, [
      { type: "SATISFACTION_RECEIVED", ticketId: ticket.id, data: { rating, scale, updated: existing !== null } },
    ]);
    return saved;
  });
}
