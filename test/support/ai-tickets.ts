import type { TestApp, TestTenant } from "./app.js";

/** Solved tickets a tenant's local model learns from: two topics, each with its tags, priority and the agent's reply. */
const TRAINING = [
  {
    subject: "Invoice shows the wrong amount",
    body: "My invoice for March charges twice for the same subscription. Please correct the invoice amount and refund the double charge.",
    tags: ["billing"],
    priority: "HIGH",
    reply: "Hello {name}, we corrected the invoice and refunded the double charge; the refund reaches your card within five days.",
  },
  {
    subject: "Refund for a double charge",
    body: "I was charged twice on my card for the invoice of April. I need a refund of the second charge on the invoice.",
    tags: ["billing"],
    priority: "HIGH",
    reply: "Hi {name}, the second charge on the invoice is refunded; you will see it on your card statement soon.",
  },
  {
    subject: "Wrong VAT on my invoice",
    body: "The invoice has the wrong VAT amount and the charge is too high. Please send a corrected invoice and refund the difference.",
    tags: ["billing"],
    priority: "NORMAL",
    reply: "Dear {name}, a corrected invoice is attached and the difference is refunded.",
  },
  {
    subject: "Cannot log in after password reset",
    body: "After the password reset the login page says my password is wrong. I cannot sign in to my account.",
    tags: ["login"],
    priority: "NORMAL",
    reply: "Hi {name}, we unlocked your account: please reset the password once more and sign in with the new password.",
  },
  {
    subject: "Account locked, login fails",
    body: "My account is locked after three login attempts and the password reset email never arrives. I cannot sign in.",
    tags: ["login"],
    priority: "URGENT",
    reply: "Hello {name}, your account is unlocked and the password reset email is sent again.",
  },
  {
    subject: "Two-factor login code not accepted",
    body: "The login code from my authenticator is not accepted, so I cannot sign in to my account since this morning.",
    tags: ["login"],
    priority: "NORMAL",
    reply: "Hi {name}, we reset your two-factor setup: sign in with your password and set up the authenticator again.",
  },
];

const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`;
const REPLY = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`;
const SOLVE = `mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`;

/** Creates the training tickets in the tenant, each for a customer of its own, solved with the agent's reply (naming the customer). */
export async function seedSolvedTickets(
  app: TestApp,
  t: TestTenant,
  prefix = "cust",
): Promise<{ ticketId: string; contactId: string; name: string }[]> {
  const out = [];
  for (const [i, s] of TRAINING.entries()) {
    const name = `Customer${String.fromCharCode(65 + i)} ${prefix}`;
    const created = await app.gql(
      CREATE,
      {
        i: {
          subject: s.subject,
          body: s.body,
          tags: s.tags,
          priority: s.priority,
          requester: { name, email: `${prefix}${i}@example.com` },
        },
      },
      t.ownerToken,
    );
    if (!created.data) throw new Error(JSON.stringify(created.errors));
    const ticketId = created.data.createTicket.id;
    await app.gql(REPLY, { i: { ticketId, body: s.reply.replace("{name}", name.split(" ")[0]!) } }, t.ownerToken);
    await app.gql(SOLVE, { id: ticketId }, t.ownerToken);
    out.push({ ticketId, contactId: created.data.createTicket.requester.id, name });
  }
  return out;
}
