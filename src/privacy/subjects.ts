import { STORES } from "./stores/index.js";

/** Whose personal data an object of a GraphQL type holds: a contact, by id. */
export interface Subject {
  type: "Contact";
  id: string;
}

type Row = Record<string, unknown>;

/** Per GraphQL type, as each store declares it (src/privacy/stores/). */
const SUBJECT_OF = new Map<string, (row: Row) => string | null | undefined>(
  STORES.flatMap((s) => (s.subject ? [[s.subject.graphqlType, s.subject.of] as const] : [])),
);

export function subjectOf(typeName: string, row: unknown): Subject | null {
  const id = SUBJECT_OF.get(typeName)?.(row as Row);
  return id ? { type: "Contact", id } : null;
}
