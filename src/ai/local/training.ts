import type { TenantClient } from "../../db/tenant-scope.js";
import type { TrainingTicket } from "./model.js";

const PAGE = 500;
/** What one ticket contributes at most: its subject and the first of its customer's messages, cut here. */
const MAX_CHARS = 4000;
const MESSAGES = 5;

/**
 * The contacts whose data no model may learn from: those who objected to
 * ai.assistance (their latest objection not lifted), whose processing is
 * restricted, or who were erased.
 */
async function excludedContacts(db: TenantClient): Promise<Set<string>> {
  const [blocked, objections] = await Promise.all([
    db.contact.findMany({ where: { OR: [{ restrictedAt: { not: null } }, { erasedAt: { not: null } }] }, select: { id: true } }),
    db.consentEvent.findMany({
      where: { purpose: "ai.assistance", action: { in: ["OBJECTED", "OBJECTION_LIFTED"] } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { contactId: true, action: true },
    }),
  ]);
  const latest = new Map(objections.map((o) => [o.contactId, o.action]));
  return new Set([...blocked.map((c) => c.id), ...[...latest].filter(([, a]) => a === "OBJECTED").map(([id]) => id)]);
}

/**
 * A tenant's most recent tickets as training examples, a page at a time:
 * tickets of excluded requesters are left out, and so are messages by excluded
 * contacts on anyone's ticket. Internal notes and agents' replies are not
 * learnt from: a model predicts from what a customer writes.
 */
export async function* trainingTickets(db: TenantClient, max: number): AsyncGenerator<TrainingTicket> {
  const excluded = [...(await excludedContacts(db))];
  let cursor: string | undefined;
  let seen = 0;
  while (seen < max) {
    const page = await db.ticket.findMany({
      where: excluded.length ? { requesterId: { notIn: excluded } } : {},
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: Math.min(PAGE, max - seen),
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      select: {
        id: true,
        subject: true,
        priority: true,
        status: true,
        tags: { select: { tag: { select: { name: true } } } },
        messages: {
          where: {
            internal: false,
            authorType: "CONTACT",
            redactedAt: null,
            ...(excluded.length ? { authorContactId: { notIn: excluded } } : {}),
          },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          take: MESSAGES,
          select: { body: true },
        },
      },
    });
    for (const t of page) {
      yield {
        id: t.id,
        text: [t.subject, ...t.messages.map((m) => m.body)].join("\n").slice(0, MAX_CHARS),
        tags: t.tags.map((x) => x.tag.name),
        priority: t.priority,
        solved: t.status === "SOLVED" || t.status === "CLOSED",
      };
    }
    seen += page.length;
    if (page.length < PAGE) break;
    cursor = page.at(-1)!.id;
  }
}
