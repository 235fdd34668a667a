/** Whose personal data an object of a GraphQL type holds: a contact, by id. */
export interface Subject {
  type: "Contact";
  id: string;
}

type Row = Record<string, unknown>;

const SUBJECT_OF: Record<string, (row: Row) => string | null | undefined> = {
  Contact: (c) => c.id as string,
  Ticket: (t) => t.requesterId as string,
  Message: (m) => (m.authorType === "CONTACT" ? (m.authorContactId as string | null) : null),
  ConsentRecord: (c) => c.contactId as string,
  DataSubjectRequest: (r) => r.contactId as string,
};

export function subjectOf(typeName: string, row: unknown): Subject | null {
  const id = SUBJECT_OF[typeName]?.(row as Row);
  return id ? { type: "Contact", id } : null;
}
