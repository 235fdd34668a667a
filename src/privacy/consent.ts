import DataLoader from "dataloader";
import type { TenantClient } from "../db/tenant-scope.js";
import { AppError, notFound } from "../errors.js";
import type { ConsentAction, ConsentEvent, ConsentMethod } from "../generated/prisma/client.js";
import type { Context } from "../context.js";
import { inTransaction, type Tx } from "../db/tx.js";
import { actorOf } from "../auth/actor.js";
import { invalidateAiModels } from "../ai/invalidate.js";
import { PURPOSES, isPurpose, type PurposeName } from "./taxonomy.js";

/** Where a purpose stands for one person, derived from the append-only history. */
type ConsentStatus = "GRANTED" | "WITHDRAWN" | "NOT_GIVEN" | "OBJECTED" | "NOT_OBJECTED" | "NOT_REQUIRED";

export interface PurposeState {
  purpose: PurposeName;
  status: ConsentStatus;
  /** The event that set the status; null when nothing was ever recorded. */
  since: ConsentEvent | null;
}

export type Decision = "ALLOWED" | "CONSENT_REQUIRED" | "PROCESSING_RESTRICTED";

/** The current state of every purpose, from a person's events (oldest first). */
function deriveStates(events: ConsentEvent[]): PurposeState[] {
  return (Object.keys(PURPOSES) as PurposeName[]).map((purpose) => {
    const { legalBasis } = PURPOSES[purpose];
    const mine = events.filter((e) => e.purpose === purpose);
    if (legalBasis === "CONSENT") {
      const last = mine.filter((e) => e.action === "GRANTED" || e.action === "WITHDRAWN").at(-1) ?? null;
      return { purpose, status: last ? (last.action as "GRANTED" | "WITHDRAWN") : "NOT_GIVEN", since: last };
    }
    if (legalBasis === "LEGITIMATE_INTEREST" && PURPOSES[purpose].objectable) {
      const last = mine.filter((e) => e.action === "OBJECTED" || e.action === "OBJECTION_LIFTED").at(-1) ?? null;
      return { purpose, status: last?.action === "OBJECTED" ? "OBJECTED" : "NOT_OBJECTED", since: last };
    }
    return { purpose, status: "NOT_REQUIRED", since: null };
  });
}

/**
 * May this person's data be processed for this purpose? A restriction stops
 * everything but storage; otherwise consent must be granted (basis CONSENT) or
 * not objected to (legitimate interest).
 */
export function decide(contact: { restrictedAt: Date | null }, state: PurposeState): Decision {
  if (contact.restrictedAt) return "PROCESSING_RESTRICTED";
  return state.status === "WITHDRAWN" || state.status === "NOT_GIVEN" || state.status === "OBJECTED" ? "CONSENT_REQUIRED" : "ALLOWED";
}

export function decisionError(decision: Exclude<Decision, "ALLOWED">, purpose: PurposeName): AppError {
  return decision === "PROCESSING_RESTRICTED"
    ? new AppError("PROCESSING_RESTRICTED", "The data subject has restricted the processing of their data", { purpose })
    : new AppError("CONSENT_REQUIRED", `The data subject has not consented to, or has objected to, processing for ${purpose}`, { purpose });
}

/** Decides for many people at once: one query for contacts, one for their events. */
export async function decideMany(
  db: TenantClient | Tx,
  contactIds: readonly string[],
  purpose: PurposeName,
): Promise<Map<string, Decision>> {
  const [contacts, events] = await Promise.all([
    db.contact.findMany({ where: { id: { in: [...contactIds] } }, select: { id: true, restrictedAt: true } }),
    db.consentEvent.findMany({ where: { contactId: { in: [...contactIds] }, purpose }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  ]);
  return new Map(
    contacts.map((c) => {
      const state = deriveStates(events.filter((e) => e.contactId === c.id)).find((s) => s.purpose === purpose)!;
      return [c.id, decide(c, state)];
    }),
  );
}

const loaders = new WeakMap<Context, Map<PurposeName, DataLoader<string, Decision>>>();

/** Per request and purpose, batched: what @consent fields ask. */
export function decisionLoader(ctx: Context, purpose: PurposeName): DataLoader<string, Decision> {
  let byPurpose = loaders.get(ctx);
  if (!byPurpose) loaders.set(ctx, (byPurpose = new Map()));
  let loader = byPurpose.get(purpose);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const decisions = await decideMany(ctx.db, ids, purpose);
      return ids.map((id) => decisions.get(id) ?? "CONSENT_REQUIRED");
    });
    byPurpose.set(purpose, loader);
  }
  return loader;
}

