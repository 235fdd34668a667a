import { randomUUID } from "node:crypto";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { DAY_MS } from "../constants.js";
import { AppError } from "../errors.js";
import { decideMany, withdrawByEmailLink } from "../privacy/consent.js";
import { readLinkToken } from "./links.js";
import { queueNotifications } from "./queue.js";

/** How long the unsubscribe link in a marketing mail works: long, as people unsubscribe from old mail too. */
export const UNSUBSCRIBE_WINDOW_MS = 365 * DAY_MS;

export interface MarketingInput {
  contactIds: string[];
  subject: string;
  body: string;
}

type SkipReason = "NOT_FOUND" | "NO_EMAIL_ADDRESS" | "CONSENT_REQUIRED" | "PROCESSING_RESTRICTED";

export interface MarketingResult {
  queued: number;
  skipped: { contactId: string; reason: SkipReason }[];
}

/**
 * Queues a marketing message to each of the contacts who gave `marketing`
 * consent (and did not restrict processing), each mail with RFC 8058
 * one-click unsubscribe; the others are listed with the reason they were
 * left out. The gateway checks consent again when each mail is sent. Needs
 * a connected mailbox (VALIDATION otherwise): without one nothing could go.
 */
export async function sendMarketingEmail(ctx: Context, input: MarketingInput): Promise<MarketingResult> {
  const { tenantId } = requireViewer(ctx);
  const ids = [...new Set(input.contactIds)];
  const sendId = randomUUID();
  const result = await ctx.db.$transaction(async (tx) => {
    if (!(await tx.mailbox.count({ where: { status: "CONNECTED" } }))) {
      throw new AppError("VALIDATION", "Marketing mail leaves from a connected mailbox; connect one first (connectMailbox)", {
        fields: [{ path: ["input", "contactIds"], message: "no connected mailbox" }],
      });
    }
    const contacts = await tx.contact.findMany({ where: { id: { in: ids }, erasedAt: null }, select: { id: true, email: true } });
    const decisions = await decideMany(tx, ids, "marketing");
    const skipped: MarketingResult["skipped"] = [];
    const recipients: string[] = [];
    for (const id of ids) {
      const contact = contacts.find((c) => c.id === id);
      const decision = decisions.get(id);
      if (!contact) skipped.push({ contactId: id, reason: "NOT_FOUND" });
      else if (decision !== "ALLOWED") skipped.push({ contactId: id, reason: decision ?? "CONSENT_REQUIRED" });
      else if (!contact.email) skipped.push({ contactId: id, reason: "NO_EMAIL_ADDRESS" });
      else recipients.push(id);
    }
    const queued = await queueNotifications(
      tx,
      tenantId,
      recipients.map((contactId) => ({
        kind: "MARKETING" as const,
        channel: "EMAIL" as const,
        key: `marketing:${sendId}:${contactId}`,
        contactId,
        data: { subject: input.subject, body: input.body },
      })),
    );
    if (recipients.length && !queued) {
      throw new AppError("VALIDATION", "Marketing mail is turned off for this tenant (setNotificationEnabled)", {
        fields: [{ path: ["input"], message: "MARKETING is disabled" }],
      });
    }
    return { queued, skipped };
  });
  void ctx.notifications?.kick();
  return result;
}

/**
 * The one-click unsubscribe (RFC 8058) of a marketing mail, with the link as
 * the only credential: withdraws the person's `marketing` consent (method
 * EMAIL_LINK). Idempotent: following it again records nothing more. Forged:
 * VALIDATION; past its expiry: EXPIRED.
 */
export async function unsubscribe(ctx: Context, token: string): Promise<{ tenantId: string; withdrawn: boolean }> {
  const claims = readLinkToken([ctx.config.encryptionKey, ...ctx.config.previousEncryptionKeys], "unsubscribe", token);
  if (!claims) throw new AppError("VALIDATION", "This unsubscribe link is not valid");
  if (claims.expiresAt.getTime() <= Date.now()) throw new AppError("EXPIRED", "This unsubscribe link has expired");
  const withdrawn = await withdrawByEmailLink(ctx.database.forTenant(claims.tenantId), claims.tenantId, claims.id, "marketing");
  return { tenantId: claims.tenantId, withdrawn };
}
