import { randomBytes } from "node:crypto";
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

  const agent = await db.agent.create({ data: { ...t, email: "alex@demo.test", name: "Alex Agent", role: "AGENT" } });
  await db.apiKey.create({
    data: { ...t, name: "Demo integration", scopes: API_KEY_SCOPES, prefix: apiKey.token.slice(0, 12), secretHash: apiKey.hash, createdById: owner.id },
  });
  const acme = await db.organization.create({ data: { ...t, name: "Acme GmbH", domain: "acme.example" } });
  const contacts = await Promise.all(
    [
      { name: "Jonas Weber", email: "jonas@acme.example", phone: "+4930901820", locale: "de", organizationId: acme.id },
      { name: "Camille Martin", email: "camille@example.fr", phone: "+33612345678", locale: "fr" },
      { name: "Sanne de Vries", email: "sanne@example.nl", locale: "nl" },
    ].map((c) => db.contact.create({ data: { ...t, ...c } })),
  );
  const [billing, bug] = await Promise.all(["billing", "bug"].map((name) => db.tag.create({ data: { ...t, name } })));

  const tickets = [
    { subject: "Invoice shows the wrong VAT number", status: "OPEN", priority: "HIGH", channel: "EMAIL", tags: [billing!], from: 0 },
    { subject: "Export to CSV fails with an error", status: "NEW", priority: "NORMAL", channel: "WEB", tags: [bug!], from: 1 },
    { subject: "How do I add a second mailbox?", status: "PENDING", priority: "LOW", channel: "CHAT", tags: [], from: 2 },
    { subject: "Refund for the duplicate charge", status: "SOLVED", priority: "NORMAL", channel: "EMAIL", tags: [billing!], from: 0 },
  ] as const;
  for (const [i, spec] of tickets.entries()) {
    const requester = contacts[spec.from]!;
    const ticket = await db.ticket.create({
      data: {
        ...t,
        number: i + 1,
        subject: spec.subject,
        status: spec.status,
        priority: spec.priority,
        channel: spec.channel,
        requesterId: requester.id,
        assigneeId: spec.status === "NEW" ? null : agent.id,
        solvedAt: spec.status === "SOLVED" ? new Date() : null,
      },
    });
    await db.message.create({
      data: { ...t, ticketId: ticket.id, authorType: "CONTACT", authorContactId: requester.id, body: `Hello, ${spec.subject.toLowerCase()}. Can you help?`, channel: spec.channel },
    });
    if (spec.status !== "NEW") {
      await db.message.create({
        data: { ...t, ticketId: ticket.id, authorType: "AGENT", authorAgentId: agent.id, internal: true, body: "Checked the account; looks like a known issue.", channel: spec.channel },
      });
      await db.message.create({
        data: { ...t, ticketId: ticket.id, authorType: "AGENT", authorAgentId: agent.id, body: "Thanks for reaching out, we are on it.", channel: spec.channel },
      });
    }
    if (spec.tags.length) await db.ticketTag.createMany({ data: spec.tags.map((tag) => ({ ...t, ticketId: ticket.id, tagId: tag.id })) });
  }
  await setTicketCounter(database.prisma, tenant.id, tickets.length);

  const credentials = { tenant: "demo", email: owner.email, password, apiKey: apiKey.token };
  if (database.kind === "embedded" && !dataDir.startsWith("memory://")) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });
  }
  return credentials;
}
