import { fold } from "./fold.js";
import { NOT_A_NAME } from "./name-words.js";
import type { Found } from "./types.js";

/**
 * Postal addresses in the five supported languages, by their shape: a street
 * with its house number in each language's order, a postal code with its
 * city, and the block they form when written on adjacent lines (one
 * placeholder for the block). Numbers alone never make an address: "version
 * 2.3", "Windows 11", order numbers and times need a street word or a
 * postal-code-and-city shape around them.
 */

/** "rue" or "Rue", as streets are written in running text. */
const anyCase = (words: string) =>
  words
    .split("|")
    .map((w) => (/^\p{Ll}/u.test(w) ? `[${w[0]}${w[0]!.toUpperCase()}]${w.slice(1)}` : w))
    .join("|");

const S = String.raw`[ \t\u00a0]`;
const START = String.raw`(?<![\p{L}\p{N}])`;
const END = String.raw`(?![\p{L}\p{N}])`;
const CAP = String.raw`\p{Lu}[\p{L}'’.-]*`;
/** A house number: "12", "12a", "12 B", "12-14", "123-II", "5 hs", "12 bus 3", "12 Whg. 4". */
const HOUSE = String.raw`\d{1,5}(?:${S}?[a-zA-Z]${END})?(?:${S}*[-/]${S}*(?:\d{1,4}[a-zA-Z]?|I{1,3}|IV)${END})?(?:${S}+(?:hs|bis|ter|I{1,3}|IV|bus${S}*\d{1,4}|(?:Whg|App|Apt)\.?${S}*\d{1,4})${END})?`;

/** English: "221B Baker Street", "10 Downing St.", "1600 Pennsylvania Avenue NW, Suite 200", "Flat 3, 12 Oak Road". */
const EN_STREET = new RegExp(
  String.raw`${START}(?:(?:Flat|Apt\.?|Apartment|Unit|Suite)${S}+\w{1,5},?${S}+)?\d{1,5}[A-Za-z]?(?:-\d{1,5})?${S}+(?:${CAP}${S}+){1,3}` +
    String.raw`(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Dr\.?|Boulevard|Blvd\.?|Way|Court|Ct\.?|Place|Square|Terrace|Close|Crescent|Parkway|Highway)${END}` +
    String.raw`(?:${S}+(?:NE|NW|SE|SW|N|S|E|W)${END})?(?:,?${S}+(?:Apt\.?|Apartment|Suite|Unit|Flat|#)${S}*\w{1,5})?`,
  "gu",
);

/** Street words that end a compound (German, Dutch): "Hauptstraße 12", "Keizersgracht 123", "Dorpsstraat 5a", "Hauptstr. 3". */
const SUFFIXES = "straße|strasse|str\\.|weg|gasse|platz|allee|damm|ufer|chaussee|straat|laan|plein|gracht|kade|singel|dijk|steeg";
const COMPOUND_STREET = new RegExp(String.raw`${START}\p{Lu}[\p{L}'’-]*?(?:${SUFFIXES})${S}*${HOUSE}`, "gu");
/** The same words standing alone after the street's name: "Berliner Straße 12", "Van Baerle Straat 5". */
const SEPARATE_STREET = new RegExp(
  String.raw`${START}((?:${CAP}${S}+){1,3})(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Damm|Ufer|Straat|Laan|Plein|Gracht|Kade|Singel)${S}*${HOUSE}`,
  "gu",
);
/** Words that open a sentence before "Platz 1" and are not the name of a street. */
const NOT_A_STREET_NAME = new Set([
  "auf",
  "am",
  "im",
  "in",
  "zum",
  "zur",
  "an",
  "der",
  "die",
  "das",
  "den",
  "dem",
  "ein",
  "eine",
  "the",
  "de",
  "het",
  "een",
  "op",
  "naar",
]);

/** French: "12 rue de la Paix", "3 bis, avenue des Champs-Élysées", "45 bd Haussmann". */
const FR_TYPES = anyCase("rue|avenue|av.|boulevard|bd|chemin|place|allée|allee|impasse|quai|route|cours|passage|square").replace(
  /\./g,
  "\\.",
);
const FR_LINK = `(?:(?:de|du|des|la|le|les|et|sur|d'|d’|l'|l’)${S}*)*`;
const FR_STREET = new RegExp(
  String.raw`${START}\d{1,4}(?:${S}?(?:bis|ter|quater|[A-Za-z])${END})?,?${S}+(?:${FR_TYPES})${S}+${FR_LINK}\p{Lu}[\p{L}'’-]*(?:${S}+${FR_LINK}\p{Lu}[\p{L}'’-]*)*`,
  "gu",
);

