// Fills one tenant with a helpdesk's worth of data for the benchmark: direct
// Prisma writes (createMany in batches), no GraphQL, so seeding takes seconds.
import { randomBytes, randomUUID } from "node:crypto";
import { API_KEY_SCOPES } from "../../src/auth/permissions.js";
import { newToken } from "../../src/auth/tokens.js";
import { openDatabase, type Database } from "../../src/db/database.js";
import type { AgentRole, AuthorType, Channel, TicketPriority, TicketStatus } from "../../src/generated/prisma/enums.js";
import { createTenant } from "../../src/tenants/service.js";
import { setTicketCounter } from "../../src/tickets/counter.js";

export interface SeedSize {
  tickets: number;
  contacts: number;
  agents: number;
  tags: number;
  /**
   * Every ticket assigned and carrying exactly this many tags, so that each row
   * of a page joins the same relations (bench:compare). Without it, a realistic
   * mix: most new tickets unassigned, 0-3 tags.
   */
  tagsOnEveryTicket?: number;
}

export interface Seeded {
  tenantId: string;
  /** An API key holding every scope a key can have. */
  apiKey: string;
  /** A session token of an agent with the AGENT role, as signIn would hand out. */
  agentSession: string;
  tickets: number;
  messages: number;
  ms: number;
}

const BATCH = 500;
const DAY = 86_400_000;

const FIRST = [
  "Jonas",
  "Camille",
  "Sanne",
  "Lukas",
  "Marie",
  "Matteo",
  "Sofia",
  "Noah",
  "Emma",
  "Elias",
  "Lea",
  "Hugo",
  "Mila",
  "Finn",
  "Ines",
  "Oskar",
];
const LAST = ["Weber", "Martin", "de Vries", "Rossi", "Novak", "García", "Nielsen", "Kowalski", "Dubois", "Schmidt", "Jansen", "Costa"];
const SUBJECTS = [
  "Invoice shows the wrong VAT number",
  "Export to CSV fails with an error",
  "How do I add a second mailbox?",
  "Refund for the duplicate charge",
  "Password reset email never arrives",
  "Cannot upload attachments larger than 10 MB",
  "Please delete my account and data",
  "Webhook deliveries are delayed",
  "Change the billing address on our plan",
  "Two-factor codes are rejected",
  "Search does not find older tickets",
  "Request for a data processing agreement",
];
const BODIES = [
  "Hello, since this morning we see this problem on every attempt. Could you have a look?",
  "We tried again after clearing the cache, same result. Screenshots are attached.",
  "Thanks for the quick answer, that solved it for us.",
  "Checked the account; looks like a known issue with the last release.",
  "Could you tell us when a fix will be available? Our team depends on this.",
  "I have forwarded this to the billing team, they will get back to you within a day.",
];
const TAGS = [
  "billing",
  "bug",
  "feature-request",
  "gdpr",
  "onboarding",
  "urgent",
  "vip",
  "login",
  "export",
  "api",
  "mobile",
  "invoice",
  "refund",
  "webhooks",
  "search",
];

/** Deterministic pseudo-random numbers, so each backend gets the same data set. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  /** Picks by weight: [[value, weight], …]. */
  const weighted = <T>(xs: readonly (readonly [T, number])[]) => {
    let r = next() * xs.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of xs) if ((r -= w) < 0) return v;
    return xs[xs.length - 1]![0];
  };
  return { next, int, pick, weighted };
}

async function inBatches<T>(rows: T[], write: (batch: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += BATCH) await write(rows.slice(i, i + BATCH));
}

/** A ticket's tags: exactly `count` distinct ones when given, else 0-3 by weight. */
function pickTags<T>(rnd: ReturnType<typeof prng>, tags: T[], count?: number): Set<T> {
  if (!tags.length) return new Set();
  if (count !== undefined) {
    const first = rnd.int(tags.length);
    return new Set(Array.from({ length: Math.min(count, tags.length) }, (_, i) => tags[(first + i) % tags.length]!));
  }
  const n = rnd.weighted([
    [0, 30],
    [1, 40],
    [2, 20],
    [3, 10],
  ]);
  return new Set(Array.from({ length: n }, () => rnd.pick(tags)));
}