const ACTIONS_FOR: Record<"CONSENT" | "OBJECTION", ConsentAction[]> = {
  CONSENT: ["GRANTED", "WITHDRAWN"],
  OBJECTION: ["OBJECTED", "OBJECTION_LIFTED"],
};

export interface ConsentChange {
  contactId: string;
  purpose: string;
  action: ConsentAction;
  method: ConsentMethod;
  policyVersion?: string | null;
}

/** Appends one event to a person's consent history. Withdrawing is exactly as easy as granting. */
export async function recordConsent(ctx: Context, change: ConsentChange) {
  if (!isPurpose(change.purpose)) {
    throw new AppError("VALIDATION", `Unknown purpose ${change.purpose}`, {
      fields: [{ path: ["input", "purpose"], message: `must be one of ${Object.keys(PURPOSES).join(", ")}` }],
    });
  }
  const { legalBasis, objectable } = PURPOSES[change.purpose];
  const kind = legalBasis === "CONSENT" ? "CONSENT" : legalBasis === "LEGITIMATE_INTEREST" && objectable ? "OBJECTION" : null;
  if (!kind || !ACTIONS_FOR[kind].includes(change.action)) {
    const allowed = kind ? ACTIONS_FOR[kind].join(" or ") : "nothing: it is necessary for the contract or a legal obligation";
    throw new AppError("VALIDATION", `For ${change.purpose} (${legalBasis}) a person can record ${allowed}`, {
      fields: [{ path: ["input", "purpose"], message: `${change.action} does not apply` }],
    });
  }
  const contact = await ctx.db.contact.findUnique({ where: { id: change.contactId } });
  if (!contact || contact.erasedAt) throw notFound("Contact");
  const actor = actorOf(ctx);
  const data = {
    tenantId: contact.tenantId,
    contactId: contact.id,
    purpose: change.purpose,
    action: change.action,
    method: change.method,
    policyVersion: change.policyVersion ?? null,
    actorType: actor.type,
    actorId: actor.id,
  };
  if (change.purpose !== "ai.assistance") return ctx.db.consentEvent.create({ data });
  // The tenant's local AI models learnt from this person's tickets (or left them out): they are trained again.
  return inTransaction(ctx.db, async (tx) => {
    const event = await tx.consentEvent.create({ data });
    await invalidateAiModels(tx, contact.tenantId);
    return event;
  });
}

export async function statesOf(db: TenantClient | Tx, contactId: string): Promise<PurposeState[]> {
  const events = await db.consentEvent.findMany({ where: { contactId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return deriveStates(events);
}

/**
 * The person withdraws consent by a link sent to their address (an
 * unsubscribe link): recorded with method EMAIL_LINK and the person as actor.
 * Idempotent: consent that is not granted (withdrawn already, never given)
 * records nothing, and the contact's row is locked so that two clicks at once
 * record one withdrawal. Returns whether a withdrawal was recorded; false
 * too for an erased or missing contact.
 */
export async function withdrawByEmailLink(db: TenantClient, tenantId: string, contactId: string, purpose: PurposeName): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const [locked] = await tx.$queryRaw<{ erasedAt: Date | null }[]>`
      SELECT "erasedAt" FROM "Contact" WHERE "id" = ${contactId}::uuid AND "tenantId" = ${tenantId}::uuid FOR NO KEY UPDATE`;
    if (!locked || locked.erasedAt) return false;
    const state = (await statesOf(tx, contactId)).find((s) => s.purpose === purpose)!;
    if (state.status !== "GRANTED") return false;
    await tx.consentEvent.create({
      data: { tenantId, contactId, purpose, action: "WITHDRAWN", method: "EMAIL_LINK", actorType: "CONTACT", actorId: contactId },
    });
    if (purpose === "ai.assistance") await invalidateAiModels(tx, tenantId);
    return true;
  });
}
