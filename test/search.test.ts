import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eraseContact } from "../src/privacy/requests/erasure.js";
import { createTenant } from "../src/tenants/service.js";
import { searchLanguage } from "../src/search/language.js";
import { PostgresSearchBackend } from "../src/search/postgres-backend.js";
import { parseQuery } from "../src/search/query.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

/**
 * The search API end to end, on the embedded database (and on a PostgreSQL
 * server when DATABASE_URL is set): what each caller finds, how, and what
 * they never find.
 */
let app: TestApp;
let t: TestTenant;
let other: TestTenant;
const ids: Record<string, string> = {} as Record<string, string>;
let agent: { token: string; id: string };

const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } messages { edges { node { id } } } } }`;
const ADD = `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`;
const SEARCH = `query($q: String!, $f: SearchFilter, $first: Int, $after: String) {
  search(query: $q, filter: $f, first: $first, after: $after) {
    totalCount backend
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { score highlights { field snippet } result {
      __typename
      ... on Ticket { id subject requester { id } tags { name } }
      ... on Message { id body internal ticket { id } }
      ... on Contact { id name }
    } } }
  }
}`;

const raw = (globalId: string | undefined) => Buffer.from(globalId!, "base64").toString().split(":")[1]!;

async function run(q: string, token = t.ownerToken, variables: Record<string, unknown> = {}) {
  const r = await app.gql(SEARCH, { q, ...variables }, token);
  if (r.errors) throw new Error(`${q}: ${JSON.stringify(r.errors)}`);
  return r.data.search as {
    totalCount: number;
    backend: string;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: { cursor: string; node: { score: number; highlights: { field: string; snippet: string }[]; result: any } }[];
  };
}

/** The ids found, sorted, for set comparisons. */
const found = async (q: string, token?: string, variables?: Record<string, unknown>) =>
  (await run(q, token, variables)).edges.map((e) => e.node.result.id as string).sort();
const set = (...keys: string[]) => keys.map((k) => ids[k]!).sort();

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  other = await app.tenant();
  agent = await app.agent(t, "AGENT");

  const invoice = await app.gql(
    CREATE,
    {
      i: {
        subject: "Cannot download my invoices",
        body: "The download button does nothing when I click it.",
        requester: { name: "Marie Dupont", email: "marie@example.fr", phone: "+33 6 12 34 56 78" },
        priority: "HIGH",
        tags: ["billing"],
      },
    },
    t.ownerToken,
  );
  ids.invoiceTicket = invoice.data.createTicket.id;
  ids.invoiceFirst = invoice.data.createTicket.messages.edges[0].node.id;
  ids.marie = invoice.data.createTicket.requester.id;
  ids.reply = (
    await app.gql(ADD, { i: { ticketId: ids.invoiceTicket, body: "Please try the credit card page again." } }, t.ownerToken)
  ).data.addMessage.id;
  ids.note = (
    await app.gql(ADD, { i: { ticketId: ids.invoiceTicket, body: "Customer is a VIP, offer a discount.", internal: true } }, t.ownerToken)
  ).data.addMessage.id;

  const password = await app.gql(
    CREATE,
    {
      i: {
        subject: "Password reset not working",
        body: "I never received the reset email from Stonehill.",
        requester: { name: "Bob Stone", email: "bob@example.com" },
        tags: ["account"],
        assigneeId: agent.id,
      },
    },
    t.ownerToken,
  );
  ids.passwordTicket = password.data.createTicket.id;
  ids.passwordFirst = password.data.createTicket.messages.edges[0].node.id;
  ids.bob = password.data.createTicket.requester.id;

  const refund = await app.gql(
    CREATE,
    { i: { subject: "Refund for order <b>42</b> & more", body: "Please refund my paypal payment.", requesterId: ids.marie } },
    t.ownerToken,
  );
  ids.refundTicket = refund.data.createTicket.id;
  ids.refundFirst = refund.data.createTicket.messages.edges[0].node.id;

  ids.greta = (
    await app.gql(`mutation { createContact(input: { name: "Greta Garbo", email: "greta@example.se" }) { id } }`, {}, t.ownerToken)
  ).data.createContact.id;

  // Another tenant with the same words.
  await app.gql(
    CREATE,
    {
      i: {
        subject: "Invoice for the other tenant",
        body: "Password and refund",
        requester: { name: "Marie Other", email: "marie@example.fr" },
      },
    },
    other.ownerToken,
  );
});
afterAll(() => app?.close());

describe("search: the query language", () => {
  it("finds words in any form, ranks and highlights them", async () => {
    const r = await run("invoice");
    expect(r.backend).toBe("postgres");
    expect(r.totalCount).toBe(1);
    const hit = r.edges[0]!.node;
    expect(hit.result).toEqual({
      __typename: "Ticket",
      id: ids.invoiceTicket,
      subject: "Cannot download my invoices",
      requester: { id: ids.marie },
      tags: [{ name: "billing" }],
    });
    expect((await run("download button")).edges[0]!.node.result.ticket).toEqual({ id: ids.invoiceTicket });
    expect(hit.score).toBeGreaterThan(0);
    expect(hit.highlights).toEqual([{ field: "subject", snippet: "Cannot download my <mark>invoices</mark>" }]);
    // Every word must match.
    expect(await found("download button")).toEqual(set("invoiceFirst"));
    expect(await found("download invoices")).toEqual(set("invoiceTicket"));
  });

  it("matches phrases in order only", async () => {
    expect(await found(`"credit card"`)).toEqual(set("reply"));
    expect(await found(`"card credit"`)).toEqual([]);
    // Found through the index of adjacent word pairs; the phrase is still checked word by word.
    expect(await found(`"try the credit card page"`)).toEqual(set("reply"));
    expect(await found(`"try credit card"`)).toEqual([]);
    expect(await found(`"the credit cards"`)).toEqual(set("reply"));
    // Words apart (a stop word between) or a single word: no pair to look up.
    expect(await found(`"try the credit"`)).toEqual(set("reply"));
    expect(await found(`"try credit"`)).toEqual([]);
    expect(await found(`"refund"`)).toEqual(set("refundTicket", "refundFirst"));
    // Phrases on either side of OR, or with words.
    expect(await found(`"credit card" OR "paypal payment"`)).toEqual(set("reply", "refundFirst"));
    expect(await found(`"credit card" OR refund type:message`)).toEqual(set("reply", "refundFirst"));
    expect(await found(`"credit card" page`)).toEqual(set("reply"));
    expect(await found(`"credit card" -page`)).toEqual([]);
  });

  it('excludes -words and -"phrases"', async () => {
    expect(await found("refund")).toEqual(set("refundTicket", "refundFirst"));
    expect(await found("refund -paypal")).toEqual(set("refundTicket"));
    expect(await found(`refund -"paypal payment"`)).toEqual(set("refundTicket"));
  });

  it("matches either side of OR", async () => {
    expect(await found("password OR invoice type:ticket")).toEqual(set("passwordTicket", "invoiceTicket"));
    expect(await found("(download OR paypal) -button")).toEqual(set("invoiceTicket", "refundFirst"));
  });

  it("filters by status, priority and tag, on tickets and the messages on them", async () => {
    // The invoice ticket was answered publicly, so it is OPEN; the others are NEW.
    expect(await found("status:open type:ticket")).toEqual(set("invoiceTicket"));
    expect(await found("status:new type:ticket")).toEqual(set("passwordTicket", "refundTicket"));
    expect(await found("status:new,open type:ticket")).toEqual(set("invoiceTicket", "passwordTicket", "refundTicket"));
    expect(await found("priority:high")).toEqual(set("invoiceTicket", "invoiceFirst", "reply", "note"));
    expect(await found("tag:billing type:message")).toEqual(set("invoiceFirst", "reply", "note"));
    expect(await found("tag:billing tag:account")).toEqual([]);
    expect(await found("reset tag:account")).toEqual(set("passwordTicket", "passwordFirst"));
    // Filters that only tickets have leave contacts out.
    expect(await found("status:new type:contact")).toEqual([]);
  });

  it("applies a ticket's later status, priority, assignee and tag changes to its messages", async () => {
    // The messages carry copies of these fields (migration 0011_search_ticket_fields), kept by triggers.
    const x = await app.tenant();
    const helper = await app.agent(x, "AGENT");
    const created = await app.gql(
      CREATE,
      {
        i: {
          subject: "Thermostat keeps rebooting",
          body: "The thermostat reboots every night.",
          requester: { name: "Ann Heat", email: "ann@example.com" },
          tags: ["hardware"],
        },
      },
      x.ownerToken,
    );
    const ticketId = created.data.createTicket.id as string;
    const first = created.data.createTicket.messages.edges[0].node.id as string;
    const msgs = (q: string) => found(`thermostat ${q} type:message`, x.ownerToken);
    expect(await msgs("tag:hardware")).toEqual([first]);
    expect(await msgs("tag:hardware tag:firmware")).toEqual([]);
    expect(await msgs("status:new priority:normal assignee:none")).toEqual([first]);
    const UPDATE = `mutation($id: ID!, $i: UpdateTicketInput!) { updateTicket(id: $id, input: $i) { id } }`;
    const updated = await app.gql(
      UPDATE,
      { id: ticketId, i: { status: "PENDING", priority: "URGENT", tags: ["firmware"], assigneeId: helper.id } },
      x.ownerToken,
    );
    expect(updated.errors).toBeUndefined();
    expect(await msgs("tag:hardware")).toEqual([]);
    expect(await msgs("tag:firmware")).toEqual([first]);
    expect(await msgs("status:new")).toEqual([]);
    expect(await msgs("status:pending priority:urgent")).toEqual([first]);
    expect(await msgs("assignee:none")).toEqual([]);
    expect(await found("thermostat assignee:me type:message", helper.token)).toEqual([first]);
    // A message added later takes the ticket's current fields.
    const later = (await app.gql(ADD, { i: { ticketId, body: "Still a thermostat problem." } }, x.ownerToken)).data.addMessage.id as string;
    expect(await msgs("tag:firmware priority:urgent")).toEqual([first, later].sort());
    expect(await found("thermostat tag:firmware type:ticket", x.ownerToken)).toEqual([ticketId]);
    expect(await found("thermostat tag:hardware type:ticket", x.ownerToken)).toEqual([]);
  });

  it("filters by assignee: me, none or an agent's email", async () => {
    expect(await found("assignee:me type:ticket", agent.token)).toEqual(set("passwordTicket"));
    expect(await found("assignee:me type:ticket")).toEqual([]);
    expect(await found("assignee:none type:ticket")).toEqual(set("invoiceTicket", "refundTicket"));
    const email = (await app.gql(`query($id: ID!) { node(id: $id) { ... on Agent { email } } }`, { id: agent.id }, t.ownerToken)).data.node
      .email;
    expect(await found(`assignee:${email.toUpperCase()} type:ticket`)).toEqual(set("passwordTicket"));
    expect(await found(`assignee:nobody@example.com type:ticket`)).toEqual([]);
    const key = await app.apiKey(t, ["TICKETS_READ"]);
    const r = await app.gql(SEARCH, { q: "assignee:me" }, key);
    expect(codes(r)).toEqual(["VALIDATION"]);
  });

  it("filters by author or requester email (from:)", async () => {
    expect(await found("from:MARIE@example.fr")).toEqual(set("invoiceTicket", "invoiceFirst", "refundTicket", "refundFirst", "marie"));
    expect(await found("from:marie@example.fr type:message")).toEqual(set("invoiceFirst", "refundFirst"));
    expect(await found(`from:owner@${t.slug}.test type:message`)).toEqual(set("reply", "note"));
  });

  it("filters by creation date", async () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(await found(`created>=${today} type:ticket`)).toEqual(set("invoiceTicket", "passwordTicket", "refundTicket"));
    expect(await found(`created<${today} type:ticket`)).toEqual([]);
    expect(await found(`created>${today}`)).toEqual([]);
    expect(await found(`created<=${today} invoice`)).toEqual(set("invoiceTicket"));
  });

  it("filters by kind, in the query and in the API", async () => {
    expect(await found("marie type:contact")).toEqual(set("marie"));
    expect(await found("marie", undefined, { f: { types: ["CONTACT"] } })).toEqual(set("marie"));
    expect(await found("refund", undefined, { f: { types: ["MESSAGE"] } })).toEqual(set("refundFirst"));
    expect(await found("refund type:ticket", undefined, { f: { types: ["MESSAGE"] } })).toEqual([]);
  });

  it("finds contacts by name, email and phone", async () => {
    expect(await found("garbo")).toEqual(set("greta"));
    const r = await run("greta@example.se");
    expect(r.edges.map((e) => e.node.highlights)).toEqual([[{ field: "email", snippet: "<mark>greta@example.se</mark>" }]]);
    expect(await found("+33612345678")).toEqual(set("marie"));
  });

  it("pages with opaque cursors and a total", async () => {
    const all = await run("type:message", t.ownerToken, { first: 50 });
    expect(all.totalCount).toBe(5);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page = await run("type:message", t.ownerToken, { first: 2, after });
      expect(page.totalCount).toBe(5);
      expect(page.edges.length).toBeLessThanOrEqual(2);
      expect(page.pageInfo.hasPreviousPage).toBe(pages > 0);
      seen.push(...page.edges.map((e) => e.node.result.id));
      pages++;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all.edges.map((e) => e.node.result.id));
    expect(new Set(seen).size).toBe(5);
    // Newest first when nothing ranks.
    expect(all.edges[0]!.node.result.id).toBe(ids.refundFirst);
    expect(Buffer.from(all.edges[0]!.cursor, "base64").toString()).not.toContain(ids.refundFirst);
    expect(codes(await app.gql(SEARCH, { q: "refund", after: "bm90IGEgY3Vyc29y" }, t.ownerToken))).toEqual(["VALIDATION"]);
    // Pages hold at most 100 (larger pages are cut, within the complexity limit).
    const big = await app.gql(`{ search(query: "type:message", first: 500) { edges { cursor } } }`, {}, t.ownerToken);
    expect(big.data.search.edges).toHaveLength(5);
    expect(await run("type:message", t.ownerToken, { first: 0 })).toMatchObject({ totalCount: 5, edges: [] });
  });

  it("ranks up to a limit of matches, lists more newest first, and counts up to a limit", async () => {
    const request = (q: string, offset = 0, limit = 20) => {
      const parsed = parseQuery(q);
      return {
        query: { text: parsed.text, filters: parsed.filters },
        language: "english",
        offset,
        limit,
      };
    };
    const scope = { tenantId: t.id, kinds: ["TICKET", "MESSAGE", "CONTACT"] as ("TICKET" | "MESSAGE" | "CONTACT")[], notes: true };
    // Within the limits: ranked, exact total.
    const ranked = await new PostgresSearchBackend(app.database.forTenant(t.id)).search({
      ...request("password OR reset OR refund"),
      scope,
    });
    expect(ranked.totalIsLowerBound).toBe(false);
    expect(ranked.hits[0]!.score).toBeGreaterThanOrEqual(ranked.hits.at(-1)!.score);
    // Over the rank limit: newest first, every match reachable page by page.
    const small = new PostgresSearchBackend(app.database.forTenant(t.id), { rankLimit: 2, countLimit: 4 });
    const page = (offset: number, limit: number) => small.search({ ...request("type:message", offset, limit), scope });
    const first = await page(0, 3);
    expect(first.total).toBe(4);
    expect(first.totalIsLowerBound).toBe(true);
    expect(first.hits.map((h) => h.id)).toEqual([ids.refundFirst, ids.passwordFirst, ids.note].map((x) => raw(x)));
    // The count stopped at 4; paging goes on to the fifth.
    expect((await page(3, 3)).hits.map((h) => h.id)).toEqual([raw(ids.reply), raw(ids.invoiceFirst)]);
    const words = await small.search({ ...request("refund OR password OR invoices OR reset", 0, 4), scope });
    expect(words.total).toBe(4);
    expect(words.totalIsLowerBound).toBe(true);
    // A ticket and its first message share a creation time: compare the newest four as a set.
    expect(words.hits.map((h) => h.id).sort()).toEqual(
      [ids.refundTicket, ids.refundFirst, ids.passwordTicket, ids.passwordFirst].map((x) => raw(x)).sort(),
    );
    expect(words.hits.find((h) => h.id === raw(ids.refundTicket))!.highlights).toEqual([
      { field: "subject", snippet: expect.stringContaining("<mark>Refund</mark>") },
    ]);
    expect((await small.search({ ...request("refund OR password OR invoices OR reset", 4, 4), scope })).hits.map((h) => h.id)).toEqual([
      raw(ids.invoiceTicket),
    ]);
    // A kind with more matches than the count limit is read newest first, window by window.
    const tiny = new PostgresSearchBackend(app.database.forTenant(t.id), { rankLimit: 1, countLimit: 1 });
    const walked = await tiny.search({ ...request("refund OR reset OR credit type:message", 0, 2), scope });
    expect(walked).toMatchObject({ total: 1, totalIsLowerBound: true });
    expect(walked.hits.map((h) => h.id)).toEqual([raw(ids.refundFirst), raw(ids.passwordFirst)]);
    expect(walked.hits[0]!.highlights).toEqual([{ field: "body", snippet: "Please <mark>refund</mark> my paypal payment" }]);
    expect((await tiny.search({ ...request("refund OR reset OR credit type:message", 2, 2), scope })).hits.map((h) => h.id)).toEqual([
      raw(ids.reply),
    ]);
    // A phrase over the count limit: all its matches, read from the pairs index, newest first.
    const phrases = await tiny.search({ ...request(`"paypal payment" OR "credit card" OR "reset email" type:message`, 0, 2), scope });
    expect(phrases).toMatchObject({ total: 1, totalIsLowerBound: true });
    expect(phrases.hits.map((h) => h.id)).toEqual([raw(ids.refundFirst), raw(ids.passwordFirst)]);
    expect(
      (await tiny.search({ ...request(`"paypal payment" OR "credit card" OR "reset email" type:message`, 2, 2), scope })).hits.map(
        (h) => h.id,
      ),
    ).toEqual([raw(ids.reply)]);
  });

  it("escapes the text of snippets so only <mark> is markup", async () => {
    const r = await run("order");
    const snippet = r.edges[0]!.node.highlights[0]!.snippet;
    expect(snippet).toBe("Refund for <mark>order</mark> &lt;b&gt;42&lt;/b&gt; &amp; more");
    expect(snippet.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
  });

  it("finds a word despite a typo", async () => {
    expect(await found("pasword type:ticket")).toEqual(set("passwordTicket"));
    expect(await found("invocie")).toEqual(set("invoiceTicket"));
    expect(await found("discont")).toEqual(set("note"));
    // A word the texts contain is not widened to others.
    expect(await found("download type:ticket")).toEqual(set("invoiceTicket"));
    expect(await found("zzzzqx")).toEqual([]);
  });

  it("answers unreadable queries with VALIDATION, never a 500", async () => {
    for (const q of [
      `"unbalanced`,
      `foo:bar`,
      `created>2026-13-01`,
      `status:bogus`,
      ``,
      `invoice OR`,
      "x".repeat(501),
      Array(40).fill("w").join(" "),
    ]) {
      const r = await app.gql(SEARCH, { q }, t.ownerToken);
      expect(r.status, q).toBe(200);
      expect(codes(r), q).toEqual(["VALIDATION"]);
      expect(r.errors![0]!.extensions!.fields[0].path, q).toEqual(["query"]);
      expect(r.data, q).toBeNull();
    }
    const r = await app.gql(SEARCH, { q: `refund "credit` }, t.ownerToken);
    expect(r.errors![0]!.extensions!.position).toBe(7);
    expect(r.errors![0]!.message).toMatch(/quote/);
  });
});

