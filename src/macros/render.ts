import type { Context } from "../context.js";
import { forbidden, notFound } from "../errors.js";
import { checkTemplate, categoriesRead, render } from "./template.js";

/**
 * Renders a template for a ticket: the ticket, its requester and `agentId`
 * (the agent replying; none renders as empty). The requester's personal data
 * it reads is noted for the request's audit entry (personalData.read), as if
 * the caller had read those fields through the API.
 */
export async function renderForTicket(ctx: Context, template: string, ticketId: string, agentId: string | null): Promise<string> {
  const used = checkTemplate(template, ["template"]);
  if (used.includes("requester.email") && !ctx.can("contacts:read")) throw forbidden("{{requester.email}} needs contacts:read");
  const ticket = await ctx.db.ticket.findUnique({
    where: { id: ticketId },
    select: {
      number: true,
      subject: true,
      status: true,
      priority: true,
      channel: true,
      requester: { select: { id: true, name: true, email: true } },
    },
  });
  if (!ticket) throw notFound("Ticket");
  const agent = agentId ? await ctx.db.agent.findUnique({ where: { id: agentId }, select: { name: true } }) : null;
  for (const category of categoriesRead(used)) ctx.privacy.noteRead({ type: "Contact", id: ticket.requester.id }, category);
  return render(template, { ticket, requester: ticket.requester, agent });
}
