// The GraphQL operations the benchmarks send, shared by the scripts and their load worker.

import type { LoadRequest } from "./load.js";

export type Operation = "tickets" | "createTicket";

/** A page of tickets with what an agent desk lists beside each: the shape every system serves. */
const ticketsPage = (first: number) => `query BenchTickets {
  tickets(first: ${first}) {
    totalCount
    edges { node { id number subject status priority requester { name email } assignee { name } tags { name } lastMessage { body } } }
  }
}`;

export const TICKETS_PAGE = ticketsPage(50);

export const CREATE_TICKET = `mutation BenchCreateTicket($i: CreateTicketInput!) {
  createTicket(input: $i) { id number subject status priority requester { name } }
}`;

const SUBJECTS = [
  "Cannot sign in after the update",
  "Invoice PDF is empty",
  "Feature request: dark mode",
  "Data export request",
  "Payment failed twice",
];
const BODIES = [
  "Hello, since this morning none of our agents can sign in. The error says the session expired.",
  "The invoice for last month downloads as an empty PDF. Could you send it again?",
  "It would help our night shift a lot if the desk had a dark mode.",
  "Under Article 15 GDPR I would like a copy of the personal data you hold about me.",
  "Our card was charged but the payment shows as failed, twice. Please check.",
  "Short one: thanks!",
];
const PRIORITIES = ["LOW", "NORMAL", "NORMAL", "HIGH", "URGENT"] as const;

/** The n-th createTicket request body: subject, text, priority and requester rotate. */
export function createTicketBody(n: number, requesterIds: readonly string[]): string {
  return JSON.stringify({
    query: CREATE_TICKET,
    variables: {
      i: {
        subject: `${SUBJECTS[n % SUBJECTS.length]} (#${n})`,
        body: `${BODIES[n % BODIES.length]}\n\nSent from bench request ${n}.`,
        priority: PRIORITIES[n % PRIORITIES.length],
        requesterId: requesterIds[n % requesterIds.length],
      },
    },
  });
}

export const UPDATE_TICKET = `mutation BenchUpdateTicket($id: ID!, $i: UpdateTicketInput!) {
  updateTicket(id: $id, input: $i) { id number subject status priority updatedAt }
}`;

const STATUSES = ["OPEN", "PENDING"] as const;

/** The n-th updateTicket request body: the ticket, its subject, priority and status (open or pending) rotate. */
export function updateTicketBody(n: number, ticketIds: readonly string[]): string {
  return JSON.stringify({
    query: UPDATE_TICKET,
    variables: {
      id: ticketIds[n % ticketIds.length],
      i: {
        subject: `${SUBJECTS[n % SUBJECTS.length]} (updated #${n})`,
        priority: PRIORITIES[n % PRIORITIES.length],
        status: STATUSES[n % 2],
      },
    },
  });
}

/** The n-th body a load sends: its fixed body, or the n-th create or update. */
export function requestBody(request: LoadRequest, n: number): string | null {
  if ("createTicket" in request) return createTicketBody(n, request.createTicket);
  if ("updateTicket" in request) return updateTicketBody(n, request.updateTicket);
  return request.body;
}

export const ticketsPageBody = (first = 50) => JSON.stringify({ query: ticketsPage(first) });

/** The cheapest operation there is: what a request costs before any resolver runs. */
export const typenameBody = () => JSON.stringify({ query: "{ __typename }" });

/**
 * TICKETS_PAGE as PostGraphile 5's Amber preset can ask it of the same tables
 * (bench:compare). What differs, because its schema allows no closer:
 * - the tenant is a condition in the query, not taken from a credential;
 * - tags come through the join table, ordered by the join table's key rather
 *   than by tag name, and as { nodes { tagByTagId { name } } };
 * - the latest message is a one-row connection ordered newest first, not a field;
 * - relation fields carry PostGraphile's names (aliased to Deskgraph's here).
 */
export const POSTGRAPHILE_TICKETS_PAGE = `query PostGraphileTickets($tenantId: UUID!) {
  tickets: allTickets(first: 50, condition: { tenantId: $tenantId }, orderBy: [UPDATED_AT_DESC, ROW_ID_ASC]) {
    totalCount
    edges { node {
      id number subject status priority
      requester: contactByRequesterId { name email }
      assignee: agentByAssigneeId { name }
      tags: ticketTagsByTicketId { nodes { tagByTagId { name } } }
      lastMessage: messagesByTicketId(first: 1, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { nodes { body } }
    } }
  }
}`;

export const postgraphileTicketsPageBody = (tenantId: string) =>
  JSON.stringify({ query: POSTGRAPHILE_TICKETS_PAGE, variables: { tenantId } });
