import { headerValues, type Mail } from "./parse.js";

/**
 * Why a mail must not open or join a ticket (nor be answered), or null.
 * Answering any of these is how mail loops start: an auto-reply answering an
 * auto-reply, a bounce answered with a ticket acknowledgement.
 *
 * - AUTO_SUBMITTED: `Auto-Submitted` other than `no` (RFC 3834: auto-replied, auto-generated…)
 * - BULK: `Precedence: bulk`, `junk` or `list` (mailing lists, newsletters, vacation messages of old)
 * - AUTO_REPLY: `X-Autoreply` or `X-Autorespond`, set by many autoresponders instead of Auto-Submitted
 * - BOUNCE: from MAILER-DAEMON or postmaster, or a delivery report (multipart/report)
 * - OWN_ADDRESS: from the mailbox's own address (our replies coming back in a copy)
 */
export type Noise = "AUTO_SUBMITTED" | "BULK" | "AUTO_REPLY" | "BOUNCE" | "OWN_ADDRESS";

export function noiseOf(mail: Mail, mailboxAddress: string): Noise | null {
  if (isDeliveryReport(mail) || isFromDaemon(mail)) return "BOUNCE";
  const auto = headerValues(mail, "auto-submitted").map((v) => v.trim().toLowerCase());
  if (auto.some((v) => v && !v.startsWith("no"))) return "AUTO_SUBMITTED";
  if (headerValues(mail, "precedence").some((v) => /^\s*(bulk|junk|list)\b/i.test(v))) return "BULK";
  if (mail.headers.has("x-autoreply") || mail.headers.has("x-autorespond")) return "AUTO_REPLY";
  if (mail.from?.address === mailboxAddress) return "OWN_ADDRESS";
  return null;
}

/** A delivery status notification (RFC 3464): multipart/report with report-type delivery-status. */
export function isDeliveryReport(mail: Pick<Mail, "headers">): boolean {
  const type = mail.headers.get("content-type") as { value?: string; params?: Record<string, string> } | undefined;
  return type?.value?.toLowerCase() === "multipart/report" && (type.params?.["report-type"] ?? "").toLowerCase() === "delivery-status";
}

function isFromDaemon(mail: Mail): boolean {
  const local = mail.from?.address.split("@")[0] ?? "";
  // A null reverse path (Return-Path: <>) is how bounces and other automatic mail are sent.
  const returnPath = headerValues(mail, "return-path").map((v) => v.trim());
  return /^(mailer-daemon|postmaster)$/i.test(local) || returnPath.some((v) => v === "<>" || v === "");
}
