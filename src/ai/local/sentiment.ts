import type { Scored } from "../contract.js";
import { fold } from "../pseudonymise/fold.js";

/**
 * Sentiment from a small lexicon of the five supported languages: enough to
 * flag an angry customer, not a literary critic. Words are matched whole (or
 * as prefixes, with *) on folded text; a negation just before a word flips it.
 */
const POSITIVE = [
  // en
  "thank*",
  "great",
  "excellent",
  "perfect",
  "happy",
  "love*",
  "awesome",
  "appreciate*",
  "helpful",
  "resolved",
  "works",
  "wonderful",
  "satisfied",
  "glad",
  // de
  "danke*",
  "super",
  "toll*",
  "perfekt",
  "zufrieden",
  "hervorragend",
  "klasse",
  "prima",
  "hilfreich",
  "funktioniert",
  "freue*",
  "gelost",
  // fr
  "merci",
  "parfait*",
  "excellent*",
  "content*",
  "satisfait*",
  "genial*",
  "ravi*",
  "formidable",
  "fonctionne",
  "resolu*",
  // nl
  "bedankt",
  "dank*",
  "geweldig",
  "perfect",
  "tevreden",
  "uitstekend",
  "blij",
  "top",
  "werkt",
  "opgelost",
  // es
  "gracias",
  "genial",
  "perfect*",
  "excelente",
  "contento",
  "contenta",
  "satisfech*",
  "encantad*",
  "funciona",
  "resuelto",
];
const NEGATIVE = [
  // en
  "angry",
  "furious",
  "terrible",
  "awful",
  "horrible",
  "unacceptable",
  "disappoint*",
  "frustrat*",
  "annoy*",
  "worst",
  "useless",
  "broken",
  "refund",
  "complain*",
  "ridiculous",
  "scam",
  "cancel*",
  "never",
  "still",
  "waiting",
  "again",
  "fail*",
  "wrong",
  "bad",
  "poor",
  "lawyer",
  // de
  "wutend",
  "verargert",
  "schrecklich",
  "furchtbar",
  "inakzeptabel",
  "enttausch*",
  "frustrier*",
  "argerlich",
  "schlecht*",
  "kaputt",
  "beschwerde*",
  "kundig*",
  "immer noch",
  "falsch",
  "unverschamt",
  "anwalt",
  // fr
  "furieux",
  "furieuse",
  "terrible",
  "inacceptable",
  "decu*",
  "decevant",
  "frustr*",
  "enerv*",
  "mauvais*",
  "nul",
  "casse",
  "plainte",
  "rembours*",
  "toujours pas",
  "scandaleux",
  "avocat",
  // nl
  "boos",
  "woedend",
  "verschrikkelijk",
  "onacceptabel",
  "teleurgesteld",
  "gefrustreerd",
  "slecht*",
  "kapot",
  "klacht*",
  "nog steeds",
  "belachelijk",
  "advocaat",
  // es
  "enfadad*",
  "furios*",
  "terrible",
  "inaceptable",
  "decepcionad*",
  "frustrad*",
  "molest*",
  "mal",
  "malo",
  "roto",
  "queja*",
  "reembolso",
  "todavia no",
  "abogado",
];
const NEGATIONS = new Set(["not", "no", "never", "nicht", "kein", "keine", "pas", "niet", "geen", "nunca"]);

const pattern = (words: string[]) =>
  new RegExp(
    `(?<![\\p{L}])(?:${words
      .map((w) => fold(w).replace(/\*$/, "\\p{L}*").replace(/ /g, "\\s+"))
      .sort((a, b) => b.length - a.length)
      .join("|")})(?![\\p{L}])`,
    "gu",
  );
const POSITIVE_RE = pattern(POSITIVE);
const NEGATIVE_RE = pattern(NEGATIVE);

/** Words of one polarity found, and how many of them a negation just before turned around ("not great"). */
function count(folded: string, re: RegExp): { plain: number; negated: number } {
  const out = { plain: 0, negated: 0 };
  for (const m of folded.matchAll(re)) {
    const before = folded
      .slice(Math.max(0, m.index - 12), m.index)
      .split(/\s+/)
      .filter(Boolean)
      .at(-1);
    if (before && NEGATIONS.has(before)) out.negated++;
    else out.plain++;
  }
  return out;
}

/** What the customer's words say about their mood. */
export function sentimentOf(customerText: string): Scored<"NEGATIVE" | "NEUTRAL" | "POSITIVE"> | null {
  const folded = fold(customerText);
  if (!/\p{L}/u.test(folded)) return null;
  const good = count(folded, POSITIVE_RE);
  const bad = count(folded, NEGATIVE_RE);
  const positive = good.plain + bad.negated;
  // Shouting counts as a negative word.
  const negative = bad.plain + good.negated + (/!{2,}/.test(customerText) ? 1 : 0);
  const net = positive - negative;
  const strength = Math.abs(net) / (positive + negative + 1);
  if (net === 0) return { value: "NEUTRAL", confidence: positive + negative === 0 ? 0.6 : 0.5 };
  return { value: net > 0 ? "POSITIVE" : "NEGATIVE", confidence: Math.min(0.95, 0.5 + strength / 2) };
}
