import { messageIds, type Mail } from "./parse.js";

export interface DeliveryReport {
  /** RFC 3464 Action of the (first failed, else first) recipient: failed, delayed, delivered, relayed, expanded. */
  action: string;
  /** The RFC 3463 status code, e.g. 5.1.1. */
  status: string | null;
  /** The Message-IDs the report quotes from the original message (its attached headers). */
  originalMessageIds: string[];
}

/**
 * The fields of a delivery status notification that say what happened to
 * which message. Read from the raw source: mailparser folds the
 * message/delivery-status part into the text and keeps the original's headers
 * as an attachment. The report's own Message-ID is not the original's.
 */
export function parseDeliveryReport(mail: Mail): DeliveryReport | null {
  const raw = mail.raw.toString("latin1");
  const start = raw.search(/content-type:\s*message\/(global-)?delivery-status/i);
  if (start < 0) return null;
  const rest = raw.slice(start);
  // Per-recipient groups follow the per-message one, each a block of "Field: value" lines.
  const actions = [...rest.matchAll(/^Action:\s*([a-z-]+)/gim)].map((m) => m[1]!.toLowerCase());
  const statuses = [...rest.matchAll(/^Status:\s*([245]\.\d{1,3}\.\d{1,3})/gim)].map((m) => m[1]!);
  if (!actions.length) return null;
  const failed = actions.indexOf("failed");
  const pick = Math.max(failed, 0);
  const own = new Set(mail.messageId ? [mail.messageId] : []);
  const quoted = [...rest.matchAll(/^(?:Message-ID|Original-Message-ID):\s*(<[^>\r\n]+>)/gim)].flatMap((m) => messageIds(m[1]));
  return {
    action: actions[pick]!,
    status: statuses[pick] ?? statuses[0] ?? null,
    originalMessageIds: [...new Set(quoted.filter((id) => !own.has(id)))],
  };
}
