import type { NotificationKind } from "../generated/prisma/client.js";
import type { PurposeName } from "../privacy/taxonomy.js";

export type { NotificationKind };

interface KindRule {
  /** What the notification is for: the gateway checks it for the person (consent, objection, restriction). */
  purpose: PurposeName;
  /** Sent unless the tenant turned it off (true), or only once turned on (false). */
  enabledByDefault: boolean;
  /** The tenant cannot turn it off: the flow it belongs to needs it. */
  required?: boolean;
  /** The placeholders its template may use, besides name, firstName and tenant.name. */
  placeholders: readonly string[];
  description: string;
}

/** Every kind, with its purpose, default and placeholders. */
export const KINDS: Record<NotificationKind, KindRule> = {
  TICKET_ACKNOWLEDGEMENT: {
    purpose: "support",
    enabledByDefault: false,
    placeholders: ["ticket.number", "ticket.subject"],
    description: "To the requester of a new EMAIL ticket, in its thread: a reply to it joins the ticket.",
  },
  SATISFACTION_REQUEST: {
    purpose: "support",
    enabledByDefault: false,
    placeholders: ["ticket.number", "ticket.subject", "link"],
    description:
      "When a ticket is solved: by email with the rating link for EMAIL tickets, by SMS for SMS tickets (purpose sms.messaging), none for others. Once per solve.",
  },
  DSR_RECEIPT: {
    purpose: "legal.compliance",
    enabledByDefault: true,
    placeholders: ["request.type", "request.dueAt"],
    description: "To the subject's email when a data-subject request is filed (or, with verification, once verified).",
  },
  DSR_COMPLETED: {
    purpose: "legal.compliance",
    enabledByDefault: true,
    placeholders: ["request.type", "request.status"],
    description: "To the subject's email when a data-subject request is completed or refused.",
  },
  DSR_VERIFICATION: {
    purpose: "legal.compliance",
    enabledByDefault: true,
    required: true,
    placeholders: ["request.type", "link", "expiresAt"],
    description: "The link a person follows to confirm a data-subject request filed with verification; always sent.",
  },
  MARKETING: {
    purpose: "marketing",
    enabledByDefault: true,
    placeholders: ["message.subject", "message.body", "unsubscribeLink"],
    description: "A marketing message (sendMarketingEmail), only to contacts with marketing consent, with one-click unsubscribe.",
  },
};

const COMMON_PLACEHOLDERS = ["name", "firstName", "tenant.name"] as const;

export const placeholdersOf = (kind: NotificationKind): string[] => [...COMMON_PLACEHOLDERS, ...KINDS[kind].placeholders];
