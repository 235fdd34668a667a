import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import type { MessageFacts, TicketFacts } from "./match.js";
import type { Conditions } from "./rule.js";
import { customFields, sla, teams } from "./seams.js";
import { CUSTOM_PREFIX } from "./validate.js";

type Db = TenantClient | Tx;

/** What the rules at hand compare beyond the ticket's own columns. */
export interface Needs {
  customKeys: string[];
  teams: boolean;
  body: boolean;
  sla: boolean;
}

export function needsOf(rules: { conditions: Conditions }[]): Needs {
  const fields = rules.flatMap((r) => [...r.conditions.all, ...r.conditions.any].map((c) => c.field));
  return {
    customKeys: [...new Set(fields.filter((f) => f.startsWith(CUSTOM_PREFIX)).map((f) => f.slice(CUSTOM_PREFIX.length)))],
    teams: fields.includes("team"),
    body: fields.includes("body"),
    sla: fields.some((f) => f.startsWith("sla.")),
  };
}

/** The tickets' facts, by id, in one query (plus one per seam the rules name); missing tickets are left out. */
export async function ticketFacts(db: Db, ids: string[], needs: Needs): Promise<Map<string, TicketFacts>> {
  if (!ids.length) return new Map();
  const rows = await db.ticket.findMany({
    where: { id: { in: ids } },
    select: {
      id: true,
      status: true,
      priority: true,
      channel: true,
      assigneeId: true,
      subject: true,
      requester: { select: { email: true } },
      tags: { select: { tag: { select: { name: true } } } },
    },
  });
  const facts = new Map<string, TicketFacts>(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        status: r.status,
        priority: r.priority,
        channel: r.channel,
        assigneeId: r.assigneeId,
        subject: r.subject,
        tags: r.tags.map((t) => t.tag.name.toLowerCase()),
        emailDomain: r.requester.email?.split("@")[1]?.toLowerCase() ?? null,
      },
    ]),
  );
  if (needs.teams) {
    const of = await teams.teamsOf(db, [...facts.keys()]);
    for (const f of facts.values()) f.teamId = of.get(f.id) ?? null;
  }
  if (needs.sla) {
    const of = await sla.standingsOf(db, [...facts.keys()]);
    for (const f of facts.values()) f.sla = of.get(f.id) ?? null;
  }
  if (needs.customKeys.length) {
    const values = await customFields.valuesOf(db, [...facts.keys()], needs.customKeys);
    for (const f of facts.values()) f.custom = values.get(f.id) ?? {};
  }
  return facts;
}

export async function messageFacts(db: Db, ids: string[], needs: Needs): Promise<Map<string, MessageFacts>> {
  if (!ids.length) return new Map();
  const rows = await db.message.findMany({
    where: { id: { in: ids } },
    select: { id: true, internal: true, authorType: true, body: needs.body },
  });
  return new Map(rows.map((r) => [r.id, { internal: r.internal, author: r.authorType, ...(needs.body ? { body: r.body } : {}) }]));
}
