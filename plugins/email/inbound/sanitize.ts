import type { IOptions } from "sanitize-html";

/**
 * What is kept of a mail's HTML, for an agent desk to show: text structure,
 * tables, links. Never scripts, styles, frames, forms or event handlers, and
 * no images: a remote image tells the sender when the mail is read (a
 * tracking pixel), and inline ones arrive as attachments anyway. Links open
 * without telling the target where they came from.
 */
const OPTIONS: IOptions = {
  allowedTags: [
    "p",
    "div",
    "span",
    "br",
    "hr",
    "blockquote",
    "pre",
    "code",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "strike",
    "sub",
    "sup",
    "small",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "a",
  ],
  allowedAttributes: {
    a: ["href", "title"],
    td: ["colspan", "rowspan"],
    th: ["colspan", "rowspan"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowProtocolRelative: false,
  // The content of these goes with them (a <style> block's CSS is not text).
  nonTextTags: ["style", "script", "textarea", "option", "noscript", "title", "head"],
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: "noopener noreferrer nofollow", target: "_blank" } }),
  },
};
// The transform adds rel and target: allow them on links.
OPTIONS.allowedAttributes = { ...(OPTIONS.allowedAttributes as Record<string, string[]>), a: ["href", "title", "rel", "target"] };

export async function sanitizeMailHtml(html: string): Promise<string> {
  const { default: sanitize } = await import("sanitize-html");
  return sanitize(html, OPTIONS).trim();
}

/** The text of an HTML-only mail, for the message's body (links and images left out: the HTML keeps the links). */
export async function textOfHtml(html: string): Promise<string> {
  const { convert } = await import("html-to-text");
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
    ],
  }).trim();
}
