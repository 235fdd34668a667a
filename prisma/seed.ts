import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { API_KEY_SCOPES } from "../src/auth/permissions.js";
import { newToken } from "../src/auth/tokens.js";
import type { Database } from "../src/db/database.js";
import { createTenant } from "../src/tenants/service.js";
import { setTicketCounter } from "../src/tickets/counter.js";

export interface DemoCredentials {
  tenant: string;
  email: string;
  password: string;
  apiKey: string;
}

const CREDENTIALS_FILE = "demo-credentials.json";

/**
 * On first start, a demo tenant with an owner, a few contacts and tickets, and
 * an API key. Credentials are shown once by design, so for the demo they are
 * kept in DATA_DIR to be printed again on every start.
 */
export async function seedDemo(database: Database, dataDir: string): Promise<DemoCredentials | null> {
  const file = path.resolve(dataDir, CREDENTIALS_FILE);
  if (await database.prisma.tenant.findUnique({ where: { slug: "demo" } })) {
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DemoCredentials) : null;
  }
  const password = randomBytes(9).toString("base64url");
  const apiKey = newToken("dgk");
  const { tenant, owner } = await createTenant(database, {
    name: "Demo Support",
    slug: "demo",
    owner: { email: "owner@demo.test", name: "Olivia Owner", password },
  });
  const db = database.forTenant(tenant.id);
  const t = { tenantId: tenant.id };

  // Set-based: one statement per table (IDs made here), not one per row — the seed is part of a first start.
  const agent = { ...t, id: randomUUID(), email: "alex@demo.test", name: "Alex Agent", role: "AGENT" as const };
  await db.agent.create({ data: agent });
  await db.apiKey.create({
    data: {
      ...t,
      name: "Demo integration",
      scopes: API_KEY_SCOPES,
      prefix: apiKey.token.slice(0, 12),
      secretHash: apiKey.hash,
      createdById: owner.id,
    },
  });
  const acme = await db.organization.create({ data: { ...t, name: "Acme GmbH", domain: "acme.example" } });
  const contacts = [
    { name: "Jonas Weber", email: "jonas@acme.example", phone: "+4930901820", locale: "de", organizationId: acme.id },
    { name: "Camille Martin", email: "camille@example.fr", phone: "+33612345678", locale: "fr" },
    { name: "Sanne de Vries", email: "sanne@example.nl", locale: "nl" },
  ].map((c) => ({ ...t, id: randomUUID(), ...c }));
  await db.contact.createMany({ data: contacts });
  const [billing, bug] = ["billing", "bug"].map((name) => ({ ...t, id: randomUUID(), name }));
  await db.tag.createMany({ data: [billing!, bug!] });

  const tickets = [
    { subject: "Invoice shows the wrong VAT number", status: "OPEN", priority: "HIGH", channel: "EMAIL", tags: [billing!], from: 0 },
    { subject: "Export to CSV fails with an error", status: "NEW", priority: "NORMAL", channel: "WEB", tags: [bug!], from: 1 },
    { subject: "How do I add a second mailbox?", status: "PENDING", priority: "LOW", channel: "CHAT", tags: [], from: 2 },
    { subject: "Refund for the duplicate charge", status: "SOLVED", priority: "NORMAL", channel: "EMAIL", tags: [billing!], from: 0 },
  ] as const;
  // A conversation reads in order: each message a minute after the one before, the last a minute ago.
  const minute = 60_000;
  const start = Date.now() - tickets.length * 3 * minute;
  const at = (ticket: number, message: number) => new Date(start + (ticket * 3 + message) * minute);
  const rows = tickets.map((spec, i) => ({ spec, id: randomUUID(), number: i + 1, requester: contacts[spec.from]! }));
  await db.ticket.createMany({
    data: rows.map(({ spec, id, number, requester }) => ({
      ...t,
      id,
      number,
      subject: spec.subject,
      status: spec.status,
      priority: spec.priority,
      channel: spec.channel,
      requesterId: requester.id,
      assigneeId: spec.status === "NEW" ? null : agent.id,
      solvedAt: spec.status === "SOLVED" ? new Date() : null,
      createdAt: at(number - 1, 0),
      // As the ticket service keeps it: the time of the last message the requester saw.
      lastMessageAt: at(number - 1, spec.status === "NEW" ? 0 : 2),
    })),
  });
  await db.message.createMany({
    data: rows.flatMap(({ spec, id: ticketId, requester }, i) => {
      const question = {
        ...t,
        ticketId,
        authorType: "CONTACT" as const,
        authorContactId: requester.id,
        channel: spec.channel,
        createdAt: at(i, 0),
      };
      const answers = { ...t, ticketId, authorType: "AGENT" as const, authorAgentId: agent.id, channel: spec.channel };
      return [
        { ...question, body: `Hello, ${spec.subject.toLowerCase()}. Can you help?` },
        ...(spec.status === "NEW"
          ? []
          : [
              { ...answers, internal: true, body: "Checked the account; looks like a known issue.", createdAt: at(i, 1) },
              { ...answers, body: "Thanks for reaching out, we are on it.", createdAt: at(i, 2) },
            ]),
      ];
    }),
  });
  await db.ticketTag.createMany({
    data: rows.flatMap(({ spec, id: ticketId }) => spec.tags.map((tag) => ({ ...t, ticketId, tagId: tag.id }))),
  });
  await setTicketCounter(database.prisma, tenant.id, tickets.length);

  const credentials = { tenant: "demo", email: owner.email, password, apiKey: apiKey.token };
  if (database.kind === "embedded" && !dataDir.startsWith("memory://")) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  }
  return credentials;
}
