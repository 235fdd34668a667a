import type { AddressObject, ParsedMail } from "mailparser";
import { normalizeEmail } from "../../../src/validation.js";

export interface Address {
  address: string;
  name: string;
}

/** One received mail, as the rest of the inbound path needs it. */
export interface Mail {
  /** Without angle brackets; null when the mail has none. */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  from: Address | null;
  /** The headers as written (names and addresses), for the record. */
  fromHeader: string;
  toHeader: string | null;
  ccHeader: string | null;
  /** Every recipient address (To, Cc, Delivered-To, X-Original-To), lower case: where reply tokens travel. */
  recipients: string[];
  subject: string;
  date: Date | null;
  text: string;
  html: string | null;
  headers: ParsedMail["headers"];
  attachments: ParsedMail["attachments"];
  /** The raw source: for what mailparser folds away (a delivery report's fields). */
  raw: Buffer;
}

/** mailparser on a raw message; loaded on first use. */
export async function parseMail(raw: Buffer): Promise<Mail> {
  const { simpleParser } = await import("mailparser");
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, keepCidLinks: true });
  const from = addressesOf(parsed.from)[0] ?? null;
  const headerText = (v: AddressObject | AddressObject[] | undefined) => {
    const list = Array.isArray(v) ? v : v ? [v] : [];
    return list.length ? list.map((a) => a.text).join(", ") : null;
  };
  const extra = ["delivered-to", "x-original-to"].flatMap((h) => headerValues(parsed, h)).flatMap((v) => v.split(/[\s,]+/));
  return {
    messageId: messageIds(parsed.messageId)[0] ?? null,
    inReplyTo: messageIds(parsed.inReplyTo),
    references: messageIds(parsed.references),
    from,
    fromHeader: parsed.from?.text ?? "",
    toHeader: headerText(parsed.to),
    ccHeader: headerText(parsed.cc),
    recipients: [...new Set([...addressesOf(parsed.to), ...addressesOf(parsed.cc)].map((a) => a.address).concat(extra.map(bare)))].filter(
      (a) => a.includes("@"),
    ),
    subject: (parsed.subject ?? "").replace(/\s+/g, " ").trim(),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    // mailparser makes a text of the HTML when there is no text part: ours (links and images left out) is better for a body.
    text: hasTextPart(parsed, raw) ? (parsed.text ?? "") : "",
    html: typeof parsed.html === "string" ? parsed.html : null,
    headers: parsed.headers,
    attachments: parsed.attachments,
    raw,
  };
}

function addressesOf(v: AddressObject | AddressObject[] | undefined): Address[] {
  const list = Array.isArray(v) ? v : v ? [v] : [];
  const out: Address[] = [];
  const walk = (entries: AddressObject["value"]) => {
    for (const e of entries) {
      if (e.group) walk(e.group);
      else if (e.address) out.push({ address: normalizeEmail(e.address), name: (e.name ?? "").trim() });
    }
  };
  for (const a of list) walk(a.value);
  return out;
}

/** Whether the mail has a text/plain part of its own (a mail without Content-Type is text/plain). */
function hasTextPart(parsed: ParsedMail, raw: Buffer): boolean {
  const type = (parsed.headers.get("content-type") as { value?: string } | undefined)?.value?.toLowerCase();
  if (!type || type === "text/plain") return true;
  if (!type.startsWith("multipart/")) return false;
  return /^content-type:\s*text\/plain\b/im.test(raw.toString("latin1"));
}

const bare = (v: string) => normalizeEmail(v.replace(/^.*<|>.*$/g, ""));

/** Message-IDs from a header value (a string or a list of them), without brackets. */
export function messageIds(value: string | string[] | undefined | null): string[] {
  const text = Array.isArray(value) ? value.join(" ") : (value ?? "");
  const ids = [...text.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  // A header without brackets (some clients): the whole value.
  if (!ids.length && text.trim() && !/\s/.test(text.trim())) ids.push(text.trim());
  return [...new Set(ids)];
}

/** Every value of a header as text (repeated headers included). */
export function headerValues(parsed: Pick<ParsedMail, "headers">, name: string): string[] {
  const v = parsed.headers.get(name);
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === "string" ? x : typeof x === "object" && x && "value" in x ? String(x.value) : String(x)));
}
