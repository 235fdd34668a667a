/**
 * Where the quoted history of a reply starts, by the marks mail clients put
 * there: an attribution line ("On … wrote:", in the languages seen most),
 * Outlook's "-----Original Message-----" or its "From: … Sent: …" block under
 * a rule, or a run of "> " lines that lasts to the end (signatures and blank
 * lines may follow it). What a person wrote between quoted lines (an inline
 * answer) stays in the new text.
 */
const ATTRIBUTION = [
  /^On\b.{4,200}\bwrote:\s*$/i,
  /^Le\b.{4,200}\ba écrit\s*:\s*$/i,
  /^Am\b.{4,200}\bschrieb\b.{0,100}:\s*$/i,
  /^El\b.{4,200}\bescribió:\s*$/i,
  /^Il giorno\b.{4,200}\bha scritto:\s*$/i,
  /^Op\b.{4,200}\bschreef\b.{0,100}:\s*$/i,
  /^Em\b.{4,200}\bescreveu:\s*$/i,
];
const ORIGINAL = /^-{2,}\s*(Original Message|Message d'origine|Ursprüngliche Nachricht|Mensaje original)\s*-{2,}\s*$/i;
const OUTLOOK_FROM = /^(From|De|Von|Van):\s.+$/;
const OUTLOOK_NEXT = /^(Sent|Date|Envoyé|Gesendet|Verzonden|Enviado|To|À|An|Aan|Subject|Objet|Betreff):\s/;

export function splitQuoted(text: string): { text: string; quoted: string | null } {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const at = quoteStart(lines);
  if (at === null) return { text: text.trim(), quoted: null };
  const mine = lines.slice(0, at).join("\n").trim();
  const quoted = lines.slice(at).join("\n").trim();
  // Nothing but a quote (a forward without a word): the quote is the message.
  if (!mine) return { text: text.trim(), quoted: null };
  return { text: mine, quoted: quoted || null };
}

function quoteStart(lines: string[]): number | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    // An attribution may be wrapped over two lines by the client.
    const joined = `${line} ${lines[i + 1]?.trim() ?? ""}`.trim();
    if (ATTRIBUTION.some((r) => r.test(line))) return i;
    if (ATTRIBUTION.some((r) => r.test(joined)) && isQuoteBelow(lines, i + 2)) return i;
    if (ORIGINAL.test(line)) return i;
    if (/^_{10,}\s*$/.test(line) && OUTLOOK_FROM.test(lines[i + 1]?.trim() ?? "")) return i;
    if (OUTLOOK_FROM.test(line) && OUTLOOK_NEXT.test(lines[i + 1]?.trim() ?? "") && i > 0 && lines[i - 1]!.trim() === "") return i;
  }
  // A trailing block of "> " lines.
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === "") end--;
  let start = end;
  while (
    start > 0 &&
    (lines[start - 1]!.startsWith(">") || (lines[start - 1]!.trim() === "" && start - 1 > 0 && lines[start - 2]!.startsWith(">")))
  )
    start--;
  return start < end && lines[start]!.startsWith(">") ? start : null;
}

const isQuoteBelow = (lines: string[], from: number) => lines.slice(from).some((l) => l.startsWith(">"));
