import type { CountryCode } from "libphonenumber-js";
import type { TenantClient } from "../../db/tenant-scope.js";
import { phoneTarget } from "../../privacy/requests/identifiers.js";
import type { KnownPerson } from "./types.js";

const ORG = { select: { id: true, name: true, domain: true } } as const;
const CONTACT = { select: { id: true, name: true, email: true, phone: true, erasedAt: true, organization: ORG } } as const;
const AGENT = { select: { id: true, name: true, email: true } } as const;

type ContactRow = {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  erasedAt: Date | null;
  organization: { id: string; name: string; domain: string | null } | null;
};

const contactPerson = (c: ContactRow): KnownPerson => ({
  key: `contact:${c.id}`,
  name: c.name,
  email: c.email,
  phone: c.phone,
  organization: c.organization ? { key: `org:${c.organization.id}`, name: c.organization.name, domain: c.organization.domain } : null,
});

export interface TicketPeople {
  /** The requester's key (contact:<id>), null once they were erased. */
  requester: string | null;
  /** The requester first, then the other contacts who wrote on the ticket, then its agents. */
  people: KnownPerson[];
  /** The contacts whose data the ticket holds: the data subjects of any processing of it. */
  subjectIds: string[];
  /** Where national phone spellings are read: the regions of the people's own numbers. */
  regions: CountryCode[];
}

/** Everyone the ticket is about or written by, with the identifiers the database holds for them: two statements. */
export async function ticketPeople(db: TenantClient, ticketId: string): Promise<TicketPeople | null> {
  const [ticket, authors] = await Promise.all([
    db.ticket.findUnique({ where: { id: ticketId }, select: { requester: CONTACT, assignee: AGENT } }),
    db.message.findMany({
      where: { ticketId },
      distinct: ["authorContactId", "authorAgentId"],
      select: { authorContact: CONTACT, authorAgent: AGENT },
    }),
  ]);
  if (!ticket) return null;
  const contacts = new Map<string, ContactRow>([[ticket.requester.id, ticket.requester]]);
  const agents = new Map<string, { id: string; name: string; email: string }>();
  if (ticket.assignee) agents.set(ticket.assignee.id, ticket.assignee);
  for (const m of authors) {
    if (m.authorContact) contacts.set(m.authorContact.id, m.authorContact);
    if (m.authorAgent) agents.set(m.authorAgent.id, m.authorAgent);
  }
  const people: KnownPerson[] = [
    ...[...contacts.values()].filter((c) => !c.erasedAt).map(contactPerson),
    ...[...agents.values()].map((a) => ({ key: `agent:${a.id}`, name: a.name, email: a.email })),
  ];
  const regions = [...new Set(people.flatMap((p) => phoneTarget(p.phone)?.region ?? []))];
  return {
    requester: ticket.requester.erasedAt ? null : `contact:${ticket.requester.id}`,
    people,
    subjectIds: [...contacts.keys()],
    regions,
  };
}
