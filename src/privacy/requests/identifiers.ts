import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { normalizeEmail } from "../../validation.js";
import { REDACTED } from "../../constants.js";

/**
 * The identifiers of one person (name, email, phone) as erasure and the scan
 * look for them. The name counts as a whole word, any case, so erasing "Ann"
 * leaves "Announcement" alone. The email is compared as contacts store it
 * (trimmed, any case). The phone number is compared as a number, not as
 * characters: every phone-looking run of a text is parsed (national spellings
 * in the region of the person's own number) and matches when it is the same
 * E.164 number, so "+31 6 1234 5678", "06-12345678" and "0031612345678" are all
 * "+31612345678". These values live in memory for the length of one erasure or
 * scan; nothing here is ever stored.
 */
export interface Identifiers {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The non-empty identifiers, trimmed (the email normalised), longest first (so a longer one wins where they overlap). */
export function valuesOf(ids: Identifiers): string[] {
  return [ids.email ? normalizeEmail(ids.email) : null, ids.phone, ids.name]
    .map((v) => v?.trim() ?? "")
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length);
}

/** A phone number to look for: its E.164 form, its national digits, and the region national spellings are read in. */
export interface PhoneTarget {
  e164: string;
  nationalNumber: string;
  region: CountryCode | undefined;
}

export function phoneTarget(phone: string | null | undefined): PhoneTarget | null {
  const parsed = phone?.trim() ? parsePhoneNumberFromString(phone.trim()) : undefined;
  if (!parsed) return null;
  return { e164: parsed.number, nationalNumber: parsed.nationalNumber, region: parsed.country };
}

type Range = [start: number, end: number];

/** Finds where a person's identifiers occur in a text. */
export interface Matcher {
  find(text: string): Range[];
}

// A run of digits with the separators people write numbers with: "+31 (0)6 12-34.56/78".
const PHONE_RUN = /\+?\(?\d[\d() \t\u00a0./-]*\d/g;
// No phone number has more digits than this (E.164: 15, plus an international prefix).
const MAX_DIGITS = 18;

/**
 * The runs of `text` that are the target's number. A run may hold several
 * numbers or a date next to one ("2024 06 12345678"), so its digit groups are
 * tried from each start, longest window first.
 */
function phoneRanges(text: string, target: PhoneTarget): Range[] {
  if (!text.replace(/\D+/g, "").includes(target.nationalNumber)) return [];
  const out: Range[] = [];
  for (const run of text.matchAll(PHONE_RUN)) {
    const groups = [...run[0].matchAll(/\d+/g)].map((g) => ({
      start: run.index + g.index,
      end: run.index + g.index + g[0].length,
      digits: g[0],
    }));
    for (let i = 0; i < groups.length; ) {
      // A leading "+" or "(" belongs to the number: "+31 6…", "(06) 1234…".
      const start = groups[i]!.start - (/[+(]/.test(text[groups[i]!.start - 1] ?? "") ? 1 : 0);
      let found = -1;
      let digits = "";
      const windows: { j: number; digits: string }[] = [];
      for (let j = i; j < groups.length && digits.length + groups[j]!.digits.length <= MAX_DIGITS; j++) {
        digits += groups[j]!.digits;
        windows.push({ j, digits });
      }
      for (const w of windows.reverse()) {
        if (!w.digits.endsWith(target.nationalNumber)) continue;
        const parsed = parsePhoneNumberFromString(text.slice(start, groups[w.j]!.end), { defaultCountry: target.region, extract: false });
        if (parsed?.number === target.e164) {
          found = w.j;
          break;
        }
      }
      if (found < 0) i++;
      else {
        out.push([start, groups[found]!.end]);
        i = found + 1;
      }
    }
  }
  return out;
}

export function matcherFor(ids: Identifiers): Matcher | null {
  const parts: string[] = [];
  const name = ids.name?.trim();
  const phone = phoneTarget(ids.phone);
  for (const v of valuesOf(ids)) {
    if (phone && v === ids.phone?.trim()) continue; // found as a number below
    // Whole words for the name; emails (and a phone we could not parse) are distinctive on their own.
    parts.push(v === name ? `(?<![\\p{L}\\p{N}])${escapeRegExp(v)}(?![\\p{L}\\p{N}])` : escapeRegExp(v));
  }
  if (!parts.length && !phone) return null;
  const regex = parts.length ? new RegExp(parts.join("|"), "giu") : null;
  return {
    find(text) {
      const ranges: Range[] = regex ? [...text.matchAll(regex)].map((m) => [m.index, m.index + m[0].length] as Range) : [];
      if (phone) ranges.push(...phoneRanges(text, phone));
      return merge(ranges);
    },
  };
}

/** Sorted, overlapping ranges joined: each becomes one [redacted]. */
function merge(ranges: Range[]): Range[] {
  const sorted = ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r[0] < last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function contains(matcher: Matcher, text: string | null | undefined): boolean {
  return !!text && matcher.find(text).length > 0;
}

/** The text with every occurrence replaced, and how many there were. */
export function scrub(matcher: Matcher, text: string): { text: string; count: number } {
  const ranges = matcher.find(text);
  // Pieces joined once: splicing each occurrence into the whole text would copy it once per occurrence.
  const pieces: string[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    pieces.push(text.slice(at, start), REDACTED);
    at = end;
  }
  pieces.push(text.slice(at));
  return { text: pieces.join(""), count: ranges.length };
}

/** A database filter that finds candidates (confirmed afterwards with the matcher): any case, substring. For columns that hold identifiers as stored (Contact). */
export function candidateFilter<F extends string>(
  field: F,
  ids: Identifiers,
): { OR: Record<F, { contains: string; mode: "insensitive" }>[] } {
  return {
    OR: valuesOf(ids).map(
      (v) => ({ [field]: { contains: v, mode: "insensitive" } }) as Record<F, { contains: string; mode: "insensitive" }>,
    ),
  };
}
