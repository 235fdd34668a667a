/** What a placeholder stands for: [PERSON_1], [EMAIL_2]… */
export const PLACEHOLDER_KINDS = ["PERSON", "ORG", "EMAIL", "PHONE", "IBAN", "CARD", "IP", "URL", "ADDRESS"] as const;
export type PlaceholderKind = (typeof PLACEHOLDER_KINDS)[number];

/**
 * An identifier found in a text. `key` says which identity it is (the same
 * person's name in any spelling, the same number however it is written):
 * one key, one placeholder. `value` is what the placeholder turns back into.
 */
export interface Found {
  start: number;
  end: number;
  kind: PlaceholderKind;
  key: string;
  value: string;
}

/** A person of the ticket, as the database knows them: the requester, other contacts who wrote, agents. */
export interface KnownPerson {
  /** contact:<id> or agent:<id>: all their identifiers share this identity. */
  key: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  organization?: { key: string; name: string; domain?: string | null } | null;
}
