import { STORES } from "./stores/index.js";
import type { PersonalDataStore } from "./stores/store.js";

/** Whose personal data an object of a GraphQL type holds: a contact, by id. */
export interface Subject {
  type: "Contact";
  id: string;
}

type Row = Record<string, unknown>;

/** Per GraphQL type, as each store declares it (src/privacy/stores/). */
const SUBJECT_OF = new Map<string, NonNullable<PersonalDataStore["subject"]>>(
  STORES.flatMap((s) => (s.subject ? [[s.subject.graphqlType, s.subject] as const] : [])),
);

export function subjectOf(typeName: string, row: unknown): Subject | null {
  const subject = SUBJECT_OF.get(typeName);
  if (!subject) return null;
  // A read whose subject cannot be told would go unrecorded: an object loaded without the
  // columns that say whose it is (a `select` that left them out) is a bug, not a read of no one's.
  const missing = subject.columns.find((c) => (row as Row)[c] === undefined);
  if (missing) throw new Error(`${typeName} was loaded without ${missing}, which says whose personal data it is`);
  const id = subject.of(row as Row);
  return id ? { type: "Contact", id } : null;
}
