import { composeIBAN, isValidIBAN } from "ibantools";
import type { KnownPerson } from "../../src/ai/pseudonymise/types.js";

/**
 * A labelled set of support messages for the pseudonymisation figures: each
 * message is written by a person the database knows (name, email, phone,
 * organisation) in one of five languages, mixes their identifiers in other
 * spellings with identifiers only their shape gives away, and lists every
 * one of them with whether the database knows it. Deterministic for a seed.
 */
export interface LabelledMessage {
  language: string;
  people: KnownPerson[];
  text: string;
  identifiers: { value: string; known: boolean }[];
}

function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FIRST = [
  "Anna",
  "Jürgen",
  "Éloïse",
  "Daan",
  "María",
  "Olivia",
  "Søren",
  "Zoë",
  "François",
  "Inés",
  "Björn",
  "Noémie",
  "Pieter",
  "José",
];
const LAST = ["Müller", "Dubois-Lefèvre", "de Vries", "García Núñez", "Bennett", "Schäfer", "Jansen", "Martínez", "Lefebvre", "Østergaard"];
const ORGS = ["Bäckerei Schäfer GmbH", "Atelier Lumière SARL", "Bakkerij De Molen B.V.", "Frutas del Sur S.L.", "Harbour Logistics Ltd"];

const digits = (rnd: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join("");

function luhnCard(rnd: () => number): string {
  const body = `4${digits(rnd, 14)}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const card = body + String((10 - (sum % 10)) % 10);
  return card.replace(/(\d{4})(?=\d)/g, "$1 ");
}

function iban(rnd: () => number): string {
  for (;;) {
    const candidate =
      rnd() < 0.5
        ? composeIBAN({ countryCode: "NL", bban: `ABNA${digits(rnd, 10)}` })
        : composeIBAN({ countryCode: "DE", bban: digits(rnd, 18) });
    if (candidate && isValidIBAN(candidate)) return candidate.replace(/(.{4})(?=.)/g, "$1 ");
  }
}

/** A mobile number per language: E.164 (what the database stores) and two ways people write it. */
function phone(language: string, rnd: () => number): { e164: string; spellings: string[] } {
  const d = digits(rnd, 8);
  switch (language) {
    case "de":
      return { e164: `+4930${d}`, spellings: [`030 ${d}`, `+49 30 ${d}`] };
    case "fr":
      return { e164: `+336${d}`, spellings: [`06 ${d.replace(/(\d{2})(?=\d)/g, "$1 ")}`, `+33 6 ${d}`] };
    case "nl":
      return { e164: `+316${d}`, spellings: [`06-${d}`, `0031 6 ${d}`] };
    case "es":
      return { e164: `+346${d}`, spellings: [`6${d.slice(0, 2)} ${d.slice(2, 5)} ${d.slice(5)}`, `+34 6${d}`] };
    default:
      return { e164: `+447400${d.slice(0, 6)}`, spellings: [`07400 ${d.slice(0, 6)}`, `+44 7400 ${d.slice(0, 6)}`] };
  }
}

const TEMPLATES: Record<string, (v: Record<string, string>) => string> = {
  en: (v) =>
    `Hello, ${v.fullVariant} here from ${v.orgBare}. Please call me on ${v.phone1} or ${v.phone2}, or write to ${v.emailUpper}. ` +
    `Refund to ${v.iban}; card ${v.card} was charged twice. I logged in from ${v.ip}; the link ${v.url} fails. ` +
    `Copy ${v.otherEmail}, phone ${v.otherPhone}. Thanks, ${v.first}`,
  de: (v) =>
    `Guten Tag, hier ist ${v.fullVariant} von ${v.orgBare}. Rufen Sie mich unter ${v.phone1} oder ${v.phone2} an, Mail: ${v.emailUpper}. ` +
    `Bitte auf ${v.iban} erstatten; die Karte ${v.card} wurde doppelt belastet. IP ${v.ip}, Link ${v.url}. ` +
    `Kopie an ${v.otherEmail}, Tel. ${v.otherPhone}. Grüße, ${v.first}`,
  fr: (v) =>
    `Bonjour, je suis ${v.fullVariant} de ${v.orgBare}. Appelez le ${v.phone1} ou le ${v.phone2}, écrivez à ${v.emailUpper}. ` +
    `Remboursez sur ${v.iban} ; la carte ${v.card} a été débitée deux fois. IP ${v.ip}, lien ${v.url}. ` +
    `Copie à ${v.otherEmail}, tél. ${v.otherPhone}. Cordialement, ${v.first}`,
  nl: (v) =>
    `Hoi, met ${v.fullVariant} van ${v.orgBare}. Bel me op ${v.phone1} of ${v.phone2}, mail ${v.emailUpper}. ` +
    `Stort terug op ${v.iban}; creditcard ${v.card} is dubbel belast. IP ${v.ip}, link ${v.url}. ` +
    `Kopie aan ${v.otherEmail}, tel. ${v.otherPhone}. Groeten, ${v.first}`,
  es: (v) =>
    `Hola, soy ${v.fullVariant} de ${v.orgBare}. Llámeme al ${v.phone1} o al ${v.phone2}, o escriba a ${v.emailUpper}. ` +
    `Devuelvan a ${v.iban}; la tarjeta ${v.card} se cobró dos veces. IP ${v.ip}, enlace ${v.url}. ` +
    `Copia a ${v.otherEmail}, tel. ${v.otherPhone}. Saludos, ${v.first}`,
};

/** How a name shows up in a message: as stored, without accents, in capitals, transliterated, or unhyphenated. */
function variant(name: string, k: number): string {
  switch (k % 5) {
    case 0:
      return name;
    case 1:
      return name.normalize("NFD").replace(/\p{M}/gu, "");
    case 2:
      return name.toUpperCase();
    case 3:
      return name.replace(/ü/g, "ue").replace(/ö/g, "oe").replace(/ä/g, "ae");
    default:
      return name.replace(/-/g, " ");
  }
}

export function labelledMessages(count: number, seed = 42): LabelledMessage[] {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const languages = Object.keys(TEMPLATES);
  return Array.from({ length: count }, (_, i) => {
    const language = languages[i % languages.length]!;
    const first = pick(FIRST);
    const last = pick(LAST);
    const name = `${first} ${last}`;
    const org = pick(ORGS);
    const email = `${first.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()}.${i}@customer-${i}.example`;
    const own = phone(language, rnd);
    const other = phone(languages[(i + 1) % languages.length]!, rnd);
    const token = Math.floor(rnd() * 2 ** 48).toString(36) + Math.floor(rnd() * 2 ** 48).toString(36);
    const fullVariant = variant(name, i);
    const v = {
      fullVariant,
      first: variant(first, i + 1),
      orgBare: org.replace(/ (GmbH|SARL|B\.V\.|S\.L\.|Ltd)$/, ""),
      phone1: own.spellings[0]!,
      phone2: own.spellings[1]!,
      emailUpper: email.toUpperCase(),
      iban: iban(rnd),
      card: luhnCard(rnd),
      ip: `${10 + Math.floor(rnd() * 200)}.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.${1 + Math.floor(rnd() * 250)}`,
      url: `https://app.example.com/reset?token=${token}`,
      otherEmail: `someone.${i}@elsewhere.example`,
      otherPhone: other.spellings[1]!,
    };
    const people: KnownPerson[] = [
      { key: `contact:${i}`, name, email, phone: own.e164, organization: { key: `org:${org}`, name: org, domain: null } },
    ];
    return {
      language,
      people,
      text: TEMPLATES[language]!(v),
      identifiers: [
        { value: fullVariant, known: true },
        { value: v.first, known: true },
        { value: v.orgBare, known: true },
        { value: v.phone1, known: true },
        { value: v.phone2, known: true },
        { value: v.emailUpper, known: true },
        { value: v.iban, known: false },
        { value: v.card, known: false },
        { value: v.ip, known: false },
        { value: token, known: false },
        { value: v.otherEmail, known: false },
        { value: v.otherPhone, known: false },
      ],
    };
  });
}
