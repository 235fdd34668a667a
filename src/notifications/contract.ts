import type { PurposeName } from "../privacy/taxonomy.js";
import type { Rendered } from "./render.js";

/**
 * What a channel plugin offers the core for notifications (the `emailNotifier`
 * and `smsNotifier` capabilities): sending one rendered notification to one
 * contact, through the gateway (the purpose is checked for the person:
 * restriction, consent, objection). Throws on failure, with a stable code in
 * `extensions.code` or `code` where it has one.
 */
export interface Notifier {
  send(notification: OutgoingNotification): Promise<{ externalId: string | null }>;
}

export interface OutgoingNotification {
  contactId: string;
  purpose: PurposeName;
  /** The ticket it is about: an email goes out in the ticket's thread (its reply token), so a reply joins the ticket. */
  ticketId: string | null;
  content: Rendered;
  /** Extra mail headers (List-Unsubscribe…). */
  headers?: Record<string, string>;
}