/** Spanish: "Calle Mayor 5, 3º izq.", "C/ Alcalá 12", "Avda. de la Constitución 20, bajo B". */
const ES_TYPES = String.raw`${anyCase("calle|avenida|paseo|plaza|camino|carretera|ronda|rambla|travesía")}|C/|Avda\.?|Av\.|Pº|Pza\.?|Ctra\.|Gran Vía`;
const ES_LINK = `(?:(?:de|del|la|los|las|el|y)${S}+)*`;
const ES_FLOOR = String.raw`(?:\d{1,2}${S}?[º°ª](?:${S}*(?:[A-Z]${END}|izq(?:da)?\.?|dcha\.?|der(?:echa)?\.?|centro|\d{1,2}${S}?[º°ª]))?|bajo(?:${S}+[A-Z]${END})?|[áa]tico|entlo\.?|piso${S}+\d{1,2}|puerta${S}+\d{1,2}|esc(?:alera)?\.?${S}+\w{1,2})`;
const ES_STREET = new RegExp(
  String.raw`${START}(?:${ES_TYPES})${S}*${ES_LINK}\p{Lu}[\p{L}'’.-]*(?:${S}+${ES_LINK}\p{Lu}[\p{L}'’.-]*)*,?${S}*(?:(?:n[º°o]\.?|núm\.?|número)${S}*)?\d{1,4}[a-zA-Z]?${END}(?:,?${S}*${ES_FLOOR}\.?)*`,
  "gu",
);

/** A city: "Berlin", "Frankfurt am Main", "Den Haag", "St. Gallen", "Boulogne-Billancourt", "Paris CEDEX 08" (a full stop after a longer word ends the sentence). */
const CITY_WORD = String.raw`\p{Lu}(?:\p{Ll}{1,2}\.|[\p{Ll}'’-]+)`;
const CITY = String.raw`(?:['’]s-)?${CITY_WORD}(?:[ \t-](?:(?:am|an|im|in|op|aan|bei|sur|sous|en|de|del|la|le|les|den|der)[ \t-])?${CITY_WORD}){0,2}(?:${S}+\(\p{Lu}[\p{L}.]*\))?(?:${S}+(?:CEDEX|Cedex)(?:${S}+\d{1,2})?)?`;
/** Dutch: "1012 AB Amsterdam" (the letters SA, SD and SS are not used). */
const NL_CODE = new RegExp(String.raw`${START}(?:NL-)?[1-9]\d{3}${S}?(?!SA|SD|SS)[A-Z]{2}${S}+(${CITY})`, "gu");
/** Germany, France, Spain (and Italy): "10115 Berlin", "D-10115 Berlin", "75002 Paris", "28013 Madrid". */
const FIVE_DIGIT_CODE = new RegExp(String.raw`${START}((?:D|DE|F|FR|E|ES|I|IT)-)?\d{5}${S}+(${CITY})`, "gu");
/** Austria, Switzerland, Belgium, Luxembourg, Denmark: "1010 Wien", "CH-8001 Zürich". */
const FOUR_DIGIT_CODE = new RegExp(String.raw`${START}((?:A|AT|CH|B|BE|L|LU|DK)-)?([1-9]\d{3})${S}+(${CITY})`, "gu");
/** United Kingdom: "SW1A 1AA", "M1 1AE", with the town before it at the start of its line or after a comma ("London SW1A 1AA"). */
const UK_CODE = new RegExp(
  String.raw`(?:(?<=(?:^|\n|,)[ \t]{0,8})(?:${CAP}${S}+){0,2}${CAP},?${S}+)?${START}(?:[A-Z]{1,2}\d[A-Z\d]?${S}?\d[ABD-HJLNP-UW-Z]{2}|GIR${S}?0AA)${END}`,
  "gu",
);
const STATES =
  "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY";
/** United States: "Springfield, IL 62704", "New York, NY 10001-1234". */
const US_ZIP = new RegExp(String.raw`${START}(${CAP}(?:${S}+${CAP}){0,2}),${S}+(?:${STATES})${S}+\d{5}(?:-\d{4})?${END}`, "gu");

const COUNTRIES =
  "Deutschland|Germany|Nederland|Netherlands|The Netherlands|France|España|Spain|Österreich|Austria|Schweiz|Suisse|Svizzera|Switzerland|Belgique|België|Belgium|Luxembourg|United Kingdom|UK|USA|United States";
/** Words before a postcode that say what follows rather than where. */
const LABELS = new Set([
  "postcode",
  "postal",
  "post",
  "code",
  "zip",
  "address",
  "adresse",
  "adres",
  "anschrift",
  "direccion",
  "at",
  "to",
  "in",
]);

/** A country after the last line of a block, on its line or after a comma. */
const COUNTRY_AFTER = new RegExp(String.raw`(?:,${S}*|${S}*\r?\n${S}*)(?:${COUNTRIES})${END}`, "uy");
/** What may stand between two parts of one address: a comma, spaces, one line break. */
const JOINS = /^[ \t\u00a0]*[,;]?[ \t\u00a0]*(?:\r?\n[ \t\u00a0]*)?$/;

