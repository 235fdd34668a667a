/**
 * The identifiers of one person (name, email, phone) as erasure and the scan
 * look for them: exact occurrences, any case. A name only counts as a whole word,
 * so erasing "Ann" leaves "Announcement" alone. These values live in memory for
 * the length of one erasure or scan; nothing here is ever stored.
 */
export interface Identifiers {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
}

export const REDACTED = "[redacted]";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The non-empty identifiers, trimmed, longest first (so a longer one wins where they overlap). */
export function valuesOf(ids: Identifiers): string[] {
  return [ids.email, ids.phone, ids.name]
    .map((v) => v?.trim() ?? "")
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length);
}

export function matcherFor(ids: Identifiers): RegExp | null {
  const parts: string[] = [];
  const name = ids.name?.trim();
  for (const v of valuesOf(ids)) {
    // Whole words for the name; emails and phone numbers are distinctive on their own.
    parts.push(v === name ? `(?<![\\p{L}\\p{N}])${escape(v)}(?![\\p{L}\\p{N}])` : escape(v));
  }
  return parts.length ? new RegExp(parts.join("|"), "giu") : null;
}

export function contains(matcher: RegExp, text: string | null | undefined): boolean {
  if (!text) return false;
  matcher.lastIndex = 0;
  const found = matcher.test(text);
  matcher.lastIndex = 0;
  return found;
}

/** The text with every occurrence replaced, and how many there were. */
export function scrub(matcher: RegExp, text: string): { text: string; count: number } {
  let count = 0;
  const out = text.replace(matcher, () => {
    count++;
    return REDACTED;
  });
  return { text: out, count };
}

/** A database filter that finds candidates (confirmed afterwards with the matcher): any case, substring. */
export function candidateFilter<F extends string>(field: F, ids: Identifiers): { OR: Record<F, { contains: string; mode: "insensitive" }>[] } {
  return { OR: valuesOf(ids).map((v) => ({ [field]: { contains: v, mode: "insensitive" } }) as Record<F, { contains: string; mode: "insensitive" }>) };
}
