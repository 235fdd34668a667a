import Mustache from "mustache";
import { AppError } from "../errors.js";
import { builtIn, type Wording } from "./defaults.js";
import { type NotificationKind, placeholdersOf } from "./kinds.js";

/** Mustache tokens: [kind, name, start, end, children?]. */
type Token = [string, string, number, number, Token[]?];

function names(tokens: Token[], out: { kind: string; name: string }[] = []) {
  for (const [kind, name, , , children] of tokens) {
    if (kind !== "text" && kind !== "!" && kind !== "=") out.push({ kind, name });
    if (children) names(children, out);
  }
  return out;
}

/**
 * Checks a tenant's template when it is saved: it parses, uses only the
 * kind's placeholders (all unknown ones listed at once) and leaves every value
 * escaped (no {{{…}}}, {{& …}} or partials). VALIDATION at `path` otherwise.
 */
export function checkNotificationTemplate(kind: NotificationKind, template: string, path: (string | number)[]): void {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(template) as unknown as Token[];
  } catch (err) {
    throw new AppError("VALIDATION", `The template does not parse: ${(err as Error).message}`, {
      fields: [{ path, message: (err as Error).message }],
    });
  }
  const allowed = new Set(placeholdersOf(kind));
  const found = names(tokens);
  const unknown = [...new Set(found.filter((t) => !allowed.has(t.name)).map((t) => t.name))];
  const unescaped = [...new Set(found.filter((t) => t.kind === "&" || t.kind === "{" || t.kind === ">").map((t) => t.name))];
  if (unknown.length || unescaped.length) {
    const problems = [
      ...(unknown.length ? [`unknown placeholders: ${unknown.join(", ")}`] : []),
      ...(unescaped.length ? [`unescaped output or partials are not allowed: ${unescaped.join(", ")}`] : []),
    ].join("; ");
    throw new AppError("VALIDATION", `The template uses ${problems}`, {
      fields: [{ path, message: problems }],
      allowedPlaceholders: [...allowed],
    });
  }
}

/** "nl-BE" → ["nl-be", "nl"]. */
const withBase = (tag: string | null | undefined): string[] => {
  const t = tag?.trim().toLowerCase();
  if (!t) return [];
  const base = t.split(/[-_]/)[0]!;
  return base === t ? [t] : [t, base];
};

/**
 * The wording for a person: the first of their locale (then its language), the
 * tenant's default locale, English, for which the tenant has a template or a
 * built-in one exists. The tenant's own template wins over the built-in one
 * in the same locale.
 */
export function pickWording(
  kind: NotificationKind,
  templates: { locale: string; subject: string; body: string }[],
  personLocale: string | null | undefined,
  tenantLocale: string,
): Wording & { locale: string } {
  const candidates = [...new Set([...withBase(personLocale), ...withBase(tenantLocale), "en"])];
  for (const locale of candidates) {
    const own = templates.find((t) => t.locale === locale);
    if (own) return { locale, subject: own.subject, body: own.body };
    const fallback = builtIn(kind, locale);
    if (fallback) return { locale, ...fallback };
  }
  return { locale: "en", ...builtIn(kind, "en")! };
}

const HTML_ESCAPE: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPE[c]!);

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

/**
 * Renders a wording: the plain-text part as written, the HTML part with every
 * value (and the template's own text) HTML-escaped and line breaks kept, and a
 * subject on one line. Links in values become clickable in the HTML part.
 */
export function renderWording(w: Wording, view: object): Rendered {
  const plain = (t: string) => Mustache.render(t, view, {}, { escape: (v: unknown) => String(v) });
  const subject = plain(w.subject)
    .replace(/[\r\n]+/g, " ")
    .trim();
  const text = plain(w.body);
  const html = `<!doctype html><html><body><p>${escapeHtml(text)
    .replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`)
    .replace(/\n\n+/g, "</p><p>")
    .replace(/\n/g, "<br>")}</p></body></html>`;
  return { subject, text, html };
}
