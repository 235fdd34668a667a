/**
 * Text folded for matching without regard to case or accents, one UTF-16
 * unit for one: a match found in the folded text is at the same offsets in
 * the original. "Müller", "MULLER" and "muller" all fold to "muller"; a
 * character whose folded form would be longer (ß, İ) stays as it is, lower-cased.
 */
export function fold(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    // ASCII is the common case: no normalisation needed.
    if (c < "\u0080") {
      out += c >= "A" && c <= "Z" ? String.fromCharCode(c.charCodeAt(0) + 32) : c;
      continue;
    }
    const bare = c.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
    if (bare.length === 1) out += bare;
    else {
      const lower = c.toLowerCase();
      out += lower.length === 1 ? lower : c;
    }
  }
  return out;
}

/** The spellings a name may be written in: as stored, German-style transliterated (ü → ue) or the other way round (ue → u), ß or ss. */
export function spellings(value: string): string[] {
  const out = new Set([value]);
  const translit = value
    .replace(/[äÄ]/g, (c) => (c === "ä" ? "ae" : "Ae"))
    .replace(/[öÖ]/g, (c) => (c === "ö" ? "oe" : "Oe"))
    .replace(/[üÜ]/g, (c) => (c === "ü" ? "ue" : "Ue"))
    .replace(/ß/g, "ss")
    .replace(/[æÆ]/g, "ae")
    .replace(/[øØ]/g, "oe")
    .replace(/[åÅ]/g, "aa");
  out.add(translit);
  if (/ae|oe|ue/i.test(value)) out.add(value.replace(/([aou])e/gi, "$1"));
  if (/ss/.test(value)) out.add(value.replace(/ss/g, "ß"));
  return [...out];
}
