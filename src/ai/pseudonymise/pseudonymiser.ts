import type { CountryCode } from "libphonenumber-js";
import { addresses } from "./addresses.js";
import { KnownIdentifiers } from "./known.js";
import { nameMentions } from "./names.js";
import { cards, emails, ibans, ips, phones, tokenUrls } from "./patterns.js";
import { PLACEHOLDER_KINDS, type Found, type KnownPerson, type PlaceholderKind } from "./types.js";
import { UnknownNames } from "./unknown-names.js";

/**
 * Where two findings overlap, the more specific wins: a URL holds emails and
 * numbers, an IBAN holds digits a card or phone pattern would take, a
 * database-known phone number is surer than a guessed one; an address holds
 * street names that may also be someone's name ("Jan de Vries-Straat 5").
 */
const PRIORITY: Record<PlaceholderKind, number> = { URL: 0, EMAIL: 1, IBAN: 2, CARD: 3, IP: 4, PHONE: 5, ADDRESS: 6, PERSON: 7, ORG: 8 };

/** What a placeholder looks like in a text sent to a model. */
const PLACEHOLDER = new RegExp(`\\[(${PLACEHOLDER_KINDS.join("|")})_(\\d{1,4})\\]`, "g");

/** Placeholder-like text a customer typed, made harmless: "[PERSON_2]" becomes "(PERSON 2)". */
const defuse = (text: string) => text.replace(PLACEHOLDER, "($1 $2)");

export interface PseudonymiserOptions {
  /** Regions whose national phone spellings are recognised (the people's own numbers, the tenant's country). */
  regions?: readonly CountryCode[];
}

/**
 * One conversation with a model: identifiers become placeholders
 * ([PERSON_1], [EMAIL_2]…) before anything is sent, the same identity always
 * the same placeholder, and placeholders in the answer become the
 * identifiers again, locally. The mapping lives in this object only: it is
 * never stored or logged, and goes when the call is over.
 */
export class Pseudonymiser {
  private readonly known: KnownIdentifiers;
  private readonly unknown = new UnknownNames();
  private readonly regions: readonly CountryCode[];
  private readonly byKey = new Map<string, string>();
  private readonly values = new Map<string, string>();
  private readonly counters = new Map<PlaceholderKind, number>();

  constructor(people: readonly KnownPerson[], options: PseudonymiserOptions = {}) {
    this.known = new KnownIdentifiers(people);
    this.regions = options.regions ?? [];
    // The people get their placeholders in the order given (the requester first: [PERSON_1]), whether or not the text names them.
    for (const p of people) this.placeholder("PERSON", p.key, p.name);
  }

  /** The placeholder of a person given to the constructor (contact:<id> or agent:<id>). */
  placeholderOf(key: string): string | undefined {
    return this.byKey.get(key);
  }

  private placeholder(kind: PlaceholderKind, key: string, value: string): string {
    let token = this.byKey.get(key);
    if (!token) {
      const n = (this.counters.get(kind) ?? 0) + 1;
      this.counters.set(kind, n);
      token = `[${kind}_${n}]`;
      this.byKey.set(key, token);
      // What the database holds, where it knows the identity; otherwise the first spelling met.
      this.values.set(token, this.known.canonical(key) ?? value);
    }
    return token;
  }

  /**
   * Learns the names of people the database does not know ("my colleague
   * Peter Jansen", "Dear Mrs Smith", a signature) from every text of the call
   * before any is sent, so that a name met in the last message is replaced in
   * the first too. pseudonymise() learns from its own text as well.
   */
  learn(...texts: string[]): void {
    for (const text of texts) this.learnNames(defuse(text));
  }

  private learnNames(text: string): void {
    const mentions = nameMentions(text);
    if (!mentions.length) return;
    // Words the database knows keep their own placeholder: "my husband Peter Müller" of Ada Müller is Peter, unknown, and Müller, known.
    const known = new Uint8Array(text.length);
    for (const k of this.known.find(text)) known.fill(1, k.start, k.end);
    for (const m of mentions) {
      let run: typeof m.words = [];
      for (const w of m.words) {
        if (known.subarray(w.start, w.end).includes(1)) {
          this.unknown.add(text, run);
          run = [];
        } else run.push(w);
      }
      this.unknown.add(text, run);
    }
  }

  /** Every identifier found in the text, overlaps resolved, in text order. */
  find(text: string): Found[] {
    const all = [
      ...tokenUrls(text),
      ...emails(text),
      ...ibans(text),
      ...cards(text),
      ...ips(text),
      ...phones(text, this.regions),
      ...addresses(text),
      ...this.known.find(text),
      ...this.unknown.find(text),
    ];
    // By priority, then longest first: a name inside a longer organisation name goes with the organisation.
    all.sort((a, b) => PRIORITY[a.kind] - PRIORITY[b.kind] || b.end - b.start - (a.end - a.start) || a.start - b.start);
    // Taken findings never overlap: kept in text order, a new one only needs checking against its two neighbours.
    const taken: Found[] = [];
    for (const f of all) {
      let lo = 0;
      let hi = taken.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (taken[mid]!.start < f.start) lo = mid + 1;
        else hi = mid;
      }
      const before = taken[lo - 1];
      const after = taken[lo];
      if ((before && before.end > f.start) || (after && after.start < f.end)) continue;
      taken.splice(lo, 0, f);
    }
    return taken;
  }

  /**
   * The text with every identifier replaced. Placeholder-like text already in
   * it ("[PERSON_1]" typed by a customer) is defused first, so that only the
   * placeholders made here are ever turned back into identifiers.
   */
  pseudonymise(text: string): string {
    const safe = defuse(text);
    this.learnNames(safe);
    let out = "";
    let at = 0;
    for (const f of this.find(safe)) {
      out += safe.slice(at, f.start) + this.placeholder(f.kind, f.key, f.value);
      at = f.end;
    }
    return out + safe.slice(at);
  }

  /** The model's answer with the placeholders of this conversation turned back into what they stand for; others stay as they are. */
  reidentify(text: string): string {
    return text.replace(PLACEHOLDER, (token) => this.values.get(token) ?? token);
  }
}
