import { isIP } from "node:net";
import { electronicFormatIBAN, getCountrySpecifications, isValidIBAN } from "ibantools";
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import type { Found } from "./types.js";

/**
 * Identifiers recognised by their shape, whoever they belong to: email
 * addresses, URLs carrying tokens, IBANs, card numbers (Luhn), IP addresses
 * and phone numbers. Each detector returns what it found with a key that is
 * the same for every spelling of one value.
 */

// Starts only where a run of address characters starts: a start inside the run ends at the same "@" or fails the same way,
// and trying each one made a long word without "@" cost its length squared.
const EMAIL = /(?<![\p{L}\p{N}._%+'-])[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

export function emails(text: string): Found[] {
  if (!text.includes("@")) return [];
  return [...text.matchAll(EMAIL)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    kind: "EMAIL",
    key: `email:${m[0].toLowerCase()}`,
    value: m[0],
  }));
}

const URL_RUN = /\bhttps?:\/\/[^\s<>"'`)\]]+/giu;
/** Parameter names that carry credentials or one-time secrets. */
const SECRET_PARAM = /token|key|secret|sig|auth|code|session|sid|pass|pwd|otp|jwt|hash|reset|ticket|nonce|state|invite|credential/i;
/** A value that looks like a secret whatever its name: long, letters and digits mixed. */
const SECRET_VALUE = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-.~%+/=]{20,}$/;