interface Part {
  start: number;
  end: number;
  /** A weak part (a postal code and city in running text, a year-like code) is an address only next to another part. */
  strong: boolean;
}

/** A part's city, cut before the first word that is not a city ("10115 Berlin Please…"). */
function cityEnd(city: string, cityStart: number): number | null {
  let end: number | null = null;
  for (const w of city.matchAll(/[\p{L}'’.-]+|\(.*?\)|\d+/gu)) {
    if (NOT_A_NAME.has(fold(w[0].replace(/[.()]/g, "")))) break;
    end = cityStart + w.index + w[0].length;
  }
  return end;
}

/** Whether a postal code stands where addresses put it: first on its line, or after a comma or colon. */
const atSegmentStart = (text: string, i: number) => /(?:^|[\n,;:])[ \t]*$/.test(text.slice(Math.max(0, i - 40), i));
/** …and whether its city ends its line or its part of the sentence. */
const atSegmentEnd = (text: string, i: number) => /^[ \t]*(?:$|[\n,;.)])/.test(text.slice(i, i + 4));

function postalParts(text: string): Part[] {
  const parts: Part[] = [];
  const withCity = (re: RegExp, strength: (m: RegExpMatchArray, end: number) => boolean) => {
    for (const m of text.matchAll(re)) {
      const city = m.at(-1)!;
      const end = cityEnd(city, m.index! + m[0].length - city.length);
      if (end !== null) parts.push({ start: m.index!, end, strong: strength(m, end) });
    }
  };
  withCity(NL_CODE, () => true);
  withCity(FIVE_DIGIT_CODE, (m) => Boolean(m[1]) || atSegmentStart(text, m.index!));
  withCity(FOUR_DIGIT_CODE, (m, end) => {
    if (m[1]) return true;
    const year = Number(m[2]) >= 1900 && Number(m[2]) <= 2099;
    return !year && atSegmentStart(text, m.index!) && atSegmentEnd(text, end);
  });
  for (const re of [UK_CODE, US_ZIP]) {
    for (const m of text.matchAll(re)) {
      // The town before a postcode, not a label: "Postcode SW1A 1AA".
      let start = m.index;
      for (const w of m[0].matchAll(/[\p{L}]+[ \t\u00a0,]+/gu)) {
        if (!LABELS.has(fold(w[0].replace(/[ \t\u00a0,]+$/, "")))) break;
        start = m.index + w.index + w[0].length;
      }
      parts.push({ start, end: m.index + m[0].length, strong: true });
    }
  }
  return parts;
}

function streetParts(text: string): Part[] {
  const parts: Part[] = [];
  for (const re of [EN_STREET, COMPOUND_STREET, FR_STREET, ES_STREET]) {
    for (const m of text.matchAll(re)) parts.push({ start: m.index, end: m.index + m[0].length, strong: true });
  }
  for (const m of text.matchAll(SEPARATE_STREET)) {
    const first = m[1]!.split(/[ \t\u00a0]+/)[0]!;
    if (!NOT_A_STREET_NAME.has(fold(first))) parts.push({ start: m.index, end: m.index + m[0].length, strong: true });
  }
  return parts;
}

/** Every postal address in the text: adjacent parts (a street line, a postal-code line, a country) are one address. */
export function addresses(text: string): Found[] {
  if (!/\d/.test(text)) return [];
  const parts = [...streetParts(text), ...postalParts(text)].sort((a, b) => a.start - b.start || b.end - a.end);
  const blocks: Part[] = [];
  for (const p of parts) {
    const last = blocks.at(-1);
    if (last && p.start < last.end) {
      last.end = Math.max(last.end, p.end);
      last.strong ||= p.strong;
    } else if (last && JOINS.test(text.slice(last.end, p.start))) {
      last.end = p.end;
      last.strong = true;
    } else blocks.push({ ...p });
  }
  const out: Found[] = [];
  for (const b of blocks) {
    if (!b.strong) continue;
    COUNTRY_AFTER.lastIndex = b.end;
    const end = COUNTRY_AFTER.test(text) ? COUNTRY_AFTER.lastIndex : b.end;
    const value = text.slice(b.start, end).replace(/[ \t.,]+$/, "");
    // One key for every spelling: case, accents, punctuation and a country prefix ("A-1010 Wien") aside.
    const key = fold(value)
      .replace(/(?<![\p{L}\p{N}])[a-z]{1,2}-(?=\d)/gu, "")
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim();
    out.push({ start: b.start, end: b.start + value.length, kind: "ADDRESS", key: `address:${key}`, value });
  }
  return out;
}