describe("search: permissions", () => {
  it("never matches an internal note for a caller who cannot read notes", async () => {
    expect(await found("VIP")).toEqual(set("note"));
    const key = await app.apiKey(t, ["TICKETS_READ"]);
    const r = await run("VIP", key);
    expect(r.totalCount).toBe(0);
    expect(await found("discount OR credit", key)).toEqual(set("reply"));
    const withNotes = await app.apiKey(t, ["TICKETS_READ", "NOTES_READ"]);
    expect(await found("VIP", withNotes)).toEqual(set("note"));
  });

  it("finds contacts only with contacts:read, and tickets only with tickets:read", async () => {
    const tickets = await app.apiKey(t, ["TICKETS_READ"]);
    expect(await found("garbo OR marie", tickets)).toEqual([]);
    const contacts = await app.apiKey(t, ["CONTACTS_READ"]);
    expect(await found("garbo OR marie OR invoice OR refund", contacts)).toEqual(set("greta", "marie"));
    const nothing = await app.apiKey(t, ["AGENTS_READ"]);
    expect(codes(await app.gql(SEARCH, { q: "invoice" }, nothing))).toEqual(["FORBIDDEN"]);
    expect(codes(await app.gql(SEARCH, { q: "invoice" }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("lets a contact on the portal find only their own tickets and public replies", async () => {
    const issued = await app.gql(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: ids.marie }, t.ownerToken);
    const token = issued.data.issuePortalToken.token;
    expect(await found("refund OR credit OR VIP OR password OR marie OR bob", token)).toEqual(set("refundTicket", "refundFirst", "reply"));
    expect(await found("type:contact", token)).toEqual([]);
    expect((await run("VIP OR discount", token)).totalCount).toBe(0);
    expect((await run("password", token)).totalCount).toBe(0);
  });

  it("never finds another tenant's data", async () => {
    expect(await found("invoice OR password OR refund", other.ownerToken)).toHaveLength(2);
    // Counted in SQL, not only filtered when loading: the total is the other tenant's own.
    expect((await run("invoice OR password OR refund OR marie OR greta OR stone", other.ownerToken)).totalCount).toBe(3);
    const mine = new Set(Object.values(ids));
    const theirs = [
      ...(await found("invoice OR password OR refund OR marie", other.ownerToken)),
      ...(await found("type:contact", other.ownerToken)),
    ];
    expect(theirs).toHaveLength(4);
    expect(theirs.filter((id) => mine.has(id))).toEqual([]);
    expect(await found("garbo OR stone OR VIP", other.ownerToken)).toEqual([]);
  });

  it("records snippets of personal data in the audit log", async () => {
    await run("garbo");
    const log = await app.gql(
      `query($s: ID!) { auditLog(first: 5, filter: { subjectId: $s, action: "personalData.read" }) { edges { node { categories } } } }`,
      { s: ids.greta },
      t.ownerToken,
    );
    expect(log.data.auditLog.edges[0].node.categories).toEqual(expect.arrayContaining(["user.name"]));
  });
});

describe("search: privacy", () => {
  it("still finds a restricted contact's data: it stays in this database and is not processed elsewhere", async () => {
    await app.gql(`mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "disputed") { id } }`, { c: ids.greta }, t.ownerToken);
    expect(await found("garbo")).toEqual(set("greta"));
    await app.gql(`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: ids.greta }, t.ownerToken);
  });

  it("forgets erased text in every index, vocabulary included", async () => {
    const words = async () =>
      (
        await app.database.prisma.$queryRawUnsafe<{ word: string }[]>(`SELECT "word" FROM "SearchWord" WHERE "tenantId" = $1::uuid`, t.id)
      ).map((w) => w.word);
    expect(await found("stone")).toEqual(set("bob"));
    expect(await found("received")).toEqual(set("passwordFirst"));
    expect(await words()).toEqual(expect.arrayContaining(["stone", "received", "stonehill"]));

    const receipt = await eraseContact(app.database, t.id, raw(ids.bob));
    expect(receipt.verification.leftovers).toBe(0);

    expect(await found("stone")).toEqual([]);
    expect(await found("bob@example.com")).toEqual([]);
    expect(await found("received")).toEqual([]);
    // Not even a typo finds it: the vocabulary lost the words only Bob's texts had.
    expect(await found("ston")).toEqual([]);
    expect(await words()).not.toEqual(expect.arrayContaining(["stone"]));
    expect(await words()).not.toContain("received");
    expect(await words()).not.toContain("stonehill");
    // Words others still use stay.
    expect(await words()).toEqual(expect.arrayContaining(["password", "reset"]));
    expect(await found("password type:ticket")).toEqual(set("passwordTicket"));
    const scan = await app.gql(`{ personalDataScan(email: "bob@example.com", name: "Bob Stone") { total } }`, {}, t.ownerToken);
    expect(scan.errors).toBeUndefined();
    expect(scan.data.personalDataScan.total).toBe(0);
  });
});

describe("search: languages", () => {
  /** A tenant in a locale with one ticket; returns a searcher. */
  async function tenantIn(locale: string, subject: string, body: string) {
    const slug = `lang-${locale}-${Date.now().toString(36)}`;
    const password = "correct horse battery staple";
    await createTenant(app.database, { name: slug, slug, defaultLocale: locale, owner: { email: `o@${slug}.test`, name: "O", password } });
    const token = await app.signIn(slug, `o@${slug}.test`, password);
    await app.gql(CREATE, { i: { subject, body, requester: { name: "Kim", email: `kim@${slug}.test` } } }, token);
    return (q: string) => found(`${q} type:ticket`, token);
  }

  it.each([
    ["fr", "Facture impayée", "factures", "la"],
    ["de", "Rechnung fehlt", "Rechnungen", "und"],
    ["sv", "Betalningen saknas", "betalningar", "och"],
    ["nl", "Betaling mislukt", "betalingen", "het"],
    ["en", "Invoices missing", "invoice", "the"],
  ])("stems and drops stop words in %s", async (locale, subject, variant, stopWord) => {
    const search = await tenantIn(locale, `${subject} ${stopWord}`, "x");
    expect(await search(variant)).toHaveLength(1);
    expect(await search(stopWord)).toHaveLength(0);
    expect(await search(`${stopWord} ${variant}`)).toHaveLength(1);
  });

  it("rebuilds a tenant's vectors when its locale changes", async () => {
    await tenantIn("it", "Factures impayées", "x");
    const tenant = await app.database.prisma.tenant.findFirstOrThrow({ where: { slug: { startsWith: "lang-it-" } } });
    const vector = async () =>
      (
        await app.database.prisma.$queryRawUnsafe<{ v: string }[]>(
          `SELECT "searchVector"::text AS v FROM "Ticket" WHERE "tenantId" = $1::uuid`,
          tenant.id,
        )
      )[0]!.v;
    expect(await vector()).toBe("'factures':1A 'impayées':2A");
    await app.database.prisma.tenant.update({ where: { id: tenant.id }, data: { defaultLocale: "fr" } });
    expect(await vector()).toBe("'factur':1A 'impai':2A");
  });

  it("uses the same configuration in SQL as in the service", async () => {
    for (const locale of ["en", "en-GB", "fr", "fr_CA", "DE", "sv-SE", "nl", "it", "", "pt-BR"]) {
      const [row] = await app.database.prisma.$queryRawUnsafe<{ cfg: string }[]>(`SELECT deskgraph_search_config($1)::text AS cfg`, locale);
      expect(row!.cfg, locale).toBe(searchLanguage(locale));
    }
  });
});
