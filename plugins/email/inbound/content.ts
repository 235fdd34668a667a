import { MAX_BASE64_BYTES } from "../../../src/attachments/service.js";
import { LIMITS } from "../../../src/validation.js";
import type { Mail } from "./parse.js";
import { splitQuoted } from "./quoted.js";
import { sanitizeMailHtml, textOfHtml } from "./sanitize.js";

export interface FileToStore {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface Content {
  /** The new text: the message's body. */
  body: string;
  quoted: string | null;
  html: string | null;
  files: FileToStore[];
}

/**
 * What a mail becomes: the plain text (from the text part, or from the HTML
 * of an HTML-only mail) split into what is new and the quoted history, the
 * HTML sanitised, and the files to store. A file the attachment store will
 * not take (empty, or over its size limit) is named at the end of the body
 * instead, so that agents know it was sent.
 */
export async function contentOf(mail: Mail, maxBytes: number): Promise<Content> {
  const html = mail.html ? await sanitizeMailHtml(mail.html) : null;
  const text = mail.text.trim() || (mail.html ? await textOfHtml(mail.html) : "");
  const split = splitQuoted(text);
  const limit = Math.min(maxBytes, MAX_BASE64_BYTES);
  const files: FileToStore[] = [];
  const skipped: string[] = [];
  mail.attachments.forEach((a, i) => {
    const filename = (a.filename || `attachment-${i + 1}${extensionOf(a.contentType)}`).slice(0, 255);
    if (a.size === 0 || a.content.length === 0) skipped.push(`${filename} (empty)`);
    else if (a.content.length > limit)
      skipped.push(`${filename} (${Math.ceil(a.content.length / 1024 / 1024)} MB, over the ${Math.floor(limit / 1024 / 1024)} MB limit)`);
    else files.push({ filename, contentType: (a.contentType || "application/octet-stream").toLowerCase(), content: a.content });
  });
  let body = split.text || "(empty message)";
  if (skipped.length) body += `\n\n[Not stored: ${skipped.join("; ")}]`;
  if (body.length > LIMITS.body) body = `${body.slice(0, LIMITS.body - 50)}\n\n[Cut at ${LIMITS.body - 50} characters]`;
  return { body, quoted: split.quoted, html, files };
}

function extensionOf(contentType: string | undefined): string {
  const sub = (contentType ?? "").split("/")[1]?.split(/[;+]/)[0];
  return sub && /^[a-z0-9.-]{1,10}$/i.test(sub) ? `.${sub}` : "";
}
