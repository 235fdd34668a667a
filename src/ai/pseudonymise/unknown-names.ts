import { fold, spellings } from "./fold.js";
import type { NameMention } from "./names.js";
import type { Found } from "./types.js";

interface Entry {
  key: string;
  value: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const normalizeSpaces = (s: string) => s.replace(/[\s\u00a0-]+/g, " ").trim();
const isInitial = (word: string) => word.endsWith(".");

/**
 * The names of people the database does not know, as the cues of names.ts
 * found them during one call: each is one identity ("name:<folded name>"),
 * found again wherever it is written later, whole or, once it was seen with a
 * first name, by its surname alone ("Peter Jansen", then "Mr Jansen").
 */
export class UnknownNames {
  private readonly byVariant = new Map<string, Entry>();
  private regex: RegExp | null = null;

  /** Remembers a name: `words` are the words of one mention that the database does not know, in text order. */
  add(text: string, words: NameMention["words"]): void {
    if (!words.length || words.every((w) => isInitial(w.text))) return;
    const last = words.at(-1)!;
    const full = normalizeSpaces(text.slice(words[0]!.start, last.end));
    // The surname with the particles before it: "van der Berg" of "Daan van der Berg".
    const surname = words.length >= 2 ? normalizeSpaces(text.slice(words.at(-2)!.end, last.end)) : null;
    // A surname met alone before ("Mrs Smith", then "Jane Smith") is the same person.
    const entry = (surname && this.byVariant.get(fold(surname))) ||
      this.byVariant.get(fold(full)) || { key: `name:${fold(full)}`, value: full };
    this.addVariant(full, entry);
    if (surname && !isInitial(last.text)) {
      this.addVariant(surname, entry);
      this.addVariant(last.text, entry);
    }
    this.regex = null;
  }

  private addVariant(name: string, entry: Entry): void {
    if (name.replace(/[^\p{L}]/gu, "").length < 2) return;
    for (const spelling of spellings(name)) {
      const variant = fold(normalizeSpaces(spelling));
      if (!this.byVariant.has(variant)) this.byVariant.set(variant, entry);
    }
  }

  /** Every mention of a remembered name that starts with a capital, as names do: "Will" is a name, "will" a verb. */
  find(text: string): Found[] {
    if (!this.byVariant.size) return [];
    this.regex ??= new RegExp(
      `(?<![\\p{L}\\p{N}])(?:${[...this.byVariant.keys()]
        .sort((a, b) => b.length - a.length)
        .map((v) => escapeRegExp(v).replace(/ /g, "[\\s\\u00a0-]+"))
        .join("|")})(?![\\p{L}\\p{N}])`,
      "gu",
    );
    const out: Found[] = [];
    for (const m of fold(text).matchAll(this.regex)) {
      const entry = this.byVariant.get(normalizeSpaces(m[0]));
      if (entry && /\p{Lu}/u.test(text.slice(m.index, m.index + m[0].length)))
        out.push({ start: m.index, end: m.index + m[0].length, kind: "PERSON", ...entry });
    }
    return out;
  }
}
