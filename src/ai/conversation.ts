import type { CountryCode } from "libphonenumber-js";
import type { AiAuthor, AiConversation } from "./contract.js";
import { Pseudonymiser } from "./pseudonymise/pseudonymiser.js";
import type { TicketPeople } from "./pseudonymise/people.js";
import { specialCategoriesIn, type SpecialCategory } from "./pseudonymise/special-categories.js";

/** A rough estimate that holds across the supported languages: a token is about four characters. */
const CHARS_PER_TOKEN = 4;
/** A message cut to fit ends with this, so the model (and the agent) know. */
const CUT = " […]";

interface RawMessage {
  body: string;
  authorType: "AGENT" | "CONTACT" | "SYSTEM";
  internal: boolean;
}

export interface PreparedConversation {
  conversation: AiConversation;
  pseudonymiser: Pseudonymiser;
  /** The special categories the text sent would mention (before the tenant's allowance). */
  specialCategories: SpecialCategory[];
  /** Set when the ticket did not fit the budget: what was left out, for the answer's notices. */
  truncation: string | null;
}

const authorOf = (m: RawMessage): AiAuthor => (m.internal ? "NOTE" : m.authorType === "CONTACT" ? "CUSTOMER" : "AGENT");

/** The country of a locale with a region ("fr-BE" → BE) or of a language spoken mostly in one (de → DE): national phone spellings are read there. */
function regionOf(locale: string): CountryCode | null {
  const region = /^[a-z]{2,3}-([A-Z]{2})$/.exec(locale)?.[1];
  if (region) return region as CountryCode;
  return (
    ({ de: "DE", fr: "FR", nl: "NL", es: "ES", it: "IT", sv: "SE", pl: "PL", pt: "PT" } as Record<string, CountryCode>)[locale] ?? null
  );
}

/**
 * Fits a ticket into `maxTokens`: the subject and the first message (the
 * problem as stated) always, then the latest messages as far as they fit; a
 * message too long on its own is cut. Nothing is summarised or rewritten.
 */
function fitToBudget(subject: string, messages: RawMessage[], maxTokens: number): { kept: RawMessage[]; truncation: string | null } {
  const budget = maxTokens * CHARS_PER_TOKEN - subject.length;
  const total = messages.reduce((n, m) => n + m.body.length, 0);
  if (total <= budget || !messages.length) return { kept: messages, truncation: null };
  const cut = (m: RawMessage, room: number): RawMessage =>
    m.body.length <= room ? m : { ...m, body: m.body.slice(0, Math.max(0, room - CUT.length)) + CUT };
  const first = cut(messages[0]!, Math.floor(budget / 2));
  let room = budget - first.body.length;
  const latest: RawMessage[] = [];
  let shortened = first !== messages[0];
  for (let i = messages.length - 1; i >= 1 && room > 0; i--) {
    const m = messages[i]!;
    if (m.body.length <= room) latest.unshift(m);
    else {
      // Part of one more message, when there is room for a useful part of it.
      if (room >= 200) {
        latest.unshift(cut(m, room));
        shortened = true;
      }
      room = 0;
      break;
    }
    room -= m.body.length;
  }
  const left = messages.length - 1 - latest.length;
  const parts = [
    left > 0 ? `${left} of ${messages.length} messages in the middle were left out` : null,
    shortened ? "long messages were cut" : null,
  ];
  return {
    kept: [first, ...latest],
    truncation: `The ticket is longer than the prompt budget of ${maxTokens} tokens: ${parts.filter(Boolean).join(" and ")}.`,
  };
}

/**
 * The ticket as a provider may see it: within the budget, every identifier
 * of its people (and everything shaped like one) replaced by a placeholder.
 * The special categories are looked for in the text as it would be sent.
 */
export function prepareConversation(
  ticket: { subject: string; messages: RawMessage[] },
  people: TicketPeople,
  options: { maxTokens: number; tenantLocale: string },
): PreparedConversation {
  const tenantRegion = regionOf(options.tenantLocale);
  const pseudonymiser = new Pseudonymiser(people.people, {
    regions: [...new Set([...people.regions, ...(tenantRegion ? [tenantRegion] : [])])],
  });
  const { kept, truncation } = fitToBudget(ticket.subject, ticket.messages, options.maxTokens);
  // Names of people the database does not know are learnt from every message first: one found in the last is replaced in the first too.
  pseudonymiser.learn(ticket.subject, ...kept.map((m) => m.body));
  const conversation: AiConversation = {
    subject: pseudonymiser.pseudonymise(ticket.subject),
    messages: kept.map((m) => ({ author: authorOf(m), text: pseudonymiser.pseudonymise(m.body) })),
    // An erased requester has no placeholder: nothing of theirs is left to fill in.
    customer: (people.requester && pseudonymiser.placeholderOf(people.requester)) ?? "the customer",
    tenantLocale: options.tenantLocale.slice(0, 2),
  };
  const specialCategories = specialCategoriesIn([ticket.subject, ...kept.map((m) => m.body)].join("\n"));
  return { conversation, pseudonymiser, specialCategories, truncation };
}
