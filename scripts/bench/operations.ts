// The two GraphQL operations the benchmark sends, shared by the script and its load worker.

export type Operation = "tickets" | "createTicket";

export const TICKETS_PAGE = `query BenchTickets {
  tickets(first: 50) {
    totalCount
    edges { node { id number subject status priority requester { name email } assignee { name } tags { name } lastMessage { body } } }
  }
}`;

export const CREATE_TICKET = `mutation BenchCreateTicket($i: CreateTicketInput!) {
  createTicket(input: $i) { id number subject status priority requester { name } }
}`;

const SUBJECTS = ["Cannot sign in after the update", "Invoice PDF is empty", "Feature request: dark mode", "Data export request", "Payment failed twice"];
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

export const ticketsPageBody = () => JSON.stringify({ query: TICKETS_PAGE });
