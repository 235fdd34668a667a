import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginRegistry } from "../../../src/plugin-host/registry.js";
import type { SearchRequest, SearchTerm } from "../../../src/search/contract.js";
import { startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { startMockCluster, type MockCluster } from "./es-mock-cluster.js";
import { elasticsearchPlugin } from "../index.js";
import { analyzerFor, indexBody } from "../mappings.js";
import type { OutboxWorker } from "../outbox.js";
import { progressLine, reindexTenant } from "../reindex.js";
import { clientFactory, failureCode } from "../client.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { OutboundGuard, outboundGuard } from "../../../src/outbound/guard.js";
import { parseAllowList } from "../../../src/outbound/allow-list.js";
import { runReindexCommand } from "../cli.js";
import { pdfWith } from "../../../test/support/documents.js";

const ALLOW = "127.0.0.0/8";
let app: TestApp;
let cluster: MockCluster;
let worker: OutboxWorker;
const plugin = () =>
  elasticsearchPlugin({
    Connection: cluster.Connection,
    // The tests drive the worker; retries are due at once.
    pollMs: 3_600_000,
    retryBaseMs: 1,
    retryCapMs: 1,
    onWorker: (w) => (worker = w),
  });

beforeAll(async () => {
  cluster = startMockCluster();
  // The mock cluster answers in-process; the cluster URLs are loopback, which the operator allows here.
  app = await startApp({ OUTBOUND_ALLOW_PRIVATE: ALLOW }, { plugins: [plugin()] });
});
afterAll(async () => {
  await app?.close();
});

const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;
const NODE = "https://127.0.0.1:9200";

/** Lets the worker send everything due, and finish a build it started. */
async function drain() {
  await worker.idle();
  await worker.kick();
  await worker.idle();
}

async function enable(t: TestTenant, extra: { key: string; value: string }[] = []) {
  const s = [{ key: "node", value: NODE }, { key: "apiKey", value: "a2V5OnNlY3JldA==" }, ...extra];
  const configured = await app.gql(
    `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "elasticsearch", settings: $s) { id } }`,
    { s },
    t.ownerToken,
  );
  expect(configured.errors).toBeUndefined();
  const enabled = await app.gql(`mutation { enablePlugin(id: "elasticsearch") { enabled } }`, {}, t.ownerToken);
  expect(enabled.errors).toBeUndefined();
}

async function ticket(
  t: TestTenant,
  subject: string,
  body: string,
  requester = { name: "Rhea Requester", email: `rhea-${Math.random().toString(36).slice(2, 8)}@example.com` },
) {
  const r = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } messages { edges { node { id } } } } }`,
    { i: { subject, body, requester } },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return {
    id: rawId(r.data.createTicket.id),
    gid: r.data.createTicket.id as string,
    contactId: rawId(r.data.createTicket.requester.id),
    contactGid: r.data.createTicket.requester.id as string,
    email: requester.email,
  };
}

async function say(t: TestTenant, ticketGid: string, body: string, internal = false) {
  const r = await app.gql(
    `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
    { i: { ticketId: ticketGid, body, internal } },
    t.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return rawId(r.data.addMessage.id);
}

const runtime = async (t: TestTenant) => (await worker.runtimeFor(t.id))!;
const backend = async (t: TestTenant) => {
  const rt = await worker.runtimeFor(t.id);
  return rt ? plugin().provides!.searchBackend!(rt) : null;
};
const alias = (t: TestTenant) => `deskgraph-${t.id}`;
const word = (text: string, negated = false): SearchTerm => ({ kind: "WORD", text, negated });
const phrase = (text: string, negated = false): SearchTerm => ({ kind: "PHRASE", text, negated });
const request = (
  t: TestTenant,
  text: SearchTerm[][],
  scope: Partial<SearchRequest["scope"]> = {},
  filters: SearchRequest["query"]["filters"] = {},
): SearchRequest => ({
  query: { text, filters },
  scope: { tenantId: t.id, kinds: ["TICKET", "MESSAGE", "CONTACT"], notes: true, ...scope },
  language: "english",
  offset: 0,
  limit: 20,
});
const lastSearch = () => cluster.requests.filter((r) => r.path.endsWith("/_search")).at(-1)!;
const outboxRows = (t: TestTenant) => app.database.prisma.searchIndexOutbox.findMany({ where: { tenantId: t.id }, orderBy: { id: "asc" } });
const bulkOps = (since: number) =>
  cluster.requests
    .slice(since)
    .filter((r) => r.path === "/_bulk")
    .flatMap((r) => r.body as any[]);