export async function seedBenchTenant(database: Database, size: SeedSize): Promise<Seeded> {
  const started = Date.now();
  const rnd = prng(42);
  const slug = `bench-${randomBytes(4).toString("hex")}`;
  const { tenant, owner } = await createTenant(database, {
    name: "Bench Support",
    slug,
    owner: { email: `owner@${slug}.test`, name: "Olivia Owner", password: randomBytes(12).toString("base64url") },
  });
  const tenantId = tenant.id;
  const db = database.forTenant(tenantId);
  const now = Date.now();

  const key = newToken("dgk");
  await db.apiKey.create({
    data: { tenantId, name: "Bench", scopes: API_KEY_SCOPES, prefix: key.token.slice(0, 12), secretHash: key.hash, createdById: owner.id },
  });

  const agents = Array.from({ length: size.agents }, (_, i) => ({
    id: randomUUID(),
    tenantId,
    email: `agent${i + 1}@${slug}.test`,
    name: `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`,
    role: (i === 0 ? "ADMIN" : "AGENT") as AgentRole,
  }));
  await db.agent.createMany({ data: agents });
  const agentIds = [owner.id, ...agents.map((a) => a.id)];

  // A session row is all that signIn adds; creating it directly skips the password hash.
  const session = newToken("dgs");
  const agentId = agents.find((a) => a.role === "AGENT")?.id ?? owner.id;
  await db.session.create({ data: { tenantId, agentId, tokenHash: session.hash, expiresAt: new Date(now + DAY) } });

  const organizations = Array.from({ length: Math.max(1, Math.floor(size.contacts / 15)) }, (_, i) => ({
    id: randomUUID(),
    tenantId,
    name: `Customer ${i + 1} GmbH`,
    domain: `customer${i + 1}.example`,
  }));
  await db.organization.createMany({ data: organizations });

  const contacts = Array.from({ length: size.contacts }, (_, i) => {
    const org = rnd.next() < 0.6 ? rnd.pick(organizations) : undefined;
    const first = rnd.pick(FIRST);
    return {
      id: randomUUID(),
      tenantId,
      name: `${first} ${rnd.pick(LAST)}`,
      email: `${first.toLowerCase()}.${i + 1}@${org?.domain ?? "mail.example"}`,
      phone: rnd.next() < 0.3 ? `+4930${String(1_000_000 + i)}` : null,
      locale: rnd.pick(["en", "de", "fr", "nl", "it"]),
      organizationId: org?.id ?? null,
      createdAt: new Date(now - rnd.int(365) * DAY),
    };
  });
  await inBatches(contacts, (data) => db.contact.createMany({ data }));

  const tags = TAGS.slice(0, size.tags).map((name) => ({ id: randomUUID(), tenantId, name }));
  if (tags.length) await db.tag.createMany({ data: tags });

  const tickets = [];
  const messages = [];
  const ticketTags = [];
  for (let n = 1; n <= size.tickets; n++) {
    const id = randomUUID();
    const requester = rnd.pick(contacts);
    const status = rnd.weighted<TicketStatus>([
      ["NEW", 10],
      ["OPEN", 25],
      ["PENDING", 15],
      ["SOLVED", 30],
      ["CLOSED", 20],
    ]);
    const channel = rnd.weighted<Channel>([
      ["EMAIL", 50],
      ["WEB", 25],
      ["CHAT", 15],
      ["API", 5],
      ["PHONE", 3],
      ["SMS", 2],
    ]);
    const uniform = size.tagsOnEveryTicket !== undefined;
    const assigneeId = !uniform && status === "NEW" && rnd.next() < 0.8 ? null : rnd.pick(agentIds);
    const createdAt = now - rnd.int(180 * DAY);
    let at = createdAt;
    let lastAt = new Date(createdAt);
    const count = status === "NEW" ? 1 : 1 + rnd.int(4);
    for (let m = 0; m < count; m++) {
      const fromAgent = m % 2 === 1;
      const author: { authorType: AuthorType; authorAgentId?: string; authorContactId?: string } = fromAgent
        ? { authorType: "AGENT", authorAgentId: assigneeId ?? rnd.pick(agentIds) }
        : { authorType: "CONTACT", authorContactId: requester.id };
      messages.push({
        id: randomUUID(),
        tenantId,
        ticketId: id,
        ...author,
        internal: fromAgent && rnd.next() < 0.25,
        body: rnd.pick(BODIES),
        channel,
        createdAt: (lastAt = new Date(Math.min(at, now))),
      });
      at += rnd.int(DAY);
    }
    tickets.push({
      id,
      tenantId,
      number: n,
      subject: rnd.pick(SUBJECTS),
      status,
      priority: rnd.weighted<TicketPriority>([
        ["LOW", 20],
        ["NORMAL", 60],
        ["HIGH", 15],
        ["URGENT", 5],
      ]),
      channel,
      requesterId: requester.id,
      assigneeId,
      createdAt: new Date(createdAt),
      updatedAt: lastAt,
      lastMessageAt: lastAt,
      solvedAt: status === "SOLVED" || status === "CLOSED" ? lastAt : null,
    });
    for (const tag of pickTags(rnd, tags, size.tagsOnEveryTicket)) ticketTags.push({ tenantId, ticketId: id, tagId: tag.id });
  }
  await inBatches(tickets, (data) => db.ticket.createMany({ data }));
  await inBatches(messages, (data) => db.message.createMany({ data }));
  await inBatches(ticketTags, (data) => db.ticketTag.createMany({ data }));
  await setTicketCounter(database.prisma, tenantId, size.tickets);
  // Planner statistics as a running database has them (autovacuum on a server, src/db/statistics.ts embedded),
  // not the empty ones of tables filled a moment ago.
  await database.prisma.$executeRawUnsafe("ANALYZE");

  return {
    tenantId,
    apiKey: key.token,
    agentSession: session.token,
    tickets: tickets.length,
    messages: messages.length,
    ms: Date.now() - started,
  };
}

/** Brings a server database up to date and seeds one more tenant there, over a connection of its own. */
export async function seedOnServer(databaseUrl: string, size: SeedSize): Promise<Seeded> {
  const database = await openDatabase({ databaseUrl, dataDir: "memory://" });
  try {
    await database.migrate();
    return await seedBenchTenant(database, size);
  } finally {
    await database.close();
  }
}
