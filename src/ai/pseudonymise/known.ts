import { matcherFor, phoneTarget } from "../../privacy/requests/identifiers.js";
import { normalizeEmail } from "../../validation.js";
import { fold, spellings } from "./fold.js";
import type { Found, KnownPerson, PlaceholderKind } from "./types.js";

/**
 * The identifiers the database holds for the ticket's people, found in any
 * spelling: names and their parts whatever the case and accents ("MÜLLER",
 * "Mueller", "muller"), "Jean-Pierre" or "Jean Pierre"; organisation names
 * with or without their legal form; emails in any case; phone numbers however
 * they are written (the privacy code's matcher: "+31 6 1234 5678",
 * "06-12345678" and "0031612345678" are one number).
 */

/** Words that are part of many names and of ordinary sentences: never replaced on their own. */
const PARTICLES = new Set([
  "van",
  "von",
  "der",
  "den",
  "de",
  "del",
  "della",
  "di",
  "da",
  "das",
  "do",
  "dos",
  "du",
  "des",
  "la",
  "le",
  "les",
  "el",
  "al",
  "bin",
  "ben",
  "ter",
  "ten",
  "het",
  "y",
  "e",
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sir",
]);

const LEGAL_FORMS =
  /[\s,]+(gmbh|ag|kg|ohg|ug|inc\.?|ltd\.?|llc|plc|corp\.?|co\.?|bv|b\.v\.|nv|n\.v\.|sa|s\.a\.|sas|sarl|sl|s\.l\.|srl|spa|s\.p\.a\.|ab|oy|as|a\/s|aps|se)$/i;

interface Entry {
  kind: PlaceholderKind;
  key: string;
  value: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Separators inside a name are interchangeable: "Jean-Pierre", "Jean Pierre", "Jean  Pierre". */
const normalizeSpaces = (s: string) => s.replace(/[\s\u00a0-]+/g, " ").trim();

export class KnownIdentifiers {
  private readonly byVariant = new Map<string, Entry>();
  private readonly regex: RegExp | null;
  private readonly phoneMatchers: { matcher: NonNullable<ReturnType<typeof matcherFor>>; entry: Entry }[] = [];
  private readonly emails = new Map<string, Entry>();
  private readonly canonicalValues = new Map<string, string>();

  constructor(people: readonly KnownPerson[]) {
    for (const p of people) {
      const person: Entry = { kind: "PERSON", key: p.key, value: p.name };
      const name = normalizeSpaces(p.name);
      if (name) {
        this.addName(name, person);
        for (const part of name.split(" ")) if (part.length >= 2 && !PARTICLES.has(fold(part))) this.addName(part, person);
      }
      if (p.email?.trim()) {
        const email = normalizeEmail(p.email);
        this.emails.set(email, { kind: "EMAIL", key: `email:${email}`, value: p.email.trim() });
      }
      const phone = phoneTarget(p.phone);
      const matcher = p.phone ? matcherFor({ phone: p.phone }) : null;
      if (phone && matcher)
        this.phoneMatchers.push({ matcher, entry: { kind: "PHONE", key: `phone:${phone.e164}`, value: p.phone!.trim() } });
      const org = p.organization;
      if (org?.name.trim()) {
        const entry: Entry = { kind: "ORG", key: org.key, value: org.name.trim() };
        const orgName = normalizeSpaces(org.name);
        this.addName(orgName, entry);
        const bare = orgName.replace(LEGAL_FORMS, "");
        if (bare !== orgName && bare.length >= 3) this.addName(bare, entry);
        if (org.domain?.trim()) this.addName(org.domain.trim(), entry);
      }
    }
    for (const entry of [...this.emails.values(), ...this.phoneMatchers.map((m) => m.entry), ...this.byVariant.values()]) {
      if (!this.canonicalValues.has(entry.key)) this.canonicalValues.set(entry.key, entry.value);
    }
    const variants = [...this.byVariant.keys()].sort((a, b) => b.length - a.length);
    this.regex = variants.length
      ? new RegExp(
          `(?<![\\p{L}\\p{N}])(?:${variants.map((v) => escapeRegExp(v).replace(/ /g, "[\\s\\u00a0-]+")).join("|")})(?![\\p{L}\\p{N}])`,
          "gu",
        )
      : null;
  }

  /** The stored value of a database-known identity (an email, a phone number, an organisation), by key. */
  canonical(key: string): string | undefined {
    return this.canonicalValues.get(key);
  }

  private addName(name: string, entry: Entry): void {
    for (const spelling of spellings(name)) {
      const variant = fold(normalizeSpaces(spelling));
      // The first identity to claim a spelling keeps it (two people called "Anna": one placeholder is as good as the other).
      if (variant && !this.byVariant.has(variant)) this.byVariant.set(variant, entry);
    }
  }

  /** Every occurrence of a known identifier, names and organisations in any spelling. */
  find(text: string): Found[] {
    const out: Found[] = [];
    if (this.regex) {
      const folded = fold(text);
      for (const m of folded.matchAll(this.regex)) {
        const entry = this.byVariant.get(normalizeSpaces(m[0]));
        if (entry) out.push({ start: m.index, end: m.index + m[0].length, ...entry });
      }
    }
    if (this.emails.size && text.includes("@")) {
      const lower = text.toLowerCase();
      for (const [email, entry] of this.emails) {
        for (let i = lower.indexOf(email); i >= 0; i = lower.indexOf(email, i + 1)) out.push({ start: i, end: i + email.length, ...entry });
      }
    }
    for (const { matcher, entry } of this.phoneMatchers) {
      for (const [start, end] of matcher.find(text)) out.push({ start, end, ...entry });
    }
    return out;
  }
}
