import { fold } from "./fold.js";
import { CAPITALISED_TITLES, CLOSINGS, INTRODUCTIONS, NOT_A_NAME, PARTICLES, RELATIONS, SALUTATIONS, TITLES } from "./name-words.js";

/**
 * Names of people the database does not know, found by what stands before
 * them: a title ("Mrs Smith", "Herr Schmidt", "Mme Durand", "mevrouw de
 * Jong", "Sra. López"), an introduction ("my name is", "ich heiße", "je
 * m'appelle", "mijn naam is", "me llamo"), a salutation at the start of a
 * line ("Dear", "Liebe", "Bonjour", "Beste", "Hola"), a closing before a
 * signature ("Regards", "Mit freundlichen Grüßen", "Cordialement", "Met
 * vriendelijke groet", "Saludos") or a relation ("my colleague", "meine
 * Kollegin"…). A capitalised word alone is never taken for a name: sentence
 * starts, days, months and product names stay.
 */

/** One word of a name: "Peter", "O'Brien", "McDonald", "Jean-Pierre", "MÜLLER", an initial "J.". */
const WORD = String.raw`(?:\p{Lu}(?:['’]\p{Lu})?\p{Ll}+(?:\p{Lu}\p{Ll}+)?(?:[-'’]\p{Lu}?\p{Ll}+)*|\p{Lu}{2,}(?:[-'’]\p{Lu}{2,})*|\p{Lu}\.)`;
const GAP = String.raw`[ \t\u00a0]+`;
/** Up to four capitalised words (Spanish names often have four), with lower-case particles before and between them ("Daan van der Berg", "meneer de Jong"). */
const NAME_RUN = new RegExp(
  String.raw`(?:(?:${PARTICLES})${GAP})*${WORD}(?:${GAP}(?:(?:${PARTICLES})${GAP})*${WORD}){0,3}(?![\p{L}\p{N}])`,
  "uy",
);
const NAME_WORD = new RegExp(WORD, "gu");

const before = String.raw`(?<![\p{L}\p{N}])`;
const TITLE = new RegExp(String.raw`${before}(${TITLES})\.?(?:${GAP}(?:dr|prof)\.?)*${GAP}`, "gu");
const INTRODUCTION = new RegExp(`${before}(?:${INTRODUCTIONS}),?${GAP}`, "gu");
// Look-behinds are bounded ({0,8}): an unbounded one would rescan a long run of spaces at each of its positions.
const SALUTATION = new RegExp(String.raw`(?<=(?:^|\n)[ \t]{0,8})(?:${SALUTATIONS})${GAP}`, "gu");
const RELATION = new RegExp(`${before}(?:${RELATIONS}),?${GAP}`, "gu");
/** A closing at the start of a line or after a sentence, then the rest of its line, or the next non-empty line. */
const CLOSING = new RegExp(
  String.raw`(?<=(?:^|\n)[ \t]{0,8}|[.!?][ \t\u00a0]{1,8})(?:${CLOSINGS})[ \t]*[,.!:-]?[ \t]*(?:\r?\n(?:[ \t]*\r?\n)?)?[ \t]*`,
  "gu",
);
const AND = new RegExp(`,?${GAP}(?:and|und|et|en|y|&)${GAP}`, "uy");
const REST_OF_LINE = /[ \t,.;!]*(?:\r?\n|$)/y;

/** A name found in a text: where it is, and its capitalised words as written (particles lie between them in the text). */
export interface NameMention {
  start: number;
  end: number;
  words: { start: number; end: number; text: string }[];
}

/** The name right at `at`, cut before the first word that is not a name; null when there is none. */
function nameAt(text: string, at: number, wholeLine: boolean): NameMention | null {
  NAME_RUN.lastIndex = at;
  const run = NAME_RUN.exec(text);
  if (!run) return null;
  const words: NameMention["words"] = [];
  for (const m of run[0].matchAll(NAME_WORD)) {
    const word = { start: at + m.index, end: at + m.index + m[0].length, text: m[0] };
    if (NOT_A_NAME.has(fold(word.text.replace(/\.$/, "")))) break;
    words.push(word);
  }
  if (words.length < (run[0].match(NAME_WORD)?.length ?? 0) && wholeLine) return null;
  if (!words.length || words.every((w) => w.text.endsWith("."))) return null;
  const end = words.at(-1)!.end;
  if (wholeLine) {
    REST_OF_LINE.lastIndex = end;
    if (!REST_OF_LINE.test(text)) return null;
  }
  return { start: words[0]!.start, end, words };
}

/** Every name the cues point at, in text order (a name two cues point at is there once). */
export function nameMentions(text: string): NameMention[] {
  const folded = fold(text);
  const found = new Map<number, NameMention>();
  const add = (m: NameMention | null) => {
    if (m && !found.has(m.start)) found.set(m.start, m);
  };
  for (const m of folded.matchAll(TITLE)) {
    // "Dr", "Herr", "M." count only with their capital: "m" is a metre, "dr" a drive.
    if (CAPITALISED_TITLES.has(m[1]!) && !/\p{Lu}/u.test(text[m.index]!)) continue;
    if (m[1] === "m" && text[m.index + 1] !== ".") continue;
    add(nameAt(text, m.index + m[0].length, false));
  }
  for (const re of [INTRODUCTION, RELATION]) {
    for (const m of folded.matchAll(re)) add(nameAt(text, m.index + m[0].length, false));
  }
  for (const m of folded.matchAll(SALUTATION)) {
    // "Dear Ada and Peter", "Hallo Anna und Tom": each name greeted.
    for (let name = nameAt(text, m.index + m[0].length, false); name; ) {
      add(name);
      AND.lastIndex = name.end;
      name = AND.test(folded) ? nameAt(text, AND.lastIndex, false) : null;
    }
  }
  // A signature line holds the name and nothing else; up to four words, as Spanish names often have ("Ana María López García").
  for (const m of folded.matchAll(CLOSING)) add(nameAt(text, m.index + m[0].length, true));
  return [...found.values()].sort((a, b) => a.start - b.start);
}