describe("the cluster URL", () => {
  it("is reached only through the outbound guard: a loopback cluster is refused when connecting, by number or name, until the operator allows it", async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res
        .writeHead(200, { "content-type": "application/json", "x-elastic-product": "Elasticsearch" })
        .end(JSON.stringify({ name: "n", cluster_name: "c", version: { number: "8.19.0" }, tagline: "You Know, for Search" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      // The client's own HTTP connection, as in production: no mock.
      const clientFor = clientFactory();
      const strict = new OutboundGuard();
      await expect(clientFor({ node: `http://127.0.0.1:${port}`, apiKey: "k" }, strict)).rejects.toThrow(
        /127\.0\.0\.1 is a loopback address: not allowed for outbound calls/,
      );
      const byName = await (await clientFor({ node: `http://localhost:${port}`, apiKey: "k" }, strict)).info().catch((e: unknown) => e);
      expect(failureCode(byName)).toBe("ADDRESS_NOT_ALLOWED");
      expect(requests).toBe(0);
      const info = await (
        await clientFor({ node: `http://127.0.0.1:${port}`, apiKey: "k" }, new OutboundGuard(parseAllowList("127.0.0.1/32")))
      ).info();
      expect(info.cluster_name).toBe("c");
      expect(requests).toBe(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("manifest", () => {
  it("takes the processing location from ELASTICSEARCH_REGION: EEA inside it, SCC outside", () => {
    // As the server loads it: options parsed from the environment, the manifest built from them and validated.
    const loaded = (env: Record<string, string>) => new PluginRegistry([plugin()], env).get("elasticsearch")!.manifest;
    const de = loaded({});
    expect(de).toMatchObject({ processingLocations: ["DE"], transferMechanism: "EEA", retention: { kind: "AS_SOURCE" }, storesData: true });
    expect(de.purposes).toEqual([{ purpose: "support", legalBasis: "CONTRACT" }]);
    expect(loaded({ ELASTICSEARCH_REGION: "US" })).toMatchObject({
      processingLocations: ["US"],
      transferMechanism: "SCC",
      vendor: { country: "US" },
    });
    expect(() => loaded({ ELASTICSEARCH_REGION: "Germany" })).toThrow(/ELASTICSEARCH_REGION: must be an ISO 3166-1/);
    expect(() => loaded({ ELASTICSEARCH_OUTBOX_POLL_MS: "soon" })).toThrow(/ELASTICSEARCH_OUTBOX_POLL_MS: /);
  });
});

describe("mappings", () => {
  it("analyse text with the tenant's language, keep ids as keywords, and require routing", () => {
    expect(["en", "fr-CA", "de", "sv", "nl", "german", "pt", null].map(analyzerFor)).toEqual([
      "english",
      "french",
      "german",
      "swedish",
      "dutch",
      "german",
      "standard",
      "standard",
    ]);
    const body = indexBody("fr");
    expect(body.settings.analysis!.analyzer!.dg_text).toEqual({ type: "french" });
    expect(body.mappings).toMatchObject({
      dynamic: "strict",
      _routing: { required: true },
      properties: {
        tenantId: { type: "keyword" },
        internal: { type: "boolean" },
        createdAt: { type: "date" },
        subject: { type: "text", analyzer: "dg_text" },
        body: { type: "text", analyzer: "dg_text" },
        attachments: { type: "text", analyzer: "dg_text" },
      },
    });
  });
});

describe("switching a tenant to Elasticsearch", () => {
  let t: TestTenant;
  let first: Awaited<ReturnType<typeof ticket>>;
  let noteId: string;

  beforeAll(async () => {
    t = await app.tenant();
    await app.database.prisma.tenant.update({ where: { id: t.id }, data: { defaultLocale: "de" } });
    first = await ticket(t, "Drucker druckt nicht", "Der Drucker im zweiten Stock zeigt Papierstau");
    noteId = await say(t, first.gid, "Interne Notiz: Techniker bestellt", true);
  });

  it("queues nothing for a tenant without the plugin", async () => {
    expect(await outboxRows(t)).toEqual([]);
  });

  it("keeps PostgreSQL serving (no backend) until the first full index is built, then switches", async () => {
    const since = cluster.requests.length;
    await enable(t);
    expect(await backend(t)).toBeNull();
    await drain();
    const created = cluster.requests.slice(since).find((r) => r.method === "PUT");
    expect(created?.path).toMatch(new RegExp(`^/deskgraph-${t.id}-v\\d+$`));
    // The tenant's locale (de) decides the analyzer.
    expect(created!.body.settings.analysis.analyzer.dg_text).toEqual({ type: "german" });
    expect(created!.body.mappings._routing).toEqual({ required: true });
    const swap = cluster.requests.slice(since).find((r) => r.path === "/_aliases");
    expect(swap!.body.actions).toEqual([{ add: { index: created!.path.slice(1), alias: alias(t), is_write_index: true } }]);
    expect(
      cluster
        .docs(alias(t))
        .map((d) => d.kind)
        .sort(),
    ).toEqual(["CONTACT", "MESSAGE", "MESSAGE", "TICKET"]);
    // Every write routes by tenant.
    expect(
      bulkOps(since)
        .filter((op) => op.index)
        .every((op) => op.index.routing === t.id && op.index.version_type === "external"),
    ).toBe(true);
    const b = await backend(t);
    expect(b?.name).toBe("elasticsearch");
  });

  it("translates the parsed query: AND of groups, OR within one, phrases, exclusions, filters", async () => {
    const b = (await backend(t))!;
    await b.search(
      request(
        t,
        [[word("drucker")], [phrase("zweiten Stock"), word("keller")], [word("toner", true)]],
        {},
        {
          status: ["NEW", "OPEN"],
          tags: ["hardware", "urgent"],
          assigneeIds: ["a1", null],
          fromEmails: ["Rhea@Example.com"],
          createdAfter: new Date("2026-01-01T00:00:00Z"),
          createdBefore: new Date("2027-01-01T00:00:00Z"),
        },
      ),
    );
    const { body, querystring } = lastSearch();
    expect(querystring.routing).toBe(t.id);
    expect(body.track_total_hits).toBe(true);
    expect(body.highlight).toMatchObject({ encoder: "html", pre_tags: ["<mark>"], post_tags: ["</mark>"] });
    const bool = body.query.bool;
    expect(bool.must[0]).toEqual({
      multi_match: {
        query: "drucker",
        type: "best_fields",
        fields: ["subject^2", "body", "attachments", "name^2", "email", "phone"],
        fuzziness: "AUTO",
        operator: "and",
      },
    });
    expect(bool.must[1].bool.minimum_should_match).toBe(1);
    expect(bool.must[1].bool.should[0]).toEqual({
      multi_match: { query: "zweiten Stock", type: "phrase", fields: ["subject^2", "body", "attachments", "name^2", "email", "phone"] },
    });
    expect(bool.must_not[0].multi_match.query).toBe("toner");
    expect(bool.filter).toEqual([
      { term: { tenantId: t.id } },
      // Ticket filters leave contacts out.
      { terms: { kind: ["TICKET", "MESSAGE"] } },
      { terms: { status: ["NEW", "OPEN"] } },
      { term: { tags: "hardware" } },
      { term: { tags: "urgent" } },
      {
        bool: {
          should: [{ terms: { assigneeId: ["a1"] } }, { bool: { must_not: [{ exists: { field: "assigneeId" } }] } }],
          minimum_should_match: 1,
        },
      },
      { terms: { fromEmail: ["rhea@example.com"] } },
      { range: { createdAt: { gte: "2026-01-01T00:00:00.000Z", lt: "2027-01-01T00:00:00.000Z" } } },
    ]);
  });

  it("finds internal notes only for callers who may read notes, and answers in the contract's shape", async () => {
    const b = (await backend(t))!;
    const withNotes = await b.search(request(t, [[word("techniker")]], { notes: true }));
    expect(withNotes).toEqual({
      total: 1,
      hits: [
        {
          kind: "MESSAGE",
          id: noteId,
          score: 1,
          highlights: [{ field: "body", snippet: "Interne Notiz: <mark>Techniker</mark> bestellt" }],
        },
      ],
    });
    const without = await b.search(request(t, [[word("techniker")]], { notes: false }));
    expect(lastSearch().body.query.bool.filter).toContainEqual({ term: { internal: false } });
    expect(without).toEqual({ total: 0, hits: [] });
  });

  it("gives a contact on the portal only their own tickets and public messages, never contacts", async () => {
    const other = await ticket(t, "Drucker im Keller", "Auch der Drucker im Keller");
    await drain();
    const b = (await backend(t))!;
    const mine = await b.search(
      request(t, [[word("drucker")]], { notes: false, contactId: first.contactId, kinds: ["TICKET", "MESSAGE", "CONTACT"] }),
    );
    const filter = lastSearch().body.query.bool.filter;
    expect(filter).toContainEqual({ term: { contactId: first.contactId } });
    expect(filter).toContainEqual({ terms: { kind: ["TICKET", "MESSAGE"] } });
    expect(filter).toContainEqual({ term: { tenantId: t.id } });
    expect(mine.hits.map((h) => h.kind).sort()).toEqual(["MESSAGE", "TICKET"]);
    expect(mine.hits.map((h) => h.id)).not.toContain(other.id);
  });

  it("never answers for another tenant: separate indices, and a foreign scope is refused", async () => {
    const u = await app.tenant();
    await ticket(u, "Drucker woanders", "Drucker eines anderen Mandanten");
    await enable(u);
    await drain();
    const bt = (await backend(t))!;
    const bu = (await backend(u))!;
    const found = await bu.search(request(u, [[word("drucker")]]));
    expect(lastSearch().path).toBe(`/${alias(u)}/_search`);
    expect(found.total).toBe(2);
    expect(cluster.docs(alias(u)).every((d) => d.tenantId === u.id)).toBe(true);
    await expect(bt.search(request(u, [[word("drucker")]]))).rejects.toThrow(/another tenant/);
  });
});

describe("the search API on Elasticsearch", () => {
  const SEARCH = `query($q: String!) { search(query: $q, first: 10) { backend totalCount edges { node { highlights { field snippet } result { __typename ... on Ticket { id subject } ... on Message { id internal } } } } } }`;

  it("answers `search` from the index once it is ready, with the caller's permissions, and from PostgreSQL while the cluster is down", async () => {
    const t = await app.tenant();
    const x = await ticket(t, "Waschmaschine defekt", "Die Waschmaschine pumpt nicht ab");
    await say(t, x.gid, "Interne Notiz: Waschmaschine ersetzen", true);
    const before = await app.gql(SEARCH, { q: "waschmaschine" }, t.ownerToken);
    expect(before.data.search.backend).toBe("postgres");

    await enable(t);
    await drain();
    const owner = await app.gql(SEARCH, { q: "waschmaschine" }, t.ownerToken);
    expect(owner.errors).toBeUndefined();
    expect(owner.data.search.backend).toBe("elasticsearch");
    expect(lastSearch().path).toBe(`/${alias(t)}/_search`);
    expect(owner.data.search.totalCount).toBe(3);
    expect(owner.data.search.edges.map((e: any) => e.node.result.__typename).sort()).toEqual(["Message", "Message", "Ticket"]);
    expect(owner.data.search.edges.find((e: any) => e.node.result.__typename === "Ticket").node.highlights).toContainEqual({
      field: "subject",
      snippet: "<mark>Waschmaschine</mark> defekt",
    });

    // A key that may not read notes: the note is not in the index's answer at all.
    const key = await app.apiKey(t, ["TICKETS_READ"]);
    const partner = await app.gql(SEARCH, { q: "waschmaschine" }, key);
    expect(partner.data.search.backend).toBe("elasticsearch");
    expect(lastSearch().body.query.bool.filter).toContainEqual({ term: { internal: false } });
    expect(partner.data.search.totalCount).toBe(2);
    expect(partner.data.search.edges.every((e: any) => e.node.result.internal !== true)).toBe(true);

    // Custom-field values are not indexed: such a query is answered by the database, and says so.
    const field = await app.gql(
      `mutation { createCustomField(input: { entity: TICKET, key: "model", label: "Model", type: TEXT }) { id } }`,
      {},
      t.ownerToken,
    );
    expect(field.errors).toBeUndefined();
    const searchesBefore = cluster.requests.filter((r) => r.path.endsWith("/_search")).length;
    const custom = await app.gql(SEARCH, { q: "waschmaschine model:wm-9" }, t.ownerToken);
    expect(custom.errors).toBeUndefined();
    expect(custom.data.search).toMatchObject({ backend: "postgres", totalCount: 0 });
    expect(cluster.requests.filter((r) => r.path.endsWith("/_search")).length).toBe(searchesBefore);

    cluster.setDown("unreachable");
    try {
      const down = await app.gql(SEARCH, { q: "waschmaschine" }, t.ownerToken);
      expect(down.errors).toBeUndefined();
      expect(down.data.search).toMatchObject({ backend: "postgres", totalCount: 3 });
    } finally {
      cluster.setDown(null);
    }
  });
});

describe("similar tickets on Elasticsearch", () => {
  const SIMILAR = `query($id: ID!) { similarTickets(ticketId: $id) { tickets { ticket { id } } } }`;
  const solve = (t: TestTenant, gid: string) =>
    app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`, { id: gid }, t.ownerToken);

  it("asks more_like_this about the ticket's documents by id (no text sent), among solved public documents, one hit per ticket", async () => {
    const t = await app.tenant();
    const alike = await ticket(t, "Dishwasher leaking water", "The dishwasher is leaking water onto the kitchen floor");
    await say(t, alike.gid, "Replace the dishwasher door seal");
    await solve(t, alike.gid);
    const unlike = await ticket(t, "Invoice address change", "Please change the address on my invoice");
    await solve(t, unlike.gid);
    const stillOpen = await ticket(t, "Dishwasher leaking water", "Dishwasher leaking water again");
    const asked = await ticket(t, "Leaking dishwasher", "My dishwasher is leaking water since yesterday");
    const note = await say(t, asked.gid, "Internal: the dishwasher model is recalled", true);
    await enable(t);
    await drain();

    const r = await app.gql(SIMILAR, { id: asked.gid }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.similarTickets.tickets.map((s: any) => rawId(s.ticket.id))).toEqual([alike.id]);
    const body = lastSearch().body;
    expect(lastSearch().path).toBe(`/${alias(t)}/_search`);
    expect(body.collapse).toEqual({ field: "ticketId" });
    const mlt = body.query.bool.must[0].more_like_this;
    const likedIds = mlt.like.map((l: any) => l._id);
    expect(likedIds).toContain(`ticket-${asked.id}`);
    expect(likedIds).not.toContain(`message-${note}`);
    expect(mlt.like.every((l: any) => Object.keys(l).sort().join() === "_id,_index,routing")).toBe(true);
    expect(body.query.bool.filter).toEqual(
      expect.arrayContaining([{ term: { tenantId: t.id } }, { term: { internal: false } }, { terms: { status: ["SOLVED", "CLOSED"] } }]),
    );
    expect(body.query.bool.must_not).toEqual([{ term: { ticketId: asked.id } }]);
    expect(stillOpen.id).not.toBe(alike.id);

    // The cluster down: the built-in search answers instead.
    cluster.setDown("unreachable");
    try {
      const down = await app.gql(SIMILAR, { id: asked.gid }, t.ownerToken);
      expect(down.errors).toBeUndefined();
      expect(down.data.similarTickets.tickets.map((s: any) => rawId(s.ticket.id))).toContain(alike.id);
    } finally {
      cluster.setDown(null);
    }
  });
});

describe("outbox", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await app.tenant();
    await enable(t);
    await drain();
    expect(await backend(t)).not.toBeNull();
  });

  for (const outage of ["unreachable", 503] as const) {
    it(`keeps changes made while the cluster is ${outage === 503 ? "answering 503" : "unreachable"} and sends their latest state when it is back`, async () => {
      cluster.setDown(outage);
      const x = await ticket(t, "Version one", "Original body");
      await app.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "Version two" }) { id } }`, { id: x.gid }, t.ownerToken);
      await app.gql(
        `mutation($id: ID!) { updateTicket(id: $id, input: { subject: "Version three", tags: ["later"] }) { id } }`,
        { id: x.gid },
        t.ownerToken,
      );
      await drain();
      await drain();
      const waiting = await outboxRows(t);
      expect(waiting.filter((r) => r.docId === x.id && r.kind === "TICKET").length).toBeGreaterThanOrEqual(3);
      expect(waiting.every((r) => r.attempts >= 2 && r.lastError === (outage === 503 ? "ES_HTTP_503" : "ES_UNREACHABLE"))).toBe(true);
      expect(cluster.docs(alias(t)).find((d) => d.id === x.id)).toBeUndefined();
      const calls = await app.database.prisma.pluginCall.findMany({ where: { tenantId: t.id, operation: "index", outcome: "FAILED" } });
      expect(calls.length).toBeGreaterThan(0);

      cluster.setDown(null);
      const since = cluster.requests.length;
      await drain();
      expect(await outboxRows(t)).toEqual([]);
      // Collapsed: one send per document, carrying what it is now.
      const ops = bulkOps(since);
      const forTicket = ops.flatMap((op, i) => (op.index?._id === `ticket-${x.id}` ? [ops[i + 1]] : []));
      expect(forTicket).toHaveLength(1);
      expect(forTicket[0]).toMatchObject({ subject: "Version three", tags: ["later"] });
      expect(cluster.docs(alias(t)).find((d) => d.id === x.id)).toMatchObject({ subject: "Version three" });
      // The message carries its ticket's tags too.
      expect(cluster.docs(alias(t)).find((d) => d.kind === "MESSAGE" && d.ticketId === x.id)).toMatchObject({
        body: "Original body",
        tags: ["later"],
      });
    });
  }

  it("sends a change as soon as its transaction's events are published, without waiting for the timer", async () => {
    await drain();
    const x = await ticket(t, "Prompt delivery", "no kick needed");
    // The timer is an hour away here: only the committed event can have woken the worker.
    await expect.poll(() => cluster.docs(alias(t)).find((d) => d.id === x.id)?.subject, { timeout: 5000 }).toBe("Prompt delivery");
  });

  it("leases rows so that two workers at once never take the same change", async () => {
    await drain();
    // Kept waiting (the commit wakes the worker at once) until both passes start.
    cluster.setDown(503);
    await ticket(t, "Leased once", "only one worker sends this");
    await drain();
    cluster.setDown(null);
    const waiting = (await outboxRows(t)).length;
    expect(waiting).toBe(3);
    const since = cluster.requests.length;
    const [a, b] = await Promise.all([worker.pass(), worker.pass()]);
    expect(a.leased + b.leased).toBe(waiting);
    expect(a.sent + b.sent).toBe(waiting);
    expect(bulkOps(since).filter((op) => op.index)).toHaveLength(3);
  });

  it("lets an older state lose to a newer one, whatever the arrival order (external versions)", async () => {
    const x = await ticket(t, "Fresh state", "body");
    await drain();
    const doc = [...cluster.indices.get([...cluster.aliases.get(alias(t))!][0]!)!.docs.entries()].find(
      ([id]) => id === `ticket-${x.id}`,
    )![1];
    const client = await clientFactory(cluster.Connection)({ node: NODE, apiKey: "k" }, new OutboundGuard(parseAllowList(ALLOW)));
    const r = await client.bulk({
      operations: [
        { index: { _index: alias(t), _id: `ticket-${x.id}`, routing: t.id, version: doc.version - 1, version_type: "external" } },
        { ...doc.source, subject: "Stale state" },
      ],
    });
    expect(r.items[0]!.index!.status).toBe(409);
    expect(cluster.docs(alias(t)).find((d) => d.id === x.id)).toMatchObject({ subject: "Fresh state" });
  });

  it("sends nothing of a restricted contact: their documents are deleted, and come back when it is lifted", async () => {
    const x = await ticket(t, "Restricted topic", "Secret restricted words");
    await drain();
    expect(cluster.docs(alias(t)).filter((d) => d.subjectIds.includes(x.contactId))).toHaveLength(3);
    const since = cluster.requests.length;
    const restrictedAt = new Date();
    const r = await app.gql(
      `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "accuracy contested") { id } }`,
      { c: x.contactGid },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
    await drain();
    const ops = bulkOps(since);
    const deleted = ops.filter((op) => op.delete).map((op) => op.delete._id);
    expect(deleted).toHaveLength(3);
    expect(deleted).toEqual(expect.arrayContaining([`contact-${x.contactId}`, `ticket-${x.id}`, expect.stringMatching(/^message-/)]));
    expect(JSON.stringify(ops)).not.toContain("Secret restricted words");
    expect(cluster.docs(alias(t)).filter((d) => d.subjectIds.includes(x.contactId))).toEqual([]);
    // The calls since name no restricted subject, and none was refused for them.
    const calls = await app.database.prisma.pluginCall.findMany({ where: { tenantId: t.id, at: { gte: restrictedAt } } });
    expect(calls.map((c) => [c.operation, c.outcome])).toContainEqual(["index", "OK"]);
    expect(calls.filter((c) => c.subjectIds.includes(x.contactId) || c.outcome !== "OK")).toEqual([]);

    await app.gql(`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: x.contactGid }, t.ownerToken);
    await drain();
    expect(cluster.docs(alias(t)).filter((d) => d.subjectIds.includes(x.contactId))).toHaveLength(3);
  });
});

describe("erasure", () => {
  it("deletes the subject's documents, reports them in the receipt, and the erased text is not found afterwards", async () => {
    const t = await app.tenant();
    await enable(t);
    await drain();
    const x = await ticket(t, "Quokka sighting", "My quokka ate the router", { name: "Quinn Quokka", email: "quinn@example.com" });
    const other = await ticket(t, "Another ticket", "Please ask quinn@example.com about it");
    await drain();
    const b = (await backend(t))!;
    expect((await b.search(request(t, [[word("quokka")]]))).total).toBe(3);

    const filed = await app.gql(
      `mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`,
      { i: { contactId: x.contactGid, type: "ERASURE" } },
      t.ownerToken,
    );
    const since = cluster.requests.length;
    // The erasure's database steps re-queue the documents they change, and the worker sends
    // them as soon as they commit: held back here, so the receipt's count does not depend on
    // whether the worker got there before the erase call.
    cluster.setDown(503, (path) => path.endsWith("/_bulk"));
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status receipt } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      t.ownerToken,
    );
    cluster.setDown(null);
    expect(done.errors).toBeUndefined();
    const byQuery = cluster.requests.slice(since).find((r) => r.path.endsWith("/_delete_by_query"))!;
    expect(byQuery.querystring).toMatchObject({ routing: t.id, refresh: "true" });
    expect(byQuery.body.query.bool.filter).toEqual([{ term: { tenantId: t.id } }]);
    const entry = done.data.completeDataSubjectRequest.receipt.plugins.find((p: any) => p.pluginId === "elasticsearch");
    // Ticket, message, contact, and the other ticket's message quoting the email.
    expect(entry).toEqual({ pluginId: "elasticsearch", ok: true, store: `Elasticsearch index ${alias(t)}`, deleted: 4 });

    await drain();
    for (const text of ["quokka", "quinn@example.com", "Quinn"]) {
      expect((await b.search(request(t, [[word(text)]]))).total).toBe(0);
      expect(JSON.stringify(cluster.docs(alias(t))).toLowerCase()).not.toContain(text.toLowerCase());
    }
    // The other person's ticket is back, scrubbed of the mention.
    expect(cluster.docs(alias(t)).find((d) => d.kind === "MESSAGE" && d.ticketId === other.id)).toBeDefined();
  });
});

describe("the text of messages' files", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await app.tenant();
    await enable(t);
    await drain();
  });

  /** A message with a PDF, uploaded as clients do; sent to the index once its text is extracted. */
  async function withPdf(ticketGid: string, body: string, lines: string[], internal = false) {
    const pdf = await pdfWith(lines);
    const u = await app.gql(
      `mutation($i: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $i) { attachmentId uploadUrl } }`,
      { i: { ticketId: ticketGid, filename: "file.pdf", contentType: "application/pdf", size: pdf.length, internal } },
      t.ownerToken,
    );
    const { attachmentId, uploadUrl } = u.data.createAttachmentUpload;
    expect(
      (await fetch(uploadUrl, { method: "PUT", body: new Uint8Array(pdf), headers: { "content-type": "application/pdf" } })).status,
    ).toBe(201);
    const r = await app.gql(
      `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
      { i: { ticketId: ticketGid, body, internal, attachmentIds: [attachmentId] } },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
    await app.consumed(t);
    await drain();
    return { messageId: rawId(r.data.addMessage.id), attachmentId: attachmentId as string };
  }

  it("indexes it with its message, declared as attachment data, and a note's files only for callers who may read notes", async () => {
    const x = await ticket(t, "Garden order", "Please send a quote");
    const since = cluster.requests.length;
    const quote = await withPdf(x.gid, "Our quote is attached.", ["Quote: one albatross statue, bronze"]);
    const margin = await withPdf(x.gid, "Margins, see file.", ["Internal: the pelican discount is 40%"], true);
    expect(cluster.docs(alias(t)).find((d) => d.id === quote.messageId)).toMatchObject({
      body: "Our quote is attached.",
      attachments: "Quote: one albatross statue, bronze",
      internal: false,
    });
    expect(bulkOps(since).some((op) => op.attachments?.includes("albatross"))).toBe(true);
    const calls = await app.database.prisma.pluginCall.findMany({ where: { tenantId: t.id, operation: "index", outcome: "OK" } });
    expect(calls.some((c) => c.categories.includes("user.content.attachment"))).toBe(true);

    const b = (await backend(t))!;
    const found = await b.search(request(t, [[word("albatross")]], { notes: false }));
    expect(found.hits).toEqual([
      {
        kind: "MESSAGE",
        id: quote.messageId,
        score: 1,
        highlights: [{ field: "attachments", snippet: "Quote: one <mark>albatross</mark> statue, bronze" }],
      },
    ]);
    expect((await b.search(request(t, [[word("pelican")]], { notes: false }))).total).toBe(0);
    expect((await b.search(request(t, [[word("pelican")]], { notes: true }))).hits.map((h) => h.id)).toEqual([margin.messageId]);
  });

  it("re-sends the message without the text when erasure deletes the file", async () => {
    const piet = await ticket(t, "Parcel", "Lost parcel", { name: "Piet Pieters", email: "piet.p@example.nl" });
    await app.gql(
      `mutation($id: ID!) { updateContact(id: $id, input: { phone: "+31 6 1234 5678" }) { id } }`,
      { id: piet.contactGid },
      t.ownerToken,
    );
    const other = await ticket(t, "Neighbour", "About my neighbour");
    const statement = await withPdf(other.gid, "A statement.", ["Witness: the sandpiper man, 06-12345678"]);
    expect(cluster.docs(alias(t)).find((d) => d.id === statement.messageId)?.attachments).toContain("sandpiper");
    const filed = await app.gql(
      `mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`,
      { i: { contactId: piet.contactGid, type: "ERASURE" } },
      t.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { receipt } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      t.ownerToken,
    );
    expect(done.data.completeDataSubjectRequest.receipt.files).toContainEqual(
      expect.objectContaining({ attachmentId: statement.attachmentId, action: "deleted" }),
    );
    await drain();
    const doc = cluster.docs(alias(t)).find((d) => d.id === statement.messageId);
    expect(doc).toMatchObject({ body: "A statement." });
    expect(doc).not.toHaveProperty("attachments");
    expect((await (await backend(t))!.search(request(t, [[word("sandpiper")]]))).total).toBe(0);
  });

  it("adds the field to an index built before it existed, and sends the documents again", async () => {
    const state = await app.database.prisma.searchIndexState.findUniqueOrThrow({ where: { tenantId: t.id } });
    // The index as an earlier version built it: no field for files' text, and dynamic: strict.
    delete cluster.indices.get(state.activeIndex!)!.mappings.properties.attachments;
    const x = await ticket(t, "Old index", "Still searchable");
    const since = cluster.requests.length;
    const late = await withPdf(x.gid, "With a file.", ["The curlew count for May"]);
    const requests = cluster.requests.slice(since);
    expect(requests.some((r) => r.method === "PUT" && r.path === `/${alias(t)}/_mapping`)).toBe(true);
    expect(cluster.indices.get(state.activeIndex!)!.mappings.properties.attachments).toEqual({ type: "text", analyzer: "dg_text" });
    expect(cluster.docs(alias(t)).find((d) => d.id === late.messageId)).toMatchObject({ attachments: "The curlew count for May" });
    expect(await outboxRows(t)).toEqual([]);
  });
});

describe("rebuild", () => {
  it("builds a new index with progress lines, keeps changes made meanwhile, switches the alias atomically and drops the old index", async () => {
    const t = await app.tenant();
    for (let i = 0; i < 3; i++) await ticket(t, `Rebuild ${i}`, `Body ${i}`);
    await enable(t);
    await drain();
    const before = [...cluster.aliases.get(alias(t))!];
    expect(before).toHaveLength(1);

    const rt = await runtime(t);
    const lines: string[] = [];
    let during: Awaited<ReturnType<typeof ticket>> | undefined;
    const since = cluster.requests.length;
    const result = await reindexTenant(rt, await clientFactory(cluster.Connection)(rt.settings, outboundGuard(rt.core.config)), {
      batch: 2,
      progress: async (line) => {
        lines.push(line);
        if (lines.length === 1) {
          // A change while the build runs: the worker writes it to both indices.
          during = await ticket(t, "Made during the rebuild", "while building");
          await drain();
          expect(await backend(t)).not.toBeNull();
        }
      },
    });
    expect(lines[0]).toMatch(/^indexed 2\/9 \(22%\) [\d,]+ docs\/s$/);
    // Rows made meanwhile are read too when their ids sort after the pages already read (uuids: either way).
    expect(lines.at(-1)).toMatch(/^indexed (\d+)\/\1 \(100%\) [\d,]+ docs\/s$/);
    expect(result).toMatchObject({ alias: alias(t), replaced: before });
    const swap = cluster.requests.slice(since).find((r) => r.path === "/_aliases")!;
    expect(swap.body.actions).toEqual([
      { remove: { index: before[0], alias: alias(t) } },
      { add: { index: result.index, alias: alias(t), is_write_index: true } },
    ]);
    expect(cluster.requests.slice(since).find((r) => r.method === "DELETE")?.path).toBe(`/${before[0]}`);
    expect([...cluster.aliases.get(alias(t))!]).toEqual([result.index]);
    expect(cluster.indices.has(before[0]!)).toBe(false);
    expect(cluster.docs(alias(t)).find((d) => d.id === during!.id)).toMatchObject({ subject: "Made during the rebuild" });
    expect(cluster.docs(alias(t)).filter((d) => d.kind === "TICKET")).toHaveLength(4);
    expect(progressLine(120000, 1000000, 14_117)).toBe("indexed 120000/1000000 (12%) 8,500 docs/s");
  });

  it("runs as a command: npm run search:reindex -- --tenant <slug> [--batch n]", async () => {
    const t = await app.tenant();
    await ticket(t, "Command line", "rebuilt from the command line");
    const lines: string[] = [];
    const run = (args: string[]) => runReindexCommand(worker.services, args, (l) => lines.push(l), cluster.Connection);
    expect(await run(["--tenant", t.slug])).toBe(1);
    expect(lines.pop()).toMatch(/not enabled for/);
    expect(await run(["--batch", "5"])).toBe(2);
    expect(await run(["--tenant", t.slug, "--batch", "0"])).toBe(2);
    await enable(t);
    await drain();
    lines.length = 0;
    expect(await run(["--tenant", t.slug, "--batch", "1"])).toBe(0);
    expect(lines.filter((l) => l.startsWith("indexed "))).toEqual([
      expect.stringMatching(/^indexed 1\/3 \(33%\)/),
      expect.stringMatching(/^indexed 2\/3 \(66%\)/),
      expect.stringMatching(/^indexed 3\/3 \(100%\)/),
    ]);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^Done: 3 documents in ${alias(t)}-v\\d+; alias ${alias(t)} switched, ${alias(t)}-v\\d+ deleted\\.$`),
    );
  });

  it("builds on the new cluster before searching there when the node setting changes", async () => {
    const t = await app.tenant();
    await ticket(t, "Moving clusters", "same data, new cluster");
    await enable(t);
    await drain();
    expect(await backend(t)).not.toBeNull();
    const s = [{ key: "node", value: "https://127.0.0.2:9200" }];
    await app.gql(
      `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "elasticsearch", settings: $s) { id } }`,
      { s },
      t.ownerToken,
    );
    expect(await backend(t)).toBeNull();
    await drain();
    expect(await backend(t)).not.toBeNull();
    expect((await app.database.prisma.searchIndexState.findUnique({ where: { tenantId: t.id } }))!.node).toBe("https://127.0.0.2:9200");
  });

  it("falls back at once when disabled, deletes the index, and builds afresh when enabled again", async () => {
    const t = await app.tenant();
    await ticket(t, "Before disabling", "indexed, then dropped with the index");
    await enable(t);
    await drain();
    expect(await backend(t)).not.toBeNull();
    expect(cluster.docs(alias(t)).length).toBeGreaterThan(0);
    const off = await app.gql(`mutation { disablePlugin(id: "elasticsearch") { enabled } }`, {}, t.ownerToken);
    expect(off.errors).toBeUndefined();
    expect(await worker.runtimeFor(t.id)).toBeNull();
    // The index would go stale (and out of step with redactions): it is deleted, and the audit log says so.
    expect(cluster.docs(alias(t))).toEqual([]);
    expect([...cluster.indices.keys()].filter((i) => i.startsWith(alias(t)))).toEqual([]);
    const audit = await app.gql(
      `{ auditLog(first: 5, filter: { action: "plugin.cleanedUp" }) { edges { node { details } } } }`,
      {},
      t.ownerToken,
    );
    expect(audit.data.auditLog.edges[0].node.details).toMatchObject({ pluginId: "elasticsearch", ok: true, deleted: 1 });
    await ticket(t, "While disabled", "nobody indexes this");
    expect(await outboxRows(t)).toEqual([]);
    expect(await app.database.prisma.searchIndexState.findUnique({ where: { tenantId: t.id } })).toBeNull();
    await app.gql(`mutation { enablePlugin(id: "elasticsearch") { enabled } }`, {}, t.ownerToken);
    expect(await backend(t)).toBeNull();
    await drain();
    expect(await backend(t)).not.toBeNull();
    expect(cluster.docs(alias(t)).find((d) => d.subject === "While disabled")).toBeDefined();
  });
});

describe("a closed tenant", () => {
  it("loses its index with its data, and the receipt says so", async () => {
    const { closeTenant } = await import("../../../src/tenants/service.js");
    const t = await app.tenant();
    await ticket(t, "Closing soon", "indexed, then deleted with the tenant");
    await enable(t);
    await drain();
    expect(cluster.docs(alias(t)).length).toBeGreaterThan(0);
    const closed = await closeTenant(app.database, t.slug, 30);
    const [receipt] = await app.server.deleteClosedTenants(closed.deletionDueAt!);
    expect(receipt!.slug).toBe(t.slug);
    expect([...cluster.indices.keys()].filter((i) => i.startsWith(alias(t)))).toEqual([]);
    expect(receipt!.plugins).toEqual([expect.objectContaining({ pluginId: "elasticsearch", deleted: 1 })]);
    expect(await app.database.prisma.searchIndexState.findUnique({ where: { tenantId: t.id } })).toBeNull();
  });
});