/** URLs with a secret in their query string or fragment, or with a user name and password. Plain links stay: they help the model. */
export function tokenUrls(text: string): Found[] {
  const out: Found[] = [];
  for (const m of text.matchAll(URL_RUN)) {
    const raw = m[0].replace(/[.,;:!?]+$/, "");
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    const params = [...url.searchParams, ...new URLSearchParams(url.hash.replace(/^#/, ""))];
    const secret = url.username || url.password || params.some(([k, v]) => (SECRET_PARAM.test(k) && v.length > 0) || SECRET_VALUE.test(v));
    if (secret) out.push({ start: m.index, end: m.index + raw.length, kind: "URL", key: `url:${raw}`, value: raw });
  }
  return out;
}

const IBAN_START = /(?<![\p{L}\p{N}])([A-Za-z]{2})(\d{2})/gu;

/** IBANs, printed or electronic, checked against their country's length and check digits. */
export function ibans(text: string): Found[] {
  const out: Found[] = [];
  const specs = getCountrySpecifications();
  for (const m of text.matchAll(IBAN_START)) {
    const length = specs[m[1]!.toUpperCase()]?.chars;
    if (!length) continue;
    // Collect `length` letters and digits from the start, allowing the spaces (and dashes) of the printed form.
    let compact = "";
    let end = m.index;
    for (let i = m.index; i < text.length && compact.length < length; i++) {
      const c = text[i]!;
      if (/[A-Za-z0-9]/.test(c)) {
        compact += c;
        end = i + 1;
      } else if (!(c === " " || c === "-") || !/[A-Za-z0-9]/.test(text[i + 1] ?? "")) break;
    }
    if (compact.length !== length || /[A-Za-z0-9]/.test(text[end] ?? "")) continue;
    const electronic = electronicFormatIBAN(compact) ?? compact.toUpperCase();
    if (isValidIBAN(electronic))
      out.push({ start: m.index, end, kind: "IBAN", key: `iban:${electronic}`, value: text.slice(m.index, end) });
  }
  return out;
}

const CARD_RUN = /(?<![\d])\d(?:[ -]?\d){12,18}(?!\d)/g;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Payment card numbers: 13 to 19 digits, grouped or not, passing the Luhn check. */
export function cards(text: string): Found[] {
  const out: Found[] = [];
  for (const m of text.matchAll(CARD_RUN)) {
    const digits = m[0].replace(/\D/g, "");
    if (digits.length >= 13 && digits.length <= 19 && luhn(digits) && !/^(\d)\1+$/.test(digits)) {
      out.push({ start: m.index, end: m.index + m[0].length, kind: "CARD", key: `card:${digits}`, value: m[0] });
    }
  }
  return out;
}

const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)/g;
const IPV6 = /(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}:){1,7}:(?![\w:])/gi;

export function ips(text: string): Found[] {
  const out: Found[] = [];
  for (const re of [IPV4, IPV6]) {
    for (const m of text.matchAll(re)) {
      const family = isIP(m[0]);
      // A bare "::" is not an address; a clock time ("12:30:45") is not valid IPv6.
      if (!family || (family === 6 && !/[0-9a-f]/i.test(m[0]))) continue;
      out.push({ start: m.index, end: m.index + m[0].length, kind: "IP", key: `ip:${m[0].toLowerCase()}`, value: m[0] });
    }
  }
  return out;
}

// A run of digits with the separators people write numbers with: "+31 (0)6 12-34.56/78".
const PHONE_RUN = /\+?\(?\d[\d() \t\u00a0./-]*\d\)?/g;
const MAX_DIGITS = 17;

/** The number a piece of text spells, if it is a valid one: international (+…, 00…) or national in one of the regions. */
function parsePhone(raw: string, regions: readonly (CountryCode | undefined)[]): string | null {
  const international = raw.replace(/^00/, "+");
  for (const region of international.startsWith("+") ? [undefined] : regions) {
    const parsed = parsePhoneNumberFromString(international, region ? { defaultCountry: region } : undefined);
    if (parsed?.isValid()) return parsed.number;
  }
  return null;
}

/**
 * Phone numbers: every international spelling (+31…, 0031…), and national
 * spellings in the given regions when they look like a phone number (a trunk
 * prefix, or nine or ten digits in groups) rather than an order number or a
 * date. A run of digits may hold several numbers ("06 1234 5678 / 030 123
 * 4567"): its groups are tried from each start, longest first.
 */
export function phones(text: string, regions: readonly CountryCode[]): Found[] {
  const out: Found[] = [];
  if (!/\d{2}/.test(text)) return out;
  for (const run of text.matchAll(PHONE_RUN)) {
    // Digits glued to letters ("DE89 3704…", "INV2024…") are a reference, not a phone number.
    if (/\p{L}/u.test(text[run.index - 1] ?? "")) continue;
    const groups = [...run[0].matchAll(/\d+/g)].map((g) => ({
      start: run.index + g.index,
      end: run.index + g.index + g[0].length,
      n: g[0].length,
    }));
    for (let i = 0; i < groups.length; ) {
      // A leading "+" or "(" belongs to the number.
      const start = groups[i]!.start - (/[+(]/.test(text[groups[i]!.start - 1] ?? "") ? 1 : 0);
      let found: { j: number; e164: string; end: number } | null = null;
      let digits = 0;
      const windows: number[] = [];
      for (let j = i; j < groups.length && (digits += groups[j]!.n) <= MAX_DIGITS; j++) windows.push(j);
      for (const j of windows.reverse()) {
        const end = groups[j]!.end + (text[groups[j]!.end] === ")" && text.slice(start, groups[j]!.end).includes("(") ? 1 : 0);
        const raw = text.slice(start, end);
        const digitCount = raw.replace(/\D/g, "").length;
        if (digitCount < 7) break;
        // Without a prefix, only the shape of a national number in groups ("612 345 678"), not a longer reference.
        const phoneLike = /^(\+|00|\(|0)/.test(raw) || (digitCount >= 9 && digitCount <= 10 && j - i >= 2);
        if (!phoneLike) continue;
        const e164 = parsePhone(raw, regions);
        if (e164) {
          found = { j, e164, end };
          break;
        }
      }
      if (!found) i++;
      else {
        out.push({ start, end: found.end, kind: "PHONE", key: `phone:${found.e164}`, value: text.slice(start, found.end) });
        i = found.j + 1;
      }
    }
  }
  return out;
}
