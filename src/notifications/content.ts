import type { Config } from "../config.js";
import { satisfactionRequest } from "../csat/service.js";
import type { TenantClient } from "../db/tenant-scope.js";
import type { Notification } from "../generated/prisma/client.js";
import { linkToken, linkUrl } from "./links.js";
import { UNSUBSCRIBE_WINDOW_MS } from "./marketing.js";
import { type Rendered, pickWording, renderWording } from "./render.js";

/** A notification that can no longer be sent as queued: its code goes on the row. */
export class NotSendable extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** A date as people read it in any of the locales: 2026-03-01. */
const day = (d: Date) => d.toISOString().slice(0, 10);

const firstName = (name: string) => name.trim().split(/\s+/)[0] ?? "";

export interface ContentDeps {
  config: Config;
  /** The server's public base URL, for links. */
  baseUrl: string;
}

/**
 * Renders a queued notification for its person now: the tenant's template
 * (or the built-in one) in the person's locale, with the values of its kind.
 */
export async function contentOf(
  deps: ContentDeps,
  db: TenantClient,
  n: Notification,
): Promise<{ content: Rendered; headers: Record<string, string> }> {
  const [tenant, contact, templates] = await Promise.all([
    db.tenant.findUniqueOrThrow({ where: { id: n.tenantId }, select: { name: true, defaultLocale: true } }),
    db.contact.findUnique({ where: { id: n.contactId }, select: { name: true, locale: true, erasedAt: true } }),
    db.notificationTemplate.findMany({ where: { kind: n.kind }, select: { locale: true, subject: true, body: true } }),
  ]);
  if (!contact || contact.erasedAt) throw new NotSendable("CONTACT_ERASED");
  const { headers = {}, ...values } = await valuesOf(deps, db, n);
  const view = { name: contact.name, firstName: firstName(contact.name), tenant: { name: tenant.name }, ...values };
  return { content: renderWording(pickWording(n.kind, templates, contact.locale, tenant.defaultLocale), view), headers };
}

/** The kind's template values, and the mail headers it adds. */
async function valuesOf(
  deps: ContentDeps,
  db: TenantClient,
  n: Notification,
): Promise<Record<string, unknown> & { headers?: Record<string, string> }> {
  switch (n.kind) {
    case "TICKET_ACKNOWLEDGEMENT":
    case "SATISFACTION_REQUEST": {
      const ticket = n.ticketId ? await db.ticket.findUnique({ where: { id: n.ticketId } }) : null;
      if (!ticket) throw new NotSendable("TICKET_GONE");
      const values = { ticket: { number: ticket.number, subject: ticket.subject } };
      if (n.kind === "TICKET_ACKNOWLEDGEMENT") return values;
      // The link names the solve; a ticket reopened meanwhile has nothing to rate.
      const request = satisfactionRequest(deps, ticket);
      if (!request || `csat:${ticket.id}:${ticket.solvedAt!.getTime()}` !== n.key) throw new NotSendable("NO_LONGER_SOLVED");
      return { ...values, link: linkUrl(deps.baseUrl, "satisfaction", request.token) };
    }
    case "DSR_RECEIPT":
    case "DSR_COMPLETED":
    case "DSR_VERIFICATION": {
      const request = n.requestId ? await db.dataSubjectRequest.findUnique({ where: { id: n.requestId } }) : null;
      if (!request) throw new NotSendable("REQUEST_GONE");
      const values = {
        request: {
          type: request.type.toLowerCase().replace(/_/g, " "),
          dueAt: day(request.dueAt),
          status: request.status.toLowerCase().replace(/_/g, " "),
        },
      };
      if (n.kind !== "DSR_VERIFICATION") return values;
      // Confirmed, refused or expired meanwhile: the link would not work.
      if (request.status !== "AWAITING_VERIFICATION" || !request.verificationNonce || !request.verificationExpiresAt)
        throw new NotSendable("NOT_AWAITING_VERIFICATION");
      const token = linkToken(
        deps.config.encryptionKey,
        "verify",
        n.tenantId,
        request.id,
        request.verificationNonce,
        request.verificationExpiresAt,
      );
      return {
        ...values,
        link: linkUrl(deps.baseUrl, "verify", token),
        expiresAt: `${request.verificationExpiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
      };
    }
    case "MARKETING": {
      const message = (n.data ?? {}) as { subject?: string; body?: string };
      const expiresAt = new Date(Date.now() + UNSUBSCRIBE_WINDOW_MS);
      const url = linkUrl(
        deps.baseUrl,
        "unsubscribe",
        linkToken(deps.config.encryptionKey, "unsubscribe", n.tenantId, n.contactId, "", expiresAt),
      );
      return {
        message: { subject: message.subject ?? "", body: message.body ?? "" },
        unsubscribeLink: url,
        // RFC 8058: mail clients offer "unsubscribe" and POST List-Unsubscribe=One-Click to the URL.
        headers: { "List-Unsubscribe": `<${url}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      };
    }
    default:
      throw new NotSendable("UNKNOWN_KIND");
  }
}
